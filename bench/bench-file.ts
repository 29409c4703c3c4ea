import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GENERATOR = path.resolve(ROOT, '../shared/tools/gen-lineitems.mjs');

/** A generated daily-rated file under .bench/ (made once, then reused): 1M lines by default. */
export function benchFile(rows = 1_000_000): string {
  const dir = path.join(ROOT, '.bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `lineitems-${rows}.csv`);
  if (!fs.existsSync(file)) {
    console.error(`generating ${file} …`);
    execFileSync(
      process.execPath,
      [
        GENERATOR,
        '--out',
        file,
        '--rows',
        String(rows),
        '--customers',
        '2000',
        '--meters',
        '400',
        '--period',
        '2026-10',
        '--seed',
        '42',
      ],
      { stdio: 'inherit' },
    );
  }
  return file;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The two baselines of the import benchmarks (bench/bare-parse.ts), each quote-aware:
 * - `split`: the bare parse the issues' targets are stated against, "a loop that only splits
 *   quoted CSV into fields": UTF-8 text into an array of field strings per record (it runs at
 *   papaparse's rate here);
 * - `scan`: this project's byte scanner finding every field's bounds, creating no string — the
 *   import's own first step, and the least any parse can do.
 */
export type BareLoop = 'split' | 'scan';

/**
 * A bare parse of a file in a process of its own: code loaded beside it was measured to slow it
 * (pg's module set: the scan 830k → 550k lines/s).
 */
export function bareParse(file: string, loop: BareLoop): { lines: number; seconds: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/bare-parse.ts'), file, loop], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { lines: number; seconds: number };
}

/** Lines/s of each baseline: the mean of a run before and one after the measurement. */
export interface Baselines {
  readonly split: number;
  readonly scan: number;
  /** [before, after] of each. */
  readonly runs: Record<BareLoop, [number, number]>;
}

/**
 * Runs `measure` between two bare parses of each kind and gives their mean rates as its
 * baselines: this machine's speed drifts within seconds, so one bare parse before was measured
 * to give ratios from 0.27 to 0.55 for the same import code. Each bare parse must count `lines`.
 */
export function withBareParse<T extends { lines: number }>(file: string, measure: () => T): Baselines & { result: T } {
  const rates = () => {
    const out = { split: 0, scan: 0, lines: [] as number[] };
    for (const loop of ['split', 'scan'] as const) {
      const b = bareParse(file, loop);
      out[loop] = b.lines / b.seconds;
      out.lines.push(b.lines);
    }
    return out;
  };
  const before = rates();
  const result = measure();
  const after = rates();
  const counts = new Set([...before.lines, ...after.lines, result.lines]);
  if (counts.size !== 1) throw new Error(`the bare parses and the measurement counted different lines: ${[...counts]}`);
  return {
    split: (before.split + after.split) / 2,
    scan: (before.scan + after.scan) / 2,
    runs: { split: [before.split, after.split], scan: [before.scan, after.scan] },
    result,
  };
}

/** "215k, 221k" — a baseline's runs, for the bench's lines. */
export const thousands = (runs: readonly number[]): string => runs.map((r) => `${Math.round(r / 1000)}k`).join(', ');

export interface ImportRun {
  lines: number;
  /** The import itself, as the CLI reports it (from reading the header to the commit). */
  seconds: number;
  /** The whole CLI process: start-up, import, closing the database (its WAL checkpoint). */
  processSeconds: number;
  /** The CLI process's peak resident memory. */
  peakRssMB: number;
  /** Of `seconds`, the alert rules' evaluation (in the import's transaction). */
  alertSeconds: number;
}

/**
 * One import by the CLI a user runs (`partner-usage import --json`, compiled) in its own process,
 * so that neither its memory nor its garbage is the benchmark process's.
 */
export function cliImport(file: string, location: string): ImportRun {
  const started = performance.now();
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, 'bin/partner-usage.js'), 'import', file, '--db', location, '--json'],
    { encoding: 'utf8' },
  );
  const processSeconds = (performance.now() - started) / 1000;
  return { ...(JSON.parse(out) as Omit<ImportRun, 'processSeconds'>), processSeconds };
}
