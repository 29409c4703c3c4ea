/**
 * `npm run test:node`: one PostgreSQL server for the whole run (not one per test file, each of
 * which node --test runs in a process of its own), then every test file. Files run on their own
 * too (node --import tsx --test test/x.test.ts): they then start a server of their own.
 * Two files run at a time: one at a time kept ~1.4 of this machine's 2 cores busy, and the files
 * share nothing but that server, where each test database is named by its process id.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from './helpers/backends.js';
import { bundledWorkers } from './helpers/bundled.js';
import { startSharedPostgres } from './helpers/postgres.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// --long: the reliability suite's longer settings, for a manual run (docs/reliability.md).
const long = process.argv.includes('--long');
const args = process.argv.slice(2).filter((a) => a !== '--long');
const longSettings = long
  ? {
      PARTNER_USAGE_FUZZ_RUNS: process.env.PARTNER_USAGE_FUZZ_RUNS ?? '25',
      PARTNER_USAGE_CRASH_POINTS: process.env.PARTNER_USAGE_CRASH_POINTS ?? '100',
    }
  : {};
const files = args.length
  ? args
  : fs
      .readdirSync(here)
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test', f));
const shared = BACKENDS.includes('postgres') ? await startSharedPostgres() : undefined;
const workers = await bundledWorkers();
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${process.env.PARTNER_USAGE_TEST_CONCURRENCY ?? 2}`,
    '--test-reporter=spec',
    ...files,
  ],
  {
    stdio: 'inherit',
    // Receivers in tests listen on 127.0.0.1, which webhooks may not reach unless allowed.
    env: {
      PARTNER_USAGE_WEBHOOK_ALLOW: '127.0.0.1',
      ...process.env,
      ...longSettings,
      ...(shared ? { PARTNER_USAGE_TEST_POSTGRES: shared.url } : {}),
      PARTNER_USAGE_TEST_WORKERS: workers.dir,
    },
  },
);
const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await shared?.stop();
workers.remove();
process.exit(code);
