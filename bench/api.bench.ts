/**
 * npm run bench:api — autocannon, in its own process, at 50 connections against
 * /v1/customers/usagerecords?size=100 with 1k and with 100k customers, beside a bare Fastify
 * route returning the same bytes, in the same run. Prints req/s, their ratio, p50 and p99.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { autocannon, writeCustomersFile, type Load } from './api-load.js';
import { ROOT } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const dir = path.join(ROOT, '.bench', 'api');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });

async function storeWith(customers: number): Promise<SqliteStore> {
  const store = await SqliteStore.open({ file: path.join(dir, `customers-${customers}.db`) });
  await importFile(store, writeCustomersFile(dir, customers, PARTNER));
  return store;
}

const results: { customers: number; api: Load; bare: Load }[] = [];
for (const customers of [1_000, 100_000]) {
  const store = await storeWith(customers);
  const auth = await createServerAuth(store);
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens });
  const apiBase = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await issueLocalToken(auth.keys, { tenant: PARTNER, expiresInSeconds: 3600 });
  const url = `${apiBase}/v1/customers/usagerecords?size=100&period=2026-10`;
  const sample = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  const body = await sample.text();
  if (sample.status !== 200) throw new Error(`the API answered ${sample.status}: ${body}`);

  // The baseline: a bare Fastify route that returns the same bytes, nothing else.
  const bare = Fastify();
  bare.get('/v1/customers/usagerecords', (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  const bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });

  await autocannon(url, token, 2); // warm-up
  const api = await autocannon(url, token, SECONDS);
  await autocannon(`${bareBase}/v1/customers/usagerecords?size=100&period=2026-10`, token, 2);
  const bareLoad = await autocannon(`${bareBase}/v1/customers/usagerecords?size=100&period=2026-10`, token, SECONDS);
  results.push({ customers, api, bare: bareLoad });
  console.log(
    `${customers.toLocaleString('en-US')} customers (${(body.length / 1024).toFixed(1)} KB a page): ` +
      `API ${Math.round(api.rps).toLocaleString('en-US')} req/s, p50 ${api.p50} ms, p99 ${api.p99} ms` +
      `${api.errors ? `, ${api.errors} errors` : ''} | bare route ${Math.round(bareLoad.rps).toLocaleString('en-US')} req/s, ` +
      `p50 ${bareLoad.p50} ms, p99 ${bareLoad.p99} ms | ratio ${(api.rps / bareLoad.rps).toFixed(2)}`,
  );
  await bare.close();
  await app.close();
  await store.close();
}
const [small, large] = results as [(typeof results)[number], (typeof results)[number]];
console.log(
  `targets: ratio ≥ 0.7 (${(small.api.rps / small.bare.rps).toFixed(2)} at 1k, ${(large.api.rps / large.bare.rps).toFixed(2)} at 100k); ` +
    `p99 ≤ 10 ms (${small.api.p99} and ${large.api.p99} ms); p50 at 100k ≤ 1.5 × p50 at 1k (${large.api.p50} vs ${small.api.p50} ms)`,
);
fs.rmSync(dir, { recursive: true, force: true });
