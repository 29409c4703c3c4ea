/**
 * npm run bench:api — autocannon, in its own process, at 50 connections against
 * /v1/customers/usagerecords?size=100 with 1k and with 100k customers, beside a bare Fastify
 * route returning the same bytes, in the same run. Prints req/s, their ratio, p50 and p99.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { DAILY_RATED_COLUMNS } from '../src/ingest/file-formats.js';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { ROOT } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const dir = path.join(ROOT, '.bench', 'api');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });

/** A daily-rated file with one line for each of `customers` customers, imported into a new store. */
async function storeWith(customers: number): Promise<SqliteStore> {
  const file = path.join(dir, `customers-${customers}.csv`);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const lines = [DAILY_RATED_COLUMNS.join(',')];
  for (let i = 0; i < customers; i++) {
    const values: Record<string, string> = {
      PartnerId: PARTNER,
      PartnerName: 'Bench Partner',
      CustomerId: `${hex(i, 8)}-0000-4000-8000-000000000000`,
      CustomerName: `Customer ${i}`,
      SubscriptionId: `${hex(i, 8)}-1111-4000-8000-000000000000`,
      UsageDate: '2026-10-01',
      MeterId: 'DZH318Z0BNVX-005J',
      MeterName: 'Data Transfer In',
      Quantity: '1.5',
      BillingPreTaxTotal: `${i}.123456789012`,
      BillingCurrency: i % 3 === 0 ? 'EUR' : 'USD',
      PricingPreTaxTotal: `${i}.12345`,
      PricingCurrency: 'USD',
      EntitlementId: `${hex(i, 8)}-2222-4000-8000-000000000000`,
      ResourceURI: `/subscriptions/x/resourceGroups/rg/vm-${i}`,
    };
    lines.push(DAILY_RATED_COLUMNS.map((c) => values[c] ?? '').join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const store = await SqliteStore.open({ file: path.join(dir, `customers-${customers}.db`) });
  await importFile(store, file);
  return store;
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

// Asynchronous: the servers under load run in this process's event loop.
async function autocannon(url: string, token: string, seconds: number): Promise<Load> {
  const { stdout: out } = await promisify(execFile)(
    path.join(ROOT, 'node_modules/.bin/autocannon'),
    ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${token}`, url],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
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
