/**
 * `npm run bench:export`: a FOCUS 1.2 export of 1M stored lines, as Parquet and as CSV, each in a
 * process of its own (its time and peak memory), beside the baseline measured in the same run:
 * DuckDB writing the same Parquet from the same rows (our FOCUS Parquet loaded into a table first,
 * then COPY … TO parquet timed alone; and our CSV read and written in one COPY), and the same
 * table written as CSV.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { benchFile, ROOT } from './bench-file.js';

const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
const CLI = path.join(ROOT, 'bin/partner-usage.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pu-bench-export-'));
const db = path.join(dir, 'export.db');

function run(args: string[], heapMB?: number): { seconds: number; peakMB: number; stdout: string } {
  // /usr/bin/time's %M is the child's peak resident set; the figure the issue bounds.
  const started = performance.now();
  const node = heapMB === undefined ? [process.execPath] : [process.execPath, `--max-old-space-size=${heapMB}`];
  const result = spawnSync('/usr/bin/time', ['-f', '%M', ...node, CLI, ...args], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  const peakKB = Number(result.stderr.trim().split('\n').pop());
  return { seconds, peakMB: peakKB / 1024, stdout: result.stdout.trim() };
}

try {
  const file = benchFile(ROWS);
  console.log(`bench:export — ${ROWS.toLocaleString('en-US')} lines (${file})`);
  run(['import', file, '--db', db]);
  const period = '2026-10';
  const parquet = path.join(dir, 'focus.parquet');
  const csv = path.join(dir, 'focus.csv');
  const ours = run(['export', '--format', 'focus', '--period', period, '--out', parquet, '--db', db]);
  const oursCsv = run(['export', '--format', 'focus', '--period', period, '--out', csv, '--db', db]);
  // The same with the JS heap capped (96 MB for Parquet, 64 MB for CSV): it completes only if the export holds no more than a row group.
  const capped = path.join(dir, 'capped.parquet');
  const oursCapped = run(['export', '--format', 'focus', '--period', period, '--out', capped, '--db', db], 96);
  const cappedCsv = run(
    ['export', '--format', 'focus', '--period', period, '--out', path.join(dir, 'capped.csv'), '--db', db],
    64,
  );

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run('SET preserve_insertion_order = true');
  // The same rows, typed as our Parquet types them (DuckDB infers the rest from our CSV).
  await duck.run(`CREATE TABLE focus AS SELECT * FROM read_parquet('${parquet}')`);
  let started = performance.now();
  await duck.run(`COPY focus TO '${path.join(dir, 'duck.parquet')}' (FORMAT parquet)`);
  const duckWrite = (performance.now() - started) / 1000;
  started = performance.now();
  await duck.run(`COPY focus TO '${path.join(dir, 'duck.csv')}' (FORMAT csv, HEADER)`);
  const duckCsvWrite = (performance.now() - started) / 1000;
  started = performance.now();
  await duck.run(
    `COPY (SELECT * FROM read_csv('${csv}', header = true)) TO '${path.join(dir, 'duck-csv.parquet')}' (FORMAT parquet)`,
  );
  const duckCsv = (performance.now() - started) / 1000;
  const count = (await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${parquet}')`)).getRowObjectsJS()[0]!
    .n;
  if (Number(count) !== ROWS) throw new Error(`our Parquet holds ${count} rows, not ${ROWS}`);

  const mb = (f: string) => (fs.statSync(f).size / 1e6).toFixed(1);
  const rate = (s: number) => Math.round(ROWS / s).toLocaleString('en-US');
  console.log(
    [
      `  partner-usage export → Parquet: ${ours.seconds.toFixed(1)} s (${rate(ours.seconds)} rows/s, incl. the decimal-scale pass), peak RSS ${ours.peakMB.toFixed(0)} MB, ${mb(parquet)} MB`,
      `  partner-usage export → CSV:     ${oursCsv.seconds.toFixed(1)} s (${rate(oursCsv.seconds)} rows/s), peak RSS ${oursCsv.peakMB.toFixed(0)} MB, ${mb(csv)} MB`,
      `  the same with the JS heap capped: Parquet (96 MB) ${oursCapped.seconds.toFixed(1)} s, peak RSS ${oursCapped.peakMB.toFixed(0)} MB; CSV (64 MB) ${cappedCsv.seconds.toFixed(1)} s, peak RSS ${cappedCsv.peakMB.toFixed(0)} MB`,
      `  baseline DuckDB table → Parquet (write only): ${duckWrite.toFixed(1)} s (${rate(duckWrite)} rows/s), ${mb(path.join(dir, 'duck.parquet'))} MB`,
      `  baseline DuckDB CSV → Parquet (read + write): ${duckCsv.toFixed(1)} s (${rate(duckCsv)} rows/s)`,
      `  baseline DuckDB table → CSV (write only): ${duckCsvWrite.toFixed(1)} s (${rate(duckCsvWrite)} rows/s), ${mb(path.join(dir, 'duck.csv'))} MB`,
      `  ratio ours / DuckDB write: ${(ours.seconds / duckWrite).toFixed(1)}×; ours / DuckDB CSV → Parquet: ${(ours.seconds / duckCsv).toFixed(1)}×; our CSV / DuckDB's: ${(oursCsv.seconds / duckCsvWrite).toFixed(1)}×`,
    ].join('\n'),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
