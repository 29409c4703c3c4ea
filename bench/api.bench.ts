/**
 * npm run bench:api — autocannon, in its own process, at 50 connections against
 * /v1/customers/usagerecords?size=100 with 1k and with 100k customers, beside a bare Fastify
 * route returning the same bytes, in the same run. Prints req/s, their ratio, p50 and p99.
 * Then every read route of the family the same way, and utilization pages on 1M stored lines.
 * BENCH_ROUTES=<regex of operation ids> measures only those routes of the family (and nothing else).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { operations } from '../src/contract/operations.js';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { autocannon, writeCustomersFile, type Load } from './api-load.js';
import { ROOT } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FAMILY_SECONDS = Math.max(2, Math.round(SECONDS / 3));
const ONLY = process.env.BENCH_ROUTES ? new RegExp(process.env.BENCH_ROUTES) : undefined;
const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const dir = path.join(ROOT, '.bench', 'api');

fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });

async function storeWith(customers: number): Promise<SqliteStore> {
  const store = await SqliteStore.open({ file: path.join(dir, `customers-${customers}.db`), alerts: alertEngine });
  await importFile(store, writeCustomersFile(dir, customers, PARTNER));
  return store;
}

const results: { customers: number; api: Load; bare: Load }[] = [];
for (const customers of ONLY ? [] : [1_000, 100_000]) {
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
const [small, large] = results;
if (small && large)
  console.log(
    `targets: ratio ≥ 0.7 (${(small.api.rps / small.bare.rps).toFixed(2)} at 1k, ${(large.api.rps / large.bare.rps).toFixed(2)} at 100k); ` +
      `p99 ≤ 10 ms (${small.api.p99} and ${large.api.p99} ms); p50 at 100k ≤ 1.5 × p50 at 1k (${large.api.p50} vs ${small.api.p50} ms)`,
  );

// Every read route of the family on the demo's data (300 customers), each beside a bare route
// returning the same bytes, at the same connections.
{
  const store = await SqliteStore.open({ file: path.join(dir, 'demo.db'), alerts: alertEngine });
  await loadDemoData(store, { customers: 300 });
  const auth = await createServerAuth(store);
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens });
  const apiBase = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await issueLocalToken(auth.keys, { tenant: DEMO_PARTNER, expiresInSeconds: 3600 });
  const c = SEED_CUSTOMERS.modernUk.id;
  const subs = (await (
    await fetch(`${apiBase}/v1/customers/${c}/subscriptions/usagerecords`, {
      headers: { Authorization: `Bearer ${token}` },
    })
  ).json()) as { items: { id: string }[] };
  const s = subs.items[0]!.id;
  const month = new Date();
  const start = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
  const end = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).toISOString().slice(0, 10);
  // The legacy customer's subscription, for the legacy-only route (usage last month).
  const legacy = SEED_CUSTOMERS.legacy.id;
  const previousPeriod = start.slice(0, 7);
  const legacySubs = (await (
    await fetch(`${apiBase}/v1/customers/${legacy}/subscriptions/usagerecords?period=${previousPeriod}`, {
      headers: { Authorization: `Bearer ${token}` },
    })
  ).json()) as { items: { id: string }[] };
  // The older line-item API's query: the UK customer's currency, this month.
  const unbilled = '?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=GBP&period=current';
  for (const [id, o] of Object.entries(operations)) {
    // Files (statements, exports) are bench:export's.
    if (o.method !== 'GET' || ('download' in o && o.download) || (ONLY && !ONLY.test(id))) continue;
    const legacyOnly = id === 'getSubscriptionResourceUsageRecords';
    const route = legacyOnly
      ? `${o.path.replace('{customer-tenant-id}', legacy).replace('{subscription-id}', legacySubs.items[0]!.id)}?period=${previousPeriod}`
      : o.path.replace('{customer-tenant-id}', c).replace('{subscription-id}', s);
    const query = route.endsWith('/utilizations/azure')
      ? `?start_time=${start}&end_time=${end}&size=100`
      : id === 'getUnbilledLineItems'
        ? unbilled
        : '';
    const url = `${apiBase}${route}${query}`;
    const sample = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = await sample.text();
    if (sample.status !== 200) throw new Error(`${route} answered ${sample.status}: ${body}`);
    const bare = Fastify();
    bare.get('/*', (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
    const bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = `${bareBase}${url.slice(apiBase.length)}`;
    await autocannon(url, token, 1);
    const api = await autocannon(url, token, FAMILY_SECONDS);
    await autocannon(bareUrl, token, 1);
    const bareLoad = await autocannon(bareUrl, token, FAMILY_SECONDS);
    await bare.close();
    const line =
      `${o.path.replace('/v1/customers/{customer-tenant-id}', '…/{c}').replace('/subscriptions/{subscription-id}', '/{s}')} ` +
      `(${(body.length / 1024).toFixed(1)} KB): API ${Math.round(api.rps).toLocaleString('en-US')} req/s, p50 ${api.p50} ms, ` +
      `p99 ${api.p99} ms${api.errors ? `, ${api.errors} errors` : ''} | bare ${Math.round(bareLoad.rps).toLocaleString('en-US')} req/s | ` +
      `ratio ${(api.rps / bareLoad.rps).toFixed(2)}`;
    console.log(line);
  }
  await app.close();
  await store.close();
}

// Utilization pages of 1,000 on one subscription holding 1M stored lines, walked by token.
if (!ONLY) {
  const file = path.join(ROOT, '.bench', 'utilization-1000000.csv');
  if (!fs.existsSync(file)) {
    execFileSync(process.execPath, [
      path.join(ROOT, '../shared/tools/gen-lineitems.mjs'),
      ...[
        '--out',
        file,
        '--rows',
        '1000000',
        '--customers',
        '1',
        '--meters',
        '400',
        '--period',
        '2026-10',
        '--seed',
        '7',
      ],
    ]);
  }
  const store = await SqliteStore.open({ file: path.join(dir, 'utilization.db'), alerts: alertEngine });
  await importFile(store, file);
  const [partner] = await store.partners();
  const [[, customer]] = (await store.customerCurrencies(partner!.tenantId)) as [[string, string, string]];
  const [subscription] = (await store.subscriptionIds(partner!.tenantId, customer))!;
  const auth = await createServerAuth(store);
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens });
  const apiBase = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await issueLocalToken(auth.keys, { tenant: partner!.tenantId, expiresInSeconds: 3600 });
  const headers = { Authorization: `Bearer ${token}` };
  const first = `${apiBase}/v1/customers/${customer}/subscriptions/${subscription}/utilizations/azure?start_time=2026-10-01T00:00:00Z&end_time=2026-11-01T00:00:00Z`;
  const times: number[] = [];
  let records = 0;
  let cold = 0;
  for (let round = 0; round < 2; round++) {
    let url: string | undefined = first;
    let extra: Record<string, string> = {};
    while (url) {
      const t0 = performance.now();
      const response = await fetch(url, { headers: { ...headers, ...extra } });
      const body = (await response.json()) as {
        items: unknown[];
        links: { next?: { uri: string; headers: { value: string }[] } };
      };
      const ms = performance.now() - t0;
      if (round === 0 && url === first) cold = ms;
      else if (round === 1) times.push(ms);
      if (round === 1) records += body.items.length;
      const next = body.links.next;
      url = next ? `${apiBase}/v1/${next.uri}` : undefined;
      extra = next ? { 'MS-ContinuationToken': next.headers[0]!.value } : {};
    }
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
  console.log(
    `utilization, 1M stored lines in one subscription: ${records.toLocaleString('en-US')} records in ${times.length} pages of 1,000; ` +
      `page p50 ${pct(50)} ms, p99 ${pct(99)} ms (target p50 ≤ 25 ms); first request, which sums the lines, ${cold.toFixed(0)} ms`,
  );
  await app.close();
  await store.close();
}
fs.rmSync(dir, { recursive: true, force: true });
