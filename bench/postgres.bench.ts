/**
 * npm run bench:postgres — on an embedded PostgreSQL 18 server:
 * 1. importing the 1M-line file (compiled code, as `npx partner-usage import` runs), beside the bare
 *    parse of the same file in the same run;
 * 2. the API with one `serve` process, then two, on the same database (autocannon in its own
 *    processes: 50 connections on one server, 25 on each of two).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CsvScanner } from '../src/ingest/csv-scanner.js';
import { importFile } from '../dist/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../src/server/auth/local-keys.js';
import { PostgresStore } from '../dist/storage/postgres/postgres-store.js';
import { newPostgresDatabase, stopPostgres } from '../test/helpers/postgres.js';
import { serveProcess } from '../test/helpers/serve-process.js';
import { autocannon, writeCustomersFile } from './api-load.js';
import { benchFile } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const file = benchFile(Number(process.env.BENCH_ROWS ?? 1_000_000));

async function bareParse(): Promise<number> {
  const started = performance.now();
  let lines = -1;
  const scanner = new CsvScanner(() => {
    lines++;
  });
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
  scanner.end();
  return lines / ((performance.now() - started) / 1000);
}

try {
  // 1. Import.
  const bare = await bareParse();
  const importUrl = await newPostgresDatabase();
  const store = await PostgresStore.open({ url: importUrl });
  const summary = await importFile(store, file);
  await store.close();
  const rate = summary.lines / summary.seconds;
  console.log(
    `import into PostgreSQL: ${Math.round(rate).toLocaleString('en-US')} lines/s (${summary.seconds.toFixed(2)} s) | ` +
      `bare parse ${Math.round(bare).toLocaleString('en-US')} lines/s | ratio ${(rate / bare).toFixed(2)} (target ≥ 0.3)`,
  );

  // 2. One API process, then two, on one database.
  const partner = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
  const apiUrl = await newPostgresDatabase();
  const apiStore = await PostgresStore.open({ url: apiUrl });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pu-bench-'));
  await importFile(apiStore, writeCustomersFile(dir, 1000, partner));
  const token = await issueLocalToken(await loadOrCreateLocalKeys(apiStore), { tenant: partner });
  await apiStore.close();
  const route = '/v1/customers/usagerecords?size=100&period=2026-10';
  const a = await serveProcess(apiUrl, true);
  await autocannon(`${a.base}${route}`, token, 2);
  const one = await autocannon(`${a.base}${route}`, token, SECONDS);
  const b = await serveProcess(apiUrl, true);
  await autocannon(`${b.base}${route}`, token, 2);
  const pair = await Promise.all([
    autocannon(`${a.base}${route}`, token, SECONDS, 25),
    autocannon(`${b.base}${route}`, token, SECONDS, 25),
  ]);
  const two = pair[0].rps + pair[1].rps;
  console.log(
    `API on PostgreSQL, 1,000 customers: one process ${Math.round(one.rps).toLocaleString('en-US')} req/s (p99 ${one.p99} ms) | ` +
      `two processes ${Math.round(two).toLocaleString('en-US')} req/s (p99 ${Math.max(pair[0].p99, pair[1].p99)} ms) | ` +
      `ratio ${(two / one.rps).toFixed(2)} (target ≥ 1.6; ${os.cpus().length} cores shared with autocannon)`,
  );
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
} finally {
  await stopPostgres();
}
