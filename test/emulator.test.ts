/**
 * Issue #32: emulator mode (fault rules, reset, named snapshots), `snapshot save|load`, request
 * budgets, /metrics and HTTPS — through real HTTP on 127.0.0.1, the SDK, `sync` and the CLI, on
 * both backends where the database is involved.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import { spawn } from 'node:child_process';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  PartnerCenter,
  ServiceUnavailableError,
  TooManyRequestsError,
} from '../src/sdk/index.js';
import { loadDemoData, DEMO_PARTNER } from '../src/demo/demo-data.js';
import type { Store } from '../src/storage/store.js';
import { graphRoot, partnerCenterRoot } from '../src/sync/endpoints.js';
import { syncPartner } from '../src/sync/sync-run.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { bundled } from './helpers/bundled.js';
import { cli } from './helpers/cli-in-process.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
const OTHER_PARTNER = '22222222-2222-4222-8222-222222222222';

/** One customer's usage records as the API answers them: id → total. */
async function totalsOf(server: TestServer, token: string): Promise<Map<string, string>> {
  const res = await fetch(`${server.baseUrl}/v1/customers/usagerecords?size=1000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { items: { id: string; totalCost: number }[] };
  return new Map(body.items.map((i) => [i.id, String(i.totalCost)]));
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('fault rules (serve --faults)', () => {
  const dir = tempDir();
  let server: TestServer;
  let expect: Expected;
  let token: string;
  let customer: string;
  const faults = () => `${server.baseUrl}/_emulator/faults`;
  const usage = (t = token) =>
    fetch(`${server.baseUrl}/v1/customers/usagerecords?size=5`, { headers: { authorization: `Bearer ${t}` } });
  const sdk = (options: { maxRetries?: number; timeoutMs?: number } = {}) =>
    new PartnerCenter({ baseUrl: server.baseUrl, credential: token, ...options });

  before(async () => {
    let file: string;
    ({ file, expect } = generate(dir, 'a.csv', { rows: 900, customers: 4, period: PERIOD, seed: 32 }));
    server = await startTestServer(
      await testDatabase('sqlite', dir, 'faults'),
      {},
      undefined,
      { settings: { runningPolls: 0, retryAfterSeconds: 0, blobLines: 200, sasSeconds: 600 } },
      { emulator: { snapshots: path.join(dir, 'snapshots'), demo: loadDemoData } },
    );
    await importFile(server.store, file);
    token = await server.token({ tenant: expect.partnerId });
    customer = Object.keys(expect.customers)[0]!;
  });
  after(() => server.close());

  it('answers no page of another site, nor a rebinding name, so a browser cannot be made to wipe or fail it', async () => {
    const host = new URL(server.baseUrl).host;
    const reset = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
      server.app.inject({ method: 'POST', url: '/_emulator/reset', headers, remoteAddress, payload: '' });
    for (const [headers, remoteAddress] of [
      [{ host, origin: 'https://evil.example' }, '127.0.0.1'],
      [{ host: 'evil.example:8787', origin: 'http://evil.example:8787' }, '127.0.0.1'], // DNS rebinding
      [{ host: 'evil.example:8787' }, '127.0.0.1'],
      [{ host: 'usage.internal:8787', origin: 'https://evil.example' }, '10.1.2.3'], // --faults-anywhere
    ] as const) {
      const res = await reset(headers, remoteAddress);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.match(res.json<{ description: string }>().description, /not a page of another site/);
    }
    assert.equal((await usage()).status, 200, 'nothing was reset');
    const page = await server.app.inject({
      method: 'GET',
      url: '/_emulator/faults',
      headers: { host, origin: `http://${host}` },
      remoteAddress: '127.0.0.1',
    });
    assert.equal(page.statusCode, 200, "this server's own page");
    const remote = await server.app.inject({
      method: 'GET',
      url: '/_emulator/faults',
      headers: { host: 'usage.internal:8787' },
      remoteAddress: '10.1.2.3',
    });
    assert.equal(remote.statusCode, 200, 'a tool on another machine (--faults-anywhere)');
  });

  it('refuses a rule that is not one, with the fault body naming what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ path: '/v1/customers', status: 500, bogus: 1 }, /bogus/],
      [{ status: 500 }, /either an "operation" or a "path"/],
      [{ operation: 'getCustomerUsageRecords', path: '/v1/x', status: 500 }, /either an "operation" or a "path"/],
      [{ operation: 'noSuchOperation', status: 500 }, /no operation "noSuchOperation"/],
      [{ operation: 'getCustomerUsageRecords' }, /needs an effect/],
      [{ operation: 'getCustomerUsageRecords', status: 418 }, /status/],
      [{ operation: 'getCustomerUsageRecords', status: 500, probability: 2 }, /probability/],
      [{ operation: 'getCustomerUsageRecords', status: 500, customer: 'not-a-guid' }, /customer/],
    ];
    for (const [body, message] of cases) {
      const res = await post(faults(), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const fault = (await res.json()) as { code: number; description: string };
      assert.equal(fault.code, 800002);
      assert.match(fault.description, message);
    }
    const bad = await fetch(faults(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(bad.status, 400);
    assert.equal(((await (await fetch(faults())).json()) as { totalCount: number }).totalCount, 0);
  });

  it('answers 429 with Partner Center’s throttling body and Retry-After, for as many calls as its count, and lists how often it fired', async () => {
    const created = await post(faults(), {
      operation: 'getCustomerUsageRecords',
      status: 429,
      retryAfter: 7,
      count: 2,
    });
    assert.equal(created.status, 201);
    const rule = (await created.json()) as { id: string; fired: number };
    assert.equal(rule.fired, 0);
    for (let i = 0; i < 2; i++) {
      const res = await usage();
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.ok(res.headers.get('ms-requestid'), 'the tracing headers on a fault too');
      assert.deepEqual(await res.json(), {
        statusCode: 429,
        message: 'Rate limit is exceeded. Try again in 7 seconds.',
      });
    }
    assert.equal((await usage()).status, 200, 'a spent count no longer fires');
    const listed = (await (await fetch(faults())).json()) as { items: { id: string; fired: number }[] };
    assert.deepEqual(
      listed.items.map((r) => [r.id, r.fired]),
      [[rule.id, 2]],
    );
    assert.equal((await fetch(`${faults()}/${rule.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${faults()}/${rule.id}`, { method: 'DELETE' })).status, 404);
  });

  it('the SDK retries 429 and 5xx as it documents, and gives up after maxRetries with the typed error', async () => {
    await post(faults(), { operation: 'getCustomerUsageRecords', status: 429, retryAfter: 0, count: 2 });
    const page = await sdk({ maxRetries: 2 }).customers.usageRecords.get();
    assert.equal(page.totalCount, Object.keys(expect.customers).length, 'two throttled calls, then the answer');

    await post(faults(), { operation: 'getCustomerUsageRecords', status: 429, retryAfter: 0 });
    await assert.rejects(sdk({ maxRetries: 1 }).customers.usageRecords.get(), TooManyRequestsError);
    let listed = (await (await fetch(faults())).json()) as { items: { fired: number }[] };
    assert.equal(listed.items.at(-1)!.fired, 2, 'the first call and one retry');
    await fetch(faults(), { method: 'DELETE' });

    await post(faults(), { path: '/v1/customers/*/usagebudget', method: 'GET', status: 503, retryAfter: 0 });
    await assert.rejects(
      sdk({ maxRetries: 1 }).customers.byId(customer).usageBudget.get(),
      (e: unknown) => e instanceof ServiceUnavailableError && e.code === 800003,
    );
    // The rule matches the path's method only: the usage records are still answered.
    assert.equal((await usage()).status, 200);
    listed = (await (await fetch(faults())).json()) as { items: { fired: number }[] };
    assert.equal(listed.items[0]!.fired, 2);
    await fetch(faults(), { method: 'DELETE' });
  });

  it('delays, drops and matches by partner and customer', async () => {
    await post(faults(), { operation: 'getCustomerUsageRecords', delayMs: 1500 });
    await assert.rejects(
      sdk({ maxRetries: 0, timeoutMs: 300 }).customers.usageRecords.get(),
      APIConnectionTimeoutError,
    );
    await fetch(faults(), { method: 'DELETE' });

    await post(faults(), { operation: 'getCustomerUsageRecords', drop: true, count: 1 });
    await assert.rejects(usage(), /fetch failed/, 'the connection closed without an answer');
    assert.equal((await usage()).status, 200);
    await post(faults(), { operation: 'getCustomerUsageRecords', drop: true });
    await assert.rejects(sdk({ maxRetries: 1 }).customers.usageRecords.get(), APIConnectionError);
    await fetch(faults(), { method: 'DELETE' });

    // Another partner's calls are not this rule's.
    await post(faults(), { path: '/v1/**', partner: OTHER_PARTNER, status: 500 });
    assert.equal((await usage()).status, 200);
    assert.equal((await usage(await server.token({ tenant: OTHER_PARTNER }))).status, 500);
    await fetch(faults(), { method: 'DELETE' });

    const other = Object.keys(expect.customers)[1]!;
    await post(faults(), { path: '/v1/customers/*/subscriptions/**', customer, status: 504 });
    const subscriptions = (c: string) =>
      fetch(`${server.baseUrl}/v1/customers/${c}/subscriptions/usagerecords`, {
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await subscriptions(customer.toUpperCase())).status, 504, 'the customer id in any case');
    assert.equal((await subscriptions(other)).status, 200);
    await fetch(faults(), { method: 'DELETE' });
  });

  it('a seeded probability fails the same calls on every run', async () => {
    const run = async () => {
      await post(faults(), { operation: 'getCustomerUsageRecords', status: 500, probability: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await usage()).status);
      await fetch(faults(), { method: 'DELETE' });
      return statuses;
    };
    const first = await run();
    assert.deepEqual(await run(), first);
    const failed = first.filter((s) => s === 500).length;
    assert.ok(failed > 3 && failed < 21, `about half fail: ${failed} of 24`);
  });

  it('sync survives a fault in every step of Graph’s export as one failed snapshot, and succeeds on the next run', async () => {
    const dir2 = tempDir();
    const store = await (await testDatabase('sqlite', dir2, 'sync')).open();
    const graph = await server.token({ tenant: expect.partnerId, graph: true });
    const sync = () =>
      syncPartner(store, {
        source: 'graph',
        partnerTenantId: expect.partnerId,
        period: 'current',
        currencies: [expect.customers[customer]!.currency],
        token: () => Promise.resolve(graph),
        graphUrl: graphRoot(server.baseUrl),
        partnerCenterUrl: partnerCenterRoot(server.baseUrl),
        http: { sleep: () => Promise.resolve() },
      });
    try {
      const rules = [
        { operation: 'unbilledUsage.export', status: 503 },
        { operation: 'operation.get', status: 500 },
        { operation: 'operation.get', status: 429, retryAfter: 0 },
        { operation: 'blob.download', drop: true },
        { operation: 'blob.download', status: 403 },
        { operation: 'blob.download', cutAfterBytes: 100 },
      ];
      for (const rule of rules) {
        await post(faults(), rule);
        const results = await sync();
        assert.equal(results.length, 1);
        assert.equal(results[0]!.status, 'failed', JSON.stringify(rule));
        assert.equal((await store.partners()).length, 0, `nothing stored: ${JSON.stringify(rule)}`);
        await fetch(faults(), { method: 'DELETE' });
      }
      const sas = await post(faults(), { operation: 'blob.download', status: 403, count: 1 });
      assert.equal(sas.status, 201);
      const graphError = await fetch(`${server.baseUrl}/blobs/x`);
      assert.equal(graphError.status, 403);
      assert.match(
        await graphError.text(),
        /<Code>AuthenticationFailed<\/Code>/,
        "Azure Storage's words for an expired SAS",
      );
      const results = await sync();
      assert.deepEqual(
        results.map((r) => r.status),
        ['imported'],
      );
      assert.ok((await store.partners()).length > 0);
    } finally {
      await store.close();
      await fetch(faults(), { method: 'DELETE' });
    }
  });

  it('Graph routes fail in Graph’s envelope', async () => {
    await post(faults(), { path: '/v1.0/reports/**', status: 429, retryAfter: 3 });
    const res = await fetch(`${server.baseUrl}/v1.0/reports/partners/billing/operations/x`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'TooManyRequests');
    await fetch(faults(), { method: 'DELETE' });
  });
});

for (const backend of BACKENDS) {
  describe(`state on ${backend}: snapshots, reset, snapshot save|load`, () => {
    const dir = tempDir();
    let db: TestDatabase;
    let server: TestServer;
    let expect: Expected;
    let token: string;
    let customer: string;

    before(async () => {
      let file: string;
      ({ file, expect } = generate(dir, 'a.csv', { rows: 1200, customers: 5, period: PERIOD, seed: 9 }));
      db = await testDatabase(backend, dir, 'state');
      server = await startTestServer(db, {}, undefined, undefined, {
        emulator: { snapshots: path.join(dir, 'snapshots'), demo: loadDemoData },
      });
      await importFile(server.store, file);
      token = await server.token({ tenant: expect.partnerId });
      customer = Object.keys(expect.customers)[0]!;
    });
    after(() => server.close());

    // Loading moves the data version (store_state) that tells every node to drop its caches.
    const checksum = () => db.checksum(['store_state']);
    const setBudget = (amount: number) =>
      fetch(`${server.baseUrl}/v1/customers/${customer}/usagebudget`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount }),
      });

    it('a named snapshot taken while serving is loaded back exactly; reset empties, or brings back the demo data', async () => {
      assert.equal((await setBudget(100)).status, 200);
      const saved = await totalsOf(server, token);
      const rowsAsSaved = await checksum();
      const snap = await post(`${server.baseUrl}/_emulator/snapshot`, { name: 'before' });
      assert.equal(snap.status, 201);
      const info = (await snap.json()) as { rows: number; tables: number };
      assert.ok(info.rows > 0 && info.tables > 20);

      assert.equal((await setBudget(555)).status, 200);
      assert.equal((await post(`${server.baseUrl}/_emulator/reset`, {})).status, 200);
      assert.equal((await totalsOf(server, token)).size, 0, 'reset: no customer left');

      const loaded = await post(`${server.baseUrl}/_emulator/load`, { name: 'before' });
      assert.equal(loaded.status, 200);
      assert.deepEqual(await totalsOf(server, token), saved);
      assert.equal(await checksum(), rowsAsSaved, 'every row of every table as saved');
      const budget = (await (
        await fetch(`${server.baseUrl}/v1/customers/${customer}/usagebudget`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { amount: number };
      assert.equal(budget.amount, 100);
      assert.deepEqual(
        ((await (await fetch(`${server.baseUrl}/_emulator/snapshots`)).json()) as { items: { name: string }[] }).items,
        [{ name: 'before' }],
      );
      // Bad names and missing snapshots are 400s, nothing changed.
      assert.equal((await post(`${server.baseUrl}/_emulator/snapshot`, { name: '../x' })).status, 400);
      assert.equal((await post(`${server.baseUrl}/_emulator/load`, { name: 'nope' })).status, 400);
      assert.equal(await checksum(), rowsAsSaved);
    });

    it('snapshot save|load: a backup taken beside a running server restores the totals as saved; a bad file changes nothing', async () => {
      const file = path.join(dir, `backup-${backend}.snapshot`);
      const saved = await totalsOf(server, token);
      const rowsAsSaved = await checksum();
      const save = await cli(['snapshot', 'save', file, '--db', db.location]);
      assert.equal(save.status, 0, save.stderr);
      assert.match(save.stderr, /saved .* rows in \d+ tables/);

      assert.equal((await setBudget(777)).status, 200);
      const { file: more } = generate(dir, 'b.csv', { rows: 300, customers: 2, period: PERIOD, seed: 10 });
      await importFile(server.store, more);
      assert.notEqual(await checksum(), rowsAsSaved);

      const damaged = path.join(dir, 'damaged.snapshot');
      fs.writeFileSync(damaged, fs.readFileSync(file).subarray(0, 4096));
      const changed = await checksum();
      const refused = await cli(['snapshot', 'load', damaged, '--db', db.location]);
      assert.equal(refused.status, 1, refused.stderr);
      assert.equal(await checksum(), changed, 'a damaged snapshot loads nothing');
      const notOurs = path.join(dir, 'not-a-snapshot');
      fs.writeFileSync(notOurs, 'hello');
      const notOne = await cli(['snapshot', 'load', notOurs, '--db', db.location]);
      assert.equal(notOne.status, 1);
      assert.match(notOne.stderr, /not a partner-usage snapshot/);

      const load = await cli(['snapshot', 'load', file, '--db', db.location]);
      assert.equal(load.status, 0, load.stderr);
      // The server sees the other process's load (its data version moved) within its poll.
      await new Promise((resolve) => setTimeout(resolve, 450));
      assert.deepEqual(await totalsOf(server, token), saved);
      assert.equal(await checksum(), rowsAsSaved);
    });

    it('a snapshot of the other backend is refused with a sentence', async () => {
      const other = path.join(dir, 'other.snapshot');
      if (backend === 'sqlite') fs.writeFileSync(other, zlib.gzipSync('{"partnerUsageSnapshot":1}\n'));
      else fs.writeFileSync(other, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(84)]));
      const res = await cli(['snapshot', 'load', other, '--db', db.location]);
      assert.equal(res.status, 1);
      assert.match(res.stderr, backend === 'sqlite' ? /saved from PostgreSQL/ : /saved from an SQLite database/);
    });

    it('reset with {"demo": true} brings back the demo data', async () => {
      const res = await post(`${server.baseUrl}/_emulator/reset`, { demo: true });
      assert.equal(res.status, 200);
      assert.ok(((await res.json()) as { partners: number }).partners >= 1);
      const demoToken = await server.token({ tenant: DEMO_PARTNER });
      assert.ok((await totalsOf(server, demoToken)).size > 100);
      assert.equal((await post(`${server.baseUrl}/_emulator/reset`, { demo: 'yes' })).status, 400);
    });
  });
}

describe('request budgets (serve --rate-limit)', () => {
  const dir = tempDir();
  let server: TestServer;
  let expect: Expected;

  before(async () => {
    let file: string;
    ({ file, expect } = generate(dir, 'a.csv', { rows: 300, customers: 3, period: PERIOD, seed: 5 }));
    server = await startTestServer(await testDatabase('sqlite', dir, 'limits'), {}, undefined, undefined, {
      rateLimits: { partner: { requests: 6, seconds: 60 }, customer: { requests: 2, seconds: 60 } },
    });
    await importFile(server.store, file);
  });
  after(() => server.close());

  it('answers 429 with Retry-After and the throttling body once a partner, or a partner about a customer, spends its budget', async () => {
    const token = await server.token({ tenant: expect.partnerId });
    const get = (p: string, t = token) =>
      fetch(`${server.baseUrl}/v1${p}`, { headers: { authorization: `Bearer ${t}` } });
    const [c1, c2] = Object.keys(expect.customers);
    assert.equal((await get(`/customers/${c1}/usagebudget`)).status, 200);
    assert.equal((await get(`/customers/${c1}/usagebudget`)).status, 200);
    const throttled = await get(`/customers/${c1}/usagebudget`);
    assert.equal(throttled.status, 429, 'the partner-and-customer budget: 2');
    const seconds = Number(throttled.headers.get('retry-after'));
    assert.ok(seconds >= 1 && seconds <= 60);
    assert.deepEqual(await throttled.json(), {
      statusCode: 429,
      message: `Rate limit is exceeded. Try again in ${seconds} seconds.`,
    });
    assert.equal((await get(`/customers/${c2}/usagebudget`)).status, 200, 'another customer has its own budget');
    assert.equal((await get('/customers/usagerecords')).status, 200);
    assert.equal((await get('/customers/usagerecords')).status, 200);
    assert.equal((await get('/customers/usagerecords')).status, 429, "the partner's budget: 6");
    const other = await server.token({ tenant: OTHER_PARTNER });
    assert.equal((await get('/customers/usagerecords', other)).status, 200, 'another partner has its own budget');
    // The SDK reads Retry-After: with no retry left, the typed error says how long to wait.
    const sdk = new PartnerCenter({ baseUrl: server.baseUrl, credential: token, maxRetries: 0 });
    await assert.rejects(sdk.customers.usageRecords.get(), TooManyRequestsError);
  });
});

/** Prometheus' text format as `name label=value,…` (labels sorted) → value, for every sample line. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`);
    samples.set(`${m[1]} ${labels.sort().join(',')}`, Number(m[3]));
  }
  return samples;
}

describe('GET /metrics and HTTPS', () => {
  const dir = tempDir();
  let store: Store | undefined;

  after(() => store?.close());

  it('counts requests by operation, status and node, cache hits, imports, deliveries and faults; answers loopback only unless a token is set', async () => {
    const { file, expect } = generate(dir, 'a.csv', { rows: 300, customers: 3, period: PERIOD, seed: 6 });
    const server = await startTestServer(await testDatabase('sqlite', dir, 'metrics'), {}, undefined, undefined, {
      emulator: { snapshots: path.join(dir, 'snapshots'), demo: loadDemoData },
    });
    try {
      await importFile(server.store, file);
      const token = await server.token({ tenant: expect.partnerId });
      let node = '';
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${server.baseUrl}/v1/customers/usagerecords`, {
          headers: { authorization: `Bearer ${token}` },
        });
        node = res.headers.get('ms-serverid')!;
      }
      await post(`${server.baseUrl}/_emulator/faults`, { operation: 'getPartnerUsageSummary', status: 503, count: 1 });
      await fetch(`${server.baseUrl}/v1/usagesummary`, { headers: { authorization: `Bearer ${token}` } });
      const res = await fetch(`${server.baseUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
      const m = parseMetrics(await res.text());
      const at = (name: string, labels: Record<string, string>) =>
        m.get(
          `${name} ${Object.entries({ ...labels, node })
            .map(([k, v]) => `${k}=${v}`)
            .sort()
            .join(',')}`,
        );
      assert.equal(at('partner_usage_http_requests_total', { operation: 'getCustomerUsageRecords', status: '200' }), 3);
      assert.equal(at('partner_usage_http_requests_total', { operation: 'getPartnerUsageSummary', status: '503' }), 1);
      assert.equal(
        at('partner_usage_http_request_duration_seconds_count', { operation: 'getCustomerUsageRecords' }),
        3,
      );
      assert.equal(at('partner_usage_response_cache_lookups_total', { outcome: 'hit' }), 2);
      assert.equal(at('partner_usage_faults_injected_total', { effect: '503' }), 1);
      assert.equal(
        at('partner_usage_imports', { format: 'daily-rated' }) ?? at('partner_usage_imports', { format: 'csv' }),
        1,
      );
      assert.equal(at('partner_usage_import_lines', { outcome: 'stored' }), 300);
      assert.equal(at('partner_usage_deliveries', { state: 'pending' }), 0);
      assert.ok((at('process_resident_memory_bytes', {}) ?? 0) > 0, 'the process’s memory is reported');

      // From another address, without a token: refused (Fastify's inject sets the peer).
      const remote = await server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
      assert.equal(remote.statusCode, 403);
      assert.match(remote.json<{ description: string }>().description, /PARTNER_USAGE_METRICS_TOKEN/);
      // Through a reverse proxy on this machine (it connects from 127.0.0.1 for everyone): refused too.
      for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
        const proxied = await server.app.inject({
          method: 'GET',
          url: '/metrics',
          remoteAddress: '127.0.0.1',
          headers: { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' },
        });
        assert.equal(proxied.statusCode, 403, header);
      }
    } finally {
      await server.close();
    }
    const guarded = await startTestServer(await testDatabase('sqlite', dir, 'guarded'), {}, undefined, undefined, {
      metricsToken: 'scrape-secret',
    });
    try {
      assert.equal((await fetch(`${guarded.baseUrl}/metrics`)).status, 403);
      const ok = await fetch(`${guarded.baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
      assert.equal(ok.status, 200);
      assert.equal(
        (await fetch(`${guarded.baseUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status,
        403,
      );
    } finally {
      await guarded.close();
    }
  });

  it('serves HTTPS with a certificate and key, to a TLS client that trusts it', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const server = await startTestServer(await testDatabase('sqlite', dir, 'tls'), {}, undefined, undefined, {
      https: { cert: pems.cert, key: pems.private },
    });
    try {
      assert.match(server.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${server.baseUrl}/healthz`, { ca: pems.cert }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          })
          .on('error', reject);
      });
      assert.equal(body, '200 {"status":"ok"}');
      // A client that does not trust the certificate is refused by TLS itself.
      await assert.rejects(
        new Promise((resolve, reject) => https.get(`${server.baseUrl}/healthz`, resolve).on('error', reject)),
        /self-signed|self signed/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('serve: emulator and TLS flags', () => {
  it('serve --faults --in-memory: a throwaway server with demo data that writes nothing to disk unless asked', async () => {
    const cwd = tempDir();
    const child = spawn(
      process.execPath,
      [await bundled('src/cli/main.ts'), 'serve', '--faults', '--in-memory', '--port', '0'],
      {
        cwd,
        env: { ...process.env, LOG_LEVEL: 'warn', PARTNER_USAGE_DB: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /serving (http:\/\/[^/]+)\/v1 .*\(database memory/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const rule = await post(`${baseUrl}/_emulator/faults`, { operation: 'getCustomerUsageRecords', status: 500 });
      assert.equal(rule.status, 201);
      assert.deepEqual(fs.readdirSync(cwd), [], 'no database, no snapshot folder');
      // A named snapshot of the memory database (the demo data it started with) is a file; loaded back after a reset.
      const saved = await post(`${baseUrl}/_emulator/snapshot`, { name: 'demo' });
      assert.equal(saved.status, 201);
      assert.ok(((await saved.json()) as { rows: number }).rows > 1000, 'started with the demo data');
      assert.ok(fs.existsSync(path.join(cwd, 'data', 'snapshots', 'demo.snapshot')));
      assert.equal(((await (await post(`${baseUrl}/_emulator/reset`, {})).json()) as { partners: number }).partners, 0);
      const loaded = await post(`${baseUrl}/_emulator/load`, { name: 'demo' });
      assert.equal(loaded.status, 200, await loaded.clone().text());
      assert.ok(((await loaded.json()) as { rows: number }).rows > 1000, 'the demo data, back');
      const after = (await (await fetch(`${baseUrl}/_emulator/snapshots`)).json()) as { totalCount: number };
      assert.equal(after.totalCount, 1);
      assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses emulator mode beyond loopback without --faults-anywhere, and half a certificate', async () => {
    const anywhere = await cli(['serve', '--faults', '--host', '0.0.0.0', '--port', '0', '--no-demo', '--in-memory']);
    assert.equal(anywhere.status, 2);
    assert.match(anywhere.stderr, /--faults-anywhere/);
    const half = await cli(['serve', '--cert', 'x.pem', '--port', '0', '--in-memory']);
    assert.equal(half.status, 2);
    assert.match(half.stderr, /both --cert and --key/);
    const both = await cli(['serve', '--in-memory', '--db', 'x.db', '--port', '0']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--db or --in-memory, not both/);
  });
});
