/**
 * `npm run test:node`: one PostgreSQL server for the whole run (not one per test file, each of
 * which node --test runs in a process of its own), then every test file. Files run on their own
 * too (node --import tsx --test test/x.test.ts): they then start a server of their own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from './helpers/backends.js';
import { startSharedPostgres } from './helpers/postgres.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs
      .readdirSync(here)
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test', f));
const shared = BACKENDS.includes('postgres') ? await startSharedPostgres() : undefined;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, ...(shared ? { PARTNER_USAGE_TEST_POSTGRES: shared.url } : {}) },
});
const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await shared?.stop();
process.exit(code);
