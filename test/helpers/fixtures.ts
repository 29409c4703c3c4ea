import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The project's shared folder (seeds, generator), beside the checkout — or beside a folder that
 * holds it, as mutation testing's sandbox (.stryker-tmp/sandbox-…) inside the checkout does.
 */
export const SHARED = findShared(REPO);
export const GENERATOR = path.join(SHARED, 'tools/gen-lineitems.mjs');

function findShared(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.resolve(dir, '../shared');
    if (fs.existsSync(path.join(candidate, 'tools'))) return candidate;
    if (dir === path.dirname(dir)) return path.resolve(from, '../shared');
  }
}

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed when the process exits. */
export function tempDir(prefix = 'pu-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // One exit listener for all of them (one each passed Node's limit of 10 listeners).
  if (tempDirs.length === 0) {
    process.once('exit', () => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  }
  tempDirs.push(dir);
  return dir;
}

export interface Generated {
  readonly file: string;
  readonly expect: Expected;
}

export interface Expected {
  readonly period: string;
  readonly partnerId: string;
  readonly rows: number;
  readonly customers: Record<string, { name: string; currency: string; billing: string; usd: string }>;
  readonly subscriptions: Record<string, { currency: string; billing: string; usd: string }>;
  readonly meters: Record<string, { currency: string; unit: string; billing: string; usd: string; quantity: string }>;
}

/** Runs shared/tools/gen-lineitems.mjs; `flags` are its options (see its --help). */
export function generate(dir: string, name: string, flags: Record<string, string | number | boolean>): Generated {
  const file = path.join(dir, name);
  const expectFile = `${file}.expect.json`;
  const args = [GENERATOR, '--out', file, '--expect', expectFile];
  for (const [k, v] of Object.entries(flags)) {
    if (v === false) continue;
    args.push(`--${k}`);
    if (v !== true) args.push(String(v));
  }
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return { file, expect: JSON.parse(fs.readFileSync(expectFile, 'utf8')) as Expected };
}
