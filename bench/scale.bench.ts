/**
 * npm run bench:scale — issue #31's third target: answers stay flat as a partner's history grows
 * to twenty million lines on PostgreSQL.
 *
 * Two databases on one embedded PostgreSQL 18 cluster kept under .bench/scale/ (built once, month
 * by month, resumed where a run stopped; each month's file generated, imported with the CLI in its
 * own process and deleted — never more than one month on disk or in memory):
 * - `history`: BENCH_SCALE_MONTHS (20) months of BENCH_SCALE_LINES (1,000,000) lines each, the
 *   same partner, customers and resources every month (`--rich`, BENCH_SCALE_CUSTOMERS customers);
 * - `baseline`: the last of those months alone — the same lines, without the history.
 * Then a `serve` process on each, with the response cache off (every request does its work), and
 * for each route the latency of single requests, alternated between the two servers (the machine's
 * speed drifts), on the last month's data: p50 on the history against p50 on the baseline (target
 * ≤ 1.5×).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../src/server/auth/local-keys.js';
import { alertEngine } from '../dist/alerts/alert-engine.js';
import { PostgresStore } from '../dist/storage/postgres/postgres-store.js';
import { startEmbeddedPostgres } from '../test/helpers/postgres.js';
import { serveProcess } from '../test/helpers/serve-process.js';
import { median, ROOT } from './bench-file.js';

const MONTHS = Number(process.env.BENCH_SCALE_MONTHS ?? 20);
const LINES = Number(process.env.BENCH_SCALE_LINES ?? 1_000_000);
const CUSTOMERS = Number(process.env.BENCH_SCALE_CUSTOMERS ?? 10_000);
const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 40);
const PARTNER = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
const FIRST = { year: 2025, month: 1 };
const DIR = path.join(ROOT, '.bench', 'scale');
const PG_DIR = path.join(DIR, 'pg');
const STATE = path.join(DIR, 'built.json');
const GENERATOR = path.resolve(ROOT, '../shared/tools/gen-lineitems.mjs');
const CLI = path.join(ROOT, 'bin/partner-usage.js');

const periodOf = (i: number): string => {
  const m = FIRST.year * 12 + FIRST.month - 1 + i;
  return `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
};
const LAST = periodOf(MONTHS - 1);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** What is built: the data set's shape, and the months each database holds. */
interface Built {
  readonly shape: string;
  history: number;
  baseline: boolean;
}
const shape = `${MONTHS}×${LINES} lines, ${CUSTOMERS} customers, rich, seed 42`;

let built: Built = fs.existsSync(STATE)
  ? (JSON.parse(fs.readFileSync(STATE, 'utf8')) as Built)
  : { shape, history: 0, baseline: false };
if (built.shape !== shape) {
  console.error(`the data set under ${DIR} is ${built.shape}; making ${shape} instead`);
  fs.rmSync(DIR, { recursive: true, force: true });
  built = { shape, history: 0, baseline: false };
}
fs.mkdirSync(DIR, { recursive: true });
fs.chmodSync(DIR, 0o755); // PostgreSQL runs as its own user (createPostgresUser) and reads through it
const { port, server: cluster } = await startEmbeddedPostgres(PG_DIR, true, ['-c', 'shared_buffers=512MB']);
const urlOf = (db: string) => `postgres://postgres:postgres@127.0.0.1:${port}/${db}`;
const save = () => fs.writeFileSync(STATE, JSON.stringify(built));

/** Generates one month (streamed to a file, not held in memory), imports it with the CLI, deletes it. */
function importMonth(db: string, period: string): { seconds: number; mb: number } {
  const file = path.join(DIR, `month-${period}.csv`);
  execFileSync(
    process.execPath,
    [
      GENERATOR,
      ...['--out', file, '--rows', String(LINES), '--customers', String(CUSTOMERS), '--meters', '400'],
      ...['--period', period, '--seed', '42', '--partner', PARTNER, '--rich', '--resellers', '20'],
    ],
    { stdio: 'ignore' },
  );
  const mb = fs.statSync(file).size / 1e6;
  const started = performance.now();
  try {
    execFileSync(process.execPath, [CLI, 'import', '--db', urlOf(db), file], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
  return { seconds: (performance.now() - started) / 1000, mb };
}

async function createDatabase(db: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${db}`);
  } finally {
    await admin.end();
  }
}

/** Budgets for every tenth customer, so the customers view's % used sorts real figures. */
async function setBudgets(db: string): Promise<void> {
  const store = await PostgresStore.open({ url: urlOf(db), alerts: alertEngine });
  try {
    const customers = await store.customerUsage(PARTNER, LAST);
    for (let i = 0; i < customers.length; i += 10) {
      await store.setBudget(PARTNER, customers[i]!.tenantId, String(100 + (i % 7) * 250), 'bench');
    }
  } finally {
    await store.close();
  }
}

try {
  for (const db of ['history', 'baseline']) await createDatabase(db);
  const imports: { period: string; seconds: number }[] = [];
  for (let i = built.history; i < MONTHS; i++) {
    const { seconds, mb } = importMonth('history', periodOf(i));
    imports.push({ period: periodOf(i), seconds });
    built.history = i + 1;
    save();
    console.error(
      `history: ${periodOf(i)} imported (${mb.toFixed(0)} MB, ${seconds.toFixed(1)} s, ${thousands(LINES / seconds)} lines/s): ` +
        `${thousands((i + 1) * LINES)} lines in all`,
    );
  }
  if (imports.length > 1) {
    console.log(
      `import month by month: the first month built here ${thousands(LINES / imports[0]!.seconds)} lines/s, ` +
        `the last (${thousands(built.history * LINES)} lines stored) ${thousands(LINES / imports.at(-1)!.seconds)} lines/s`,
    );
  }
  if (!built.baseline) {
    const { seconds } = importMonth('baseline', LAST);
    console.error(`baseline: ${LAST} imported (${seconds.toFixed(1)} s)`);
    for (const db of ['history', 'baseline']) await setBudgets(db);
    built.baseline = true;
    save();
  }

  const sizes = new pg.Client({ connectionString: urlOf('postgres') });
  await sizes.connect();
  const size = async (db: string) =>
    Number((await sizes.query('SELECT pg_database_size($1) AS n', [db])).rows[0].n) / 2 ** 30;
  console.log(
    `data set: history ${thousands(MONTHS * LINES)} lines (${MONTHS} months), ${(await size('history')).toFixed(2)} GiB; ` +
      `baseline ${thousands(LINES)} lines (${LAST}), ${(await size('baseline')).toFixed(2)} GiB`,
  );
  await sizes.end();

  // A server on each; the response cache off, so that each request is answered from the database.
  const servers = await Promise.all(
    ['history', 'baseline'].map((db) => serveProcess(urlOf(db), 'compiled', { PARTNER_USAGE_CACHE_MB: '0' })),
  );
  // Each import queued its month for the meter-anomaly pass, which `serve` works off in the
  // background (reading each month's lines and the 28 days before): measured apart, and waited for
  // — measured during it, every route of the history's server was ~2× slower (the two cores busy).
  const queueStarted = performance.now();
  for (const db of ['history', 'baseline']) {
    const client = new pg.Client({ connectionString: urlOf(db) });
    await client.connect();
    try {
      const queued = async () => Number((await client.query('SELECT count(*) AS n FROM anomaly_queue')).rows[0].n);
      const first = await queued();
      while ((await queued()) > 0) await new Promise((r) => setTimeout(r, 500));
      if (first > 0) {
        console.log(
          `${db}: the meter-anomaly pass over ${first} imported months took ${((performance.now() - queueStarted) / 1000).toFixed(0)} s after serve started`,
        );
      }
    } finally {
      await client.end();
    }
  }
  const tokens = await Promise.all(
    ['history', 'baseline'].map(async (db) => {
      const store = await PostgresStore.open({ url: urlOf(db), alerts: alertEngine });
      try {
        return await issueLocalToken(await loadOrCreateLocalKeys(store), {
          tenant: PARTNER,
          user: 'bench@partner.example',
        });
      } finally {
        await store.close();
      }
    }),
  );
  try {
    const get = async (server: 0 | 1, url: string): Promise<number> => {
      const started = performance.now();
      const r = await fetch(servers[server]!.base + url, { headers: { authorization: `Bearer ${tokens[server]}` } });
      const body = await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${url}: ${r.status} ${Buffer.from(body).toString()}`);
      return performance.now() - started;
    };
    const list = async (url: string) => {
      const r = await fetch(servers[1]!.base + url, { headers: { authorization: `Bearer ${tokens[1]}` } });
      return (await r.json()) as { items: { id: string }[] };
    };
    // The same customers and subscriptions on both (the same generated lines).
    const customers = (await list(`/v1/customers/usagerecords?size=1000&period=${LAST}`)).items.map((c) => c.id);
    const picks: { customer: string; subscription: string }[] = [];
    for (
      let i = 0;
      picks.length < REQUESTS && i < customers.length;
      i += Math.max(1, Math.floor(customers.length / REQUESTS))
    ) {
      const subs = await list(`/v1/customers/${customers[i]}/subscriptions/usagerecords?period=${LAST}`);
      if (subs.items[0]) picks.push({ customer: customers[i]!, subscription: subs.items[0].id });
    }
    const start = `${LAST}-01T00:00:00Z`;
    const end = `${periodOf(MONTHS)}-01T00:00:00Z`;
    const X = '/v1/partnerusage';
    const routes: [string, (i: number, period: string) => string][] = [
      [
        'customers, 1,000 a page (usagerecords?size=1000)',
        (_, p) => `/v1/customers/usagerecords?size=1000&period=${p}`,
      ],
      [
        "a subscription's meters (meterusagerecords)",
        (i, p) =>
          `/v1/customers/${picks[i % picks.length]!.customer}/subscriptions/${picks[i % picks.length]!.subscription}/meterusagerecords?period=${p}`,
      ],
      [
        'customers view sorted by % used',
        (i, p) => `${X}/customers?period=${p}&sort=percentUsed&offset=${(i % 10) * 50}`,
      ],
      [
        'margins by customer',
        (i, p) => `${X}/margins?period=${p}&groupBy=customer&sort=margin&offset=${(i % 10) * 50}&size=50`,
      ],
      [
        'utilization of a subscription (a month)',
        (i) =>
          `/v1/customers/${picks[i % picks.length]!.customer}/subscriptions/${picks[i % picks.length]!.subscription}/utilizations/azure?start_time=${start}&end_time=${end}`,
      ],
    ];
    // Warm-up: each server's connections, price bases and views made once, as after an import.
    for (const [, url] of routes)
      for (let i = 0; i < 3; i++) for (const s of [0, 1] as const) await get(s, url(i, LAST));
    console.log(`p50 of ${REQUESTS} single requests per route, alternated between the servers, response cache off:`);
    const ratios: number[] = [];
    for (const [name, url] of routes) {
      const times: [number[], number[]] = [[], []];
      for (let i = 0; i < REQUESTS; i++) {
        // Alternate which server goes first, so neither always follows the other's work.
        const order: (0 | 1)[] = i % 2 === 0 ? [0, 1] : [1, 0];
        for (const s of order) times[s].push(await get(s, url(i, LAST)));
      }
      const [h, b] = [median(times[0]), median(times[1])];
      ratios.push(h / b);
      console.log(
        `  ${name}: ${thousands(MONTHS * LINES)} lines ${h.toFixed(1)} ms | ${thousands(LINES)} lines (baseline) ${b.toFixed(1)} ms | ` +
          `ratio ${(h / b).toFixed(2)} (target ≤ 1.5)`,
      );
    }
    console.log(`worst ratio ${Math.max(...ratios).toFixed(2)} (target ≤ 1.5)`);
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
  await new Promise((r) => setTimeout(r, 1000)); // the servers' connections closed: the copy needs none

  // `partner-usage archive` of the history's first month, on a copy (the data set stays as built).
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  try {
    await admin.query('DROP DATABASE IF EXISTS archive_copy');
    let started = performance.now();
    await admin.query('CREATE DATABASE archive_copy TEMPLATE history');
    const copied = (performance.now() - started) / 1000;
    const out = path.join(DIR, 'archive-bench.parquet');
    started = performance.now();
    // Its peak memory from GNU time when the machine has it (Debian's `time` package).
    const time = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'peak RSS %M KB', process.execPath] : [];
    const args = [CLI, 'archive', '--db', urlOf('archive_copy'), '--before', periodOf(1), '--out', out];
    const run = spawnSync(time[0] ?? process.execPath, [...time.slice(1), ...args], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`archive failed: ${run.stderr}`);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `archive of ${periodOf(0)} (${thousands(LINES)} lines) from a copy of the history (copied in ${copied.toFixed(0)} s): ` +
        `${seconds.toFixed(1)} s, ${thousands(LINES / seconds)} lines/s, a ${(fs.statSync(out).size / 1e6).toFixed(0)} MB file` +
        (time.length > 0 ? `, ${run.stderr.trim().split('\n').at(-1)}` : ''),
    );
    fs.rmSync(out, { force: true });
  } finally {
    await admin.query('DROP DATABASE IF EXISTS archive_copy');
    await admin.end();
  }
} finally {
  await cluster.stop();
}
