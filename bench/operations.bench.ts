/**
 * npm run bench:operations — what emulator mode (fault rules looked up on every request) and
 * request budgets (`--rate-limit`) cost a small answer: autocannon at 50 connections against one
 * customer's usage summary, on a server as `serve` starts it, with emulator mode (no rule, then
 * a rule for another operation), and with budgets too large to be spent — each beside a bare
 * Fastify route returning the same bytes, measured in the same process. Each variant runs in a
 * process of its own: run one after another in one process, the later ones came out 10–15 %
 * slower whatever they were (V8 sees Fastify's code with each server's hooks in turn).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { loadDemoData } from '../src/demo/demo-data.js';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer, type ServerOptions } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { autocannon, writeCustomersFile, type Load } from './api-load.js';
import { ROOT } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const dir = path.join(ROOT, '.bench', 'operations');
const database = path.join(dir, 'ops.db');
const generous = { requests: 1e9, seconds: 60 };

const variants: { name: string; options: Partial<ServerOptions>; rule?: object }[] = [
  { name: 'as serve starts it', options: {} },
  { name: 'emulator mode, no rule', options: { emulator: { snapshots: dir, demo: loadDemoData } } },
  {
    name: 'emulator mode, a rule for another operation',
    options: { emulator: { snapshots: dir, demo: loadDemoData } },
    rule: { operation: 'getCustomerUsageRecords', status: 503 },
  },
  { name: '--rate-limit (never spent)', options: { rateLimits: { partner: generous, customer: generous } } },
];

/** One variant, in this process: its load and the bare route's, as JSON on stdout. */
async function measure(variant: (typeof variants)[number]): Promise<{ api: Load; bare: Load }> {
  const store = await SqliteStore.open({ file: database, alerts: alertEngine });
  const auth = await createServerAuth(store);
  const token = await issueLocalToken(auth.keys, { tenant: PARTNER, expiresInSeconds: 3600 });
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens, ...variant.options });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const list = (await (
    await fetch(`${base}/v1/customers/usagerecords?size=1&period=2026-10`, {
      headers: { Authorization: `Bearer ${token}` },
    })
  ).json()) as { items: { id: string }[] };
  if (variant.rule) {
    await fetch(`${base}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(variant.rule),
    });
  }
  const route = `/v1/customers/${list.items[0]!.id}/usagesummary?period=2026-10`;
  const sample = await fetch(`${base}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await sample.text();
  if (sample.status !== 200) throw new Error(`the API answered ${sample.status}: ${body}`);
  const bare = Fastify();
  bare.get(route.split('?')[0]!, (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  const bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });
  await autocannon(`${base}${route}`, token, 2); // warm-up
  const api = await autocannon(`${base}${route}`, token, SECONDS);
  await autocannon(`${bareBase}${route}`, token, 2);
  const bareLoad = await autocannon(`${bareBase}${route}`, token, SECONDS);
  if (api.errors) throw new Error(`${variant.name}: ${api.errors} answers were not 200`);
  await bare.close();
  await app.close();
  await store.close();
  return { api, bare: bareLoad };
}

const which = process.argv[2];
if (which !== undefined) {
  console.log(JSON.stringify(await measure(variants[Number(which)]!)));
} else {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const store = await SqliteStore.open({ file: database, alerts: alertEngine });
  await importFile(store, writeCustomersFile(dir, 1_000, PARTNER));
  await store.close();
  const rows: string[] = [];
  for (const [i, variant] of variants.entries()) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', 'operations.bench.ts'), String(i)],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const { api, bare } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { api: Load; bare: Load };
    const row =
      `${variant.name.padEnd(44)} ${Math.round(api.rps).toLocaleString('en-US').padStart(7)} req/s, p99 ${api.p99} ms | ` +
      `bare ${Math.round(bare.rps).toLocaleString('en-US').padStart(7)} req/s, p99 ${bare.p99} ms | ` +
      `ratio ${(api.rps / bare.rps).toFixed(2)}`;
    rows.push(row);
    console.log(row);
  }
  console.log(`\none customer's usage summary (${SECONDS} s a measure, 50 connections):\n${rows.join('\n')}`);
}
