import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvScanner } from '../src/ingest/csv-scanner.js';

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
 * finding every field of every record, quote-aware, creating no string — in this process.
 */
export async function bareParse(file: string): Promise<{ lines: number; seconds: number }> {
  const started = performance.now();
  let lines = -1; // the header
  const scanner = new CsvScanner(() => {
    lines++;
  });
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
  scanner.end();
  return { lines, seconds: (performance.now() - started) / 1000 };
}
