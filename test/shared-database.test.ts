import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { importFile } from '../src/ingest/importer.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../src/server/auth/local-keys.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { referenceTotals, scaled } from './helpers/reference-totals.js';
import { serveProcess } from './helpers/serve-process.js';

// The receivers listen on 127.0.0.1 (run-suite sets this; a file run alone needs it too).
process.env.PARTNER_USAGE_WEBHOOK_ALLOW ??= '127.0.0.1';

after(stopPostgres);

async function customerTotals(db: TestDatabase): Promise<Map<string, bigint>> {
  const rows = await db.query<{ id: string; billing: string }>(
    `SELECT c.tenant_id AS id, u.billing_total AS billing FROM customer_usage u
     JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = '2026-07'`,
  );
  return new Map(rows.map((r) => [r.id, scaled(String(r.billing))]));
}

for (const backend of BACKENDS) {
  describe(`${backend}: one database, several processes`, () => {
    const dir = tempDir();

    it('never double-counts two imports of the same file at once, and keeps two files of other months apart', async () => {
      const db = await testDatabase(backend, dir, 'concurrent');
      const july = generate(dir, 'july.csv', { rows: 6000, customers: 15, period: '2026-07', seed: 61 });
      const august = generate(dir, 'august.csv', { rows: 6000, customers: 15, period: '2026-08', seed: 61 });
      const stores = await Promise.all([db.open(), db.open(), db.open()]);
      try {
        const results = await Promise.all([
          importFile(stores[0]!, july.file),
          importFile(stores[1]!, july.file),
          importFile(stores[2]!, august.file),
        ]);
        assert.deepEqual(
          results.map((r) => r.lines),
          [6000, 6000, 6000],
        );
        assert.equal(
          results[0]!.replaced + results[1]!.replaced,
          6000,
          'one of the two replaced every line of the other',
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      const expected = new Map([...referenceTotals(july.file).customers].map(([id, t]) => [id, t.billing]));
      assert.deepEqual(await customerTotals(db), expected);
      const augustRows = await db.query<{ n: number | string }>(
        "SELECT count(*) AS n FROM customer_usage WHERE period = '2026-08'",
      );
      assert.equal(Number(augustRows[0]!.n), Object.keys(august.expect.customers).length);
    });

    it('serves the same answers from two server processes, and a continuation token from one works on the other', async () => {
      const db = await testDatabase(backend, dir, 'two_servers');
      const gen = generate(dir, 'servers.csv', { rows: 3000, customers: 30, period: '2026-07', seed: 62 });
      const store = await db.open();
      let token: string;
      try {
        await importFile(store, gen.file);
        token = await issueLocalToken(await loadOrCreateLocalKeys(store), { tenant: gen.expect.partnerId });
      } finally {
        await store.close();
      }
      const [a, b] = await Promise.all([serveProcess(db.location, 'bundled'), serveProcess(db.location, 'bundled')]);
      try {
        const headers = { Authorization: `Bearer ${token}` };
        const get = async (base: string, uri: string, extra: Record<string, string> = {}) => {
          const response = await fetch(`${base}${uri}`, { headers: { ...headers, ...extra } });
          return { status: response.status, text: await response.text() };
        };
        const first = await get(a.base, '/v1/customers/usagerecords?size=10&period=2026-07');
        assert.equal(first.status, 200, first.text);
        assert.equal((await get(b.base, '/v1/customers/usagerecords?size=10&period=2026-07')).text, first.text);
        const next = (JSON.parse(first.text) as { links: { next: { uri: string; headers: { value: string }[] } } })
          .links.next;
        const fromB = await get(b.base, `/v1${next.uri}`, { 'MS-ContinuationToken': next.headers[0]!.value });
        const fromA = await get(a.base, `/v1${next.uri}`, { 'MS-ContinuationToken': next.headers[0]!.value });
        assert.equal(fromB.status, 200, fromB.text);
        assert.equal(fromB.text, fromA.text);
        assert.equal((JSON.parse(fromB.text) as { items: unknown[] }).items.length, 10);
      } finally {
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
      }
    });

    it('two serve processes send each alert delivery once; one down across a restart of serve is sent when its receiver is back', async () => {
      const db = await testDatabase(backend, dir, 'two_senders');
      const gen = generate(dir, 'senders.csv', { rows: 600, customers: 5, period: '2026-07', seed: 63 });
      const partner = gen.expect.partnerId;
      const hook = await receiver();
      const store = await db.open();
      try {
        await importFile(store, gen.file);
        await store.alerts.addWebhook(partner, hook.url, undefined, 'cli');
        for (let i = 0; i < 30; i++) await store.alerts.test(partner, undefined, 'usage.anomaly');
      } finally {
        await store.close();
      }
      const env = { PARTNER_USAGE_DELIVERY_POLL_MS: '10', PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS: '100' };
      const pending = () =>
        db.query<{ id: string; attempts: number }>(
          "SELECT delivery_id AS id, attempts FROM deliveries WHERE status = 'pending'",
        );
      const senders = await Promise.all([
        serveProcess(db.location, 'bundled', env),
        serveProcess(db.location, 'bundled', env),
      ]);
      try {
        const delivered = () =>
          db.query<{ id: string }>("SELECT delivery_id AS id FROM deliveries WHERE status = 'delivered'");
        // Settled: the 30 and whatever the servers raised meanwhile (meter anomalies) all delivered.
        await until(async () => {
          const n = (await delivered()).length;
          return n >= 30 && n === hook.seen.size && (await pending()).length === 0;
        });
        const ids = (await delivered()).map((d) => d.id).sort();
        assert.ok(ids.length >= 30, 'the 30 test alerts (and any anomaly the import raised) delivered');
        assert.deepEqual([...hook.seen.keys()].sort(), ids);
        assert.ok(
          [...hook.seen.values()].every((n) => n === 1),
          'no delivery sent twice by the two processes',
        );

        // The receiver goes away; an alert waits, retried, across a restart of both servers.
        const port = hook.port;
        await hook.close();
        await Promise.all(senders.map((s) => stopped(s.child)));
        const again = await db.open();
        try {
          await again.alerts.test(partner, undefined, 'budget.threshold_reached');
        } finally {
          await again.close();
        }
        const first = await serveProcess(db.location, 'bundled', env);
        await until(async () => (await pending()).some((d) => Number(d.attempts) >= 1));
        await stopped(first.child);
        const waiting = await pending();
        assert.equal(waiting.length, 1, 'still pending after the server stopped');
        const back = await receiver(port);
        const restarted = await serveProcess(db.location, 'bundled', env);
        try {
          await until(async () => back.seen.size === 1);
          assert.deepEqual([...back.seen.keys()], [waiting[0]!.id], 'the same webhook-id as the failed attempts');
          await until(async () => (await pending()).length === 0);
          assert.equal((await pending()).length, 0);
        } finally {
          await stopped(restarted.child);
          await back.close();
        }
      } finally {
        for (const s of senders) s.child.kill('SIGTERM');
        await hook.close().catch(() => undefined);
      }
    });
  });
}

/** A webhook receiver on 127.0.0.1 that answers 204 and counts attempts per webhook-id. */
async function receiver(port = 0) {
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    seen,
    port: address.port,
    url: `http://127.0.0.1:${address.port}/hook`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** Waits for `done`, polling; fails after 20 s. */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a serve process (SIGTERM) and waits for it to exit. */
function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}
