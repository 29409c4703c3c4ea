/**
 * npm run bench:grants — issue #30: what a grantee's first request after a change costs (its priced
 * view built: pricing/priced-view.ts) and what later ones cost, beside the partner's own answers to
 * the same route and a bare route, on one server.
 *
 * A generated `--rich` file (200,000 lines, 20,000 customers, 10 resellers, two days; made once
 * under .bench/) is imported into SQLite, with a partner price rule; the largest reseller's tenant
 * and one customer's tenant are given grants. Each figure is the median of ROUNDS fresh servers:
 * - partner: GET /v1/customers/usagerecords?size=100 — its first answer and a warm one;
 * - reseller, customer: the same route as the grantee — the first answer (the view built from the
 *   partner's lines, then the route on it) and a warm one;
 * - baseline: GET /healthz on the same server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServer } from '../src/server/create-server.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { median, ROOT } from './bench-file.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 200_000;
const PERIOD = '2026-10';
const dir = path.join(ROOT, '.bench');
const file = path.join(dir, `rich-grants-${ROWS}.csv`);
const expectFile = `${file}.expect.json`;
fs.mkdirSync(dir, { recursive: true });
if (!fs.existsSync(file)) {
  console.error(`generating ${file} …`);
  execFileSync(process.execPath, [
    path.resolve(ROOT, '../shared/tools/gen-lineitems.mjs'),
    ...['--out', file, '--expect', expectFile, '--rows', String(ROWS), '--customers', '20000', '--meters', '300'],
    ...['--period', PERIOD, '--days', '2', '--seed', '7', '--rich', '--resellers', '10'],
  ]);
}
const expected = JSON.parse(fs.readFileSync(expectFile, 'utf8')) as {
  resellers: Record<string, { customers: number; rows: number }>;
  customers: Record<string, { tier2MpnId?: string }>;
};
const db = path.join(dir, 'grants.db');
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
const store = await SqliteStore.open({ file: db, alerts: alertEngine });
const started = performance.now();
await importFile(store, file);
console.log(`imported ${ROWS.toLocaleString('en-US')} lines in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const partner = (await store.partners())[0]!.tenantId;
const none = { customer: null, reseller: null, category: null, publisher: null, from: '2026-01' };
await store.prices.set(partner, { ...none, basis: 'cost', adjust: '12' }, 'bench');
const [reseller, { rows: resellerRows }] = Object.entries(expected.resellers)
  .filter(([id]) => id !== '')
  .sort((a, b) => b[1].rows - a[1].rows)[0]!;
const customer = Object.keys(expected.customers).find((id) => expected.customers[id]!.tier2MpnId === reseller)!;
const grantees = { reseller: 'e5e5e5e5-0000-4000-8000-0000000000b1', customer: 'c0c0c0c0-0000-4000-8000-0000000000b2' };
await store.access.add(
  partner,
  { tenantId: grantees.reseller, scope: 'reseller', id: reseller, role: 'viewer' },
  'bench',
);
await store.access.add(
  partner,
  { tenantId: grantees.customer, scope: 'customer', id: customer, role: 'viewer' },
  'bench',
);
const auth = await createServerAuth(store);
const tokens = {
  partner: await issueLocalToken(auth.keys, { tenant: partner, user: 'bench@partner.example' }),
  reseller: await issueLocalToken(auth.keys, { tenant: grantees.reseller, user: 'bench@reseller.example' }),
  customer: await issueLocalToken(auth.keys, { tenant: grantees.customer, user: 'bench@customer.example' }),
};

const ROUTE = `/v1/customers/usagerecords?period=${PERIOD}`;
type Who = keyof typeof tokens;
const runs: Record<Who | 'healthz', { first: number[]; warm: number[] }> = {
  partner: { first: [], warm: [] },
  reseller: { first: [], warm: [] },
  customer: { first: [], warm: [] },
  healthz: { first: [], warm: [] },
};
for (let round = 0; round < ROUNDS; round++) {
  const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const timed = async (url: string, token?: string) => {
    const t = performance.now();
    const r = await fetch(base + url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    return performance.now() - t;
  };
  for (const who of ['partner', 'reseller', 'customer'] as const) {
    runs[who].first.push(await timed(`${ROUTE}&size=100`, tokens[who]));
    // A warm answer of the route, not the response cache's: another page each time.
    runs[who].warm.push(await timed(`${ROUTE}&size=99`, tokens[who]));
  }
  runs.healthz.first.push(await timed('/healthz'));
  runs.healthz.warm.push(await timed('/healthz'));
  await app.close();
}
await store.close();

const ms = (xs: number[]) => `${median(xs).toFixed(0).padStart(6)} ms`;
const partnerFirst = median(runs.partner.first);
console.log(
  `\nthe reseller: ${reseller}, ${resellerRows.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} lines`,
);
console.log(`${'who'.padEnd(10)} ${'first'.padStart(9)} ${'warm'.padStart(9)}   first ÷ the partner's first`);
for (const who of ['partner', 'reseller', 'customer', 'healthz'] as const) {
  console.log(
    `${who.padEnd(10)} ${ms(runs[who].first)} ${ms(runs[who].warm)}   ${(median(runs[who].first) / partnerFirst).toFixed(2)}×`,
  );
}
