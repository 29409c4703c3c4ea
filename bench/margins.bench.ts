/**
 * npm run bench:margins — issue #29's target: GET /v1/partnerusage/customers and the margins route
 * at 100k customers and a million lines answer within 2× the customers route's cost-only time.
 *
 * The generated `--rich` file (100,000 customers, 20 resellers, 1,000,000 lines over two days of the
 * month, so that every customer has lines; made once under .bench/) is imported into SQLite; then, on one store, each figure is taken on a fresh server (its
 * view caches empty), ROUNDS times:
 * - cost only: the customers route before any price base is kept (prices null) — its first answer
 *   (the view's rows computed) and a warm page (sorted by spend, from the rows kept);
 * - the price bases computed once (what `serve` does in the background after an import);
 * - priced, with three rules in force: once with the customers' margins not yet priced (after a
 *   rule change, before `serve`'s warmer has run), then as `serve` answers — the customers route
 *   (first, and a warm page sorted by margin), the margins route by customer (first, and a warm page
 *   sorted by margin) and by reseller;
 * - baseline: GET /healthz on the same server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { importFile } from '../src/ingest/importer.js';
import { priceBases, snapshotTagOf } from '../src/pricing/price-bases.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { median, ROOT } from './bench-file.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARM = 20;
const PERIOD = '2026-10';
const CUSTOMERS = 100_000;
const ROWS = 1_000_000;
const dir = path.join(ROOT, '.bench');
const file = path.join(dir, `rich-100k-${ROWS}.csv`);
fs.mkdirSync(dir, { recursive: true });
if (!fs.existsSync(file)) {
  console.error(`generating ${file} …`);
  execFileSync(process.execPath, [
    path.resolve(ROOT, '../shared/tools/gen-lineitems.mjs'),
    ...['--out', file, '--rows', String(ROWS), '--customers', String(CUSTOMERS), '--meters', '400'],
    ...['--period', PERIOD, '--days', '2', '--seed', '42', '--rich', '--resellers', '20'],
  ]);
}
const db = path.join(dir, 'margins.db');
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
const store = await SqliteStore.open({ file: db, alerts: alertEngine });
let started = performance.now();
await importFile(store, file);
console.log(
  `imported ${ROWS.toLocaleString('en-US')} lines of ${(await store.customerCount((await store.partners())[0]!.tenantId)).toLocaleString('en-US')} customers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
const partner = (await store.partners())[0]!.tenantId;
const auth = await createServerAuth(store);
const token = await issueLocalToken(auth.keys, { tenant: partner, user: 'bench@partner.example' });

/** A fresh server on the store (empty view caches); `work` gets its base URL and a GET that checks 200. */
async function onFreshServer<T>(work: (get: (url: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const get = async (url: string) => {
    const r = await fetch(base + url, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  try {
    return await work(get);
  } finally {
    await app.close();
  }
}

const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

/** The first answer on a fresh server, and the median of WARM pages after it (offsets walking the view). */
async function measure(first: string, warm: (round: number) => string) {
  const firsts: number[] = [];
  const warms: number[] = [];
  let health: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await onFreshServer(async (get) => {
      firsts.push(await timed(() => get(first)));
      for (let i = 0; i < WARM; i++) warms.push(await timed(() => get(warm(i))));
      health = [...health, ...(await Promise.all([0, 1, 2].map(() => timed(() => get('/healthz')))))];
    });
  }
  return { first: median(firsts), warm: median(warms), health: median(health), firsts };
}

const fmt = (x: number) => `${Math.round(x)} ms`;
const X = '/v1/partnerusage';
const costOnly = await measure(
  `${X}/customers?period=${PERIOD}`,
  (i) => `${X}/customers?period=${PERIOD}&sort=totalCost&offset=${i * 50}`,
);
console.log(
  `cost only — customers route: first ${fmt(costOnly.first)} (${costOnly.firsts.map(fmt).join(', ')}), ` +
    `warm page ${fmt(costOnly.warm)}; baseline GET /healthz ${fmt(costOnly.health)}`,
);

started = performance.now();
const bases = await priceBases(store, partner, PERIOD, await snapshotTagOf(store, partner, PERIOD));
console.log(
  `price bases computed (once after the lines change; serve does it in the background): ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s, ${bases.length.toLocaleString('en-US')} bases`,
);
const reseller = bases.find((b) => b.reseller !== '')!.reseller;
const customer = bases[0]!.customer;
const none = { customer: null, reseller: null, category: null, publisher: null, from: '2026-01' };
await store.prices.set(partner, { ...none, basis: 'cost', adjust: '10' }, 'bench');
await store.prices.set(partner, { ...none, basis: 'retail', adjust: '-5', reseller }, 'bench');
await store.prices.set(partner, { ...none, basis: 'cost', adjust: '-20', customer }, 'bench');

// After a rule change (or new lines) the customers' figures are priced once from the kept bases:
// serve's warmer does it in the background; here the first request does it, on a fresh server.
const cold = await onFreshServer((get) => timed(() => get(`${X}/customers?period=${PERIOD}`)));
console.log(
  `after the rule change, before the warmer priced the customers (the first request prices them): ${fmt(cold)}`,
);
const priced = await measure(
  `${X}/customers?period=${PERIOD}`,
  (i) => `${X}/customers?period=${PERIOD}&sort=margin&order=asc&offset=${i * 50}`,
);
const margins = await measure(
  `${X}/margins?period=${PERIOD}&groupBy=customer`,
  (i) => `${X}/margins?period=${PERIOD}&groupBy=customer&sort=margin&offset=${i * 50}&size=50`,
);
const byReseller = await measure(
  `${X}/margins?period=${PERIOD}&groupBy=reseller`,
  () => `${X}/margins?period=${PERIOD}&groupBy=reseller`,
);
const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
console.log(
  `priced — customers route: first ${fmt(priced.first)} (${priced.firsts.map(fmt).join(', ')}), warm page ${fmt(priced.warm)}`,
);
console.log(
  `priced — margins route by customer: first ${fmt(margins.first)} (${margins.firsts.map(fmt).join(', ')}), ` +
    `warm page ${fmt(margins.warm)}; by reseller: first ${fmt(byReseller.first)}, warm ${fmt(byReseller.warm)}`,
);
console.log(
  `ratios to the cost-only customers route (target ≤ 2×): customers first ${ratio(priced.first, costOnly.first)}, ` +
    `warm ${ratio(priced.warm, costOnly.warm)}; margins first ${ratio(margins.first, costOnly.first)}, ` +
    `warm ${ratio(margins.warm, costOnly.warm)}`,
);
await store.close();
