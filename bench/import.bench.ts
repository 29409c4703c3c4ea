/**
 * npm run bench:import — imports a 1M-line file and prints, from the same run, the import's
 * lines/s beside the bare parse rate of the same file, their ratio, and the import's peak RSS.
 * Two bare parses (bench/bare-parse.ts): the split into field strings the target is stated
 * against, and this project's byte scanner, which creates no strings. Three rounds, each import
 * between a bare parse of each kind before and after it. The import is the CLI a user runs
 * (`partner-usage import --json`, compiled), in its own process.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { benchFile, cliImport, median, ROOT, thousands, withBareParse } from './bench-file.js';

const ROUNDS = 3;
const file = benchFile(Number(process.env.BENCH_ROWS ?? 1_000_000));
const db = path.join(ROOT, '.bench', 'import-bench.db');
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

const rows: { split: number; scan: number; imp: number; seconds: number; rss: number; alerts: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const base = withBareParse(file, () => {
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
    return cliImport(file, db);
  });
  const imp = base.result;
  const r = {
    split: base.split,
    scan: base.scan,
    imp: imp.lines / imp.seconds,
    seconds: imp.seconds,
    rss: imp.peakRssMB,
    alerts: imp.alertSeconds / (imp.seconds - imp.alertSeconds),
  };
  rows.push(r);
  console.log(
    `round ${round}: bare split ${rate(r.split)} lines/s (${thousands(base.runs.split)} before and after), ` +
      `bare scan ${rate(r.scan)} (${thousands(base.runs.scan)}) | ` +
      `import ${rate(r.imp)} lines/s (${imp.seconds.toFixed(2)} s; CLI process ${imp.processSeconds.toFixed(2)} s) | ` +
      `ratio to the split ${(r.imp / r.split).toFixed(2)}, to the scan ${(r.imp / r.scan).toFixed(2)} | ` +
      `import peak RSS ${r.rss} MB | alert evaluation ${imp.alertSeconds.toFixed(2)} s, +${(100 * r.alerts).toFixed(1)} % of the rest | ` +
      `stored ${(fs.statSync(db).size / imp.lines).toFixed(0)} bytes a line`,
  );
}
// What the lines' every column costs (issue #27): the blocks' fields and the import dictionaries.
{
  const sqlite = new Database(db, { readonly: true });
  const [fields, dictionaries, lines] = [
    'SELECT coalesce(sum(length(fields)), 0) FROM line_blocks',
    'SELECT coalesce(sum(length(delta)), 0) FROM line_dictionaries',
    'SELECT sum(line_count) FROM line_blocks',
  ].map((q) => Number(sqlite.prepare(q).pluck().get()));
  sqlite.close();
  console.log(
    `every column: fields ${(fields! / lines!).toFixed(1)} bytes a line, dictionaries ${(dictionaries! / lines!).toFixed(1)} bytes a line`,
  );
}
// The meter-anomaly pass the last import queued, as `serve` runs it after the import (not in it).
const meterPass = performance.now();
const delivered = execFileSync(
  process.execPath,
  [path.join(ROOT, 'bin/partner-usage.js'), 'deliver', '--once', '--db', db],
  {
    encoding: 'utf8',
  },
);
const meterSeconds = (performance.now() - meterPass) / 1000;
const last = rows.at(-1)!;
console.log(
  `meter anomalies (deliver --once after the last import): ${meterSeconds.toFixed(2)} s in its own process, ` +
    `${(meterSeconds / last.seconds).toFixed(2)} × that import's time; ${delivered.trim()}`,
);
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
const med = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
console.log(
  `median of ${ROUNDS} (${os.cpus().length} cores, node ${process.version}, ${path.basename(file)}): ` +
    `import ${rate(med((r) => r.imp))} lines/s; ratio to the bare split ${med((r) => r.imp / r.split).toFixed(2)} ` +
    `(target ≥ 1.3), to the bare scan ${med((r) => r.imp / r.scan).toFixed(2)}; ` +
    `peak RSS ${med((r) => r.rss)} MB (target ≤ 300); alert evaluation +${(100 * med((r) => r.alerts)).toFixed(1)} % ` +
    `of the import without it (target ≤ 10 %)`,
);
