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
 * The baseline of the import benchmarks: the bare parse of a file — this project's byte scanner
 * finding every field of every record, quote-aware, creating no string — in a process of its own:
 * code loaded beside it was measured to slow it (pg's module set: 830k → 550k lines/s).
 */
export function bareParse(file: string): { lines: number; seconds: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/bare-parse.ts'), file], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { lines: number; seconds: number };
}

/**
 * Runs `measure` between two bare parses of the file and gives their mean rate as its baseline:
 * this machine's speed drifts within seconds, so one bare parse before was measured to give
 * ratios from 0.27 to 0.55 for the same import code.
 */
export function withBareParse<T>(file: string, measure: () => T): { bare: number; bares: [number, number]; result: T } {
  const rate = () => {
    const b = bareParse(file);
    return b.lines / b.seconds;
  };
  const before = rate();
  const result = measure();
  const after = rate();
  return { bare: (before + after) / 2, bares: [before, after], result };
}

export interface ImportRun {
  lines: number;
  /** The import itself, as the CLI reports it (from reading the header to the commit). */
  seconds: number;
  /** The whole CLI process: start-up, import, closing the database (its WAL checkpoint). */
  processSeconds: number;
  /** The CLI process's peak resident memory. */
  peakRssMB: number;
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
