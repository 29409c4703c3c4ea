/**
 * Real faults (issue #32): PostgreSQL stopped in the middle of an import, of a sync, of a burst of
 * requests and of the delivery queue — taken down by cutting a TCP relay in front of the run's
 * cluster, as a stopped server goes (connections reset, the port refused) — and an SQLite file on
 * a full disk. Nothing is half-stored, the API answers 503 with the fault body while the database
 * is gone (not a hang, not a crash) and recovers by itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { DeliveryWorker } from '../src/alerts/delivery-worker.js';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import { openStore } from '../src/storage/open-store.js';
import { graphRoot, partnerCenterRoot } from '../src/sync/endpoints.js';
import { syncPartner } from '../src/sync/sync-run.js';
import { testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

process.env.PARTNER_USAGE_WEBHOOK_ALLOW ??= '127.0.0.1';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
const get = (server: TestServer, url: string, token: string) =>
  fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });

/** Until `ok` holds, or 20 s: how a client waits for a server to recover by itself. */
async function eventually(ok: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await ok())) {
    if (Date.now() > until) assert.fail('did not recover within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('PostgreSQL stopped and started again', () => {
  const dir = tempDir();
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  let expect: Expected;
  let token: string;

  before(async () => {
    let file: string;
    ({ file, expect } = generate(dir, 'a.csv', { rows: 600, customers: 6, period: PERIOD, seed: 21 }));
    db = await testDatabase('postgres', dir, 'outage');
    const url = new URL(db.location);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const relayed = url.toString();
    server = await startTestServer(
      { ...db, location: relayed, open: () => openStore(relayed, alertEngine) },
      {},
      undefined,
      { settings: { runningPolls: 0 } },
    );
    await importFile(server.store, file);
    token = await server.token({ tenant: expect.partnerId });
  });
  after(async () => {
    await proxy.start().catch(() => undefined);
    await server.close();
    await proxy.close();
  });

  it('a burst of requests while it is down: 503 with the fault body and Retry-After, then 200 by itself', async () => {
    const customers = Object.keys(expect.customers);
    assert.equal((await get(server, '/v1/customers/usagerecords', token)).status, 200);
    await proxy.stop();
    const started = Date.now();
    // Answers not cached yet (each customer's summary), and the health check.
    const answers = await Promise.all([
      ...customers.map((c) => get(server, `/v1/customers/${c}/usagesummary`, token)),
      ...customers.map((c) => get(server, `/v1/customers/${c}/subscriptions/usagerecords`, token)),
      fetch(`${server.baseUrl}/healthz`),
    ]);
    assert.ok(Date.now() - started < 15_000, 'answered, not held');
    for (const res of answers) {
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      const fault = (await res.json()) as { code: number; description: string };
      assert.match(fault.description, /PostgreSQL .* (lost|reached)\. Nothing was changed; try again\./);
    }
    await proxy.start();
    await eventually(
      async () => (await get(server, `/v1/customers/${customers[0]}/usagesummary`, token)).status === 200,
    );
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  });

  it('stopped in the middle of an import: nothing half-stored; the same file imports whole afterwards', async () => {
    const { file, expect: more } = generate(dir, 'big.csv', { rows: 20_000, customers: 20, period: PERIOD, seed: 22 });
    const before = await db.checksum();
    const cut = proxy.stopAfter(400_000);
    await assert.rejects(importFile(server.store, file));
    await cut;
    assert.ok(proxy.bytesIn > 400_000);
    await proxy.start();
    assert.equal(await db.checksum(), before, 'the database is as it was');
    await eventually(async () => {
      try {
        await importFile(server.store, file);
        return true;
      } catch {
        return false;
      }
    });
    const customers = await db.query<{ n: number }>('SELECT count(*) AS n FROM customers');
    assert.equal(Number(customers[0]!.n), Object.keys(expect.customers).length + Object.keys(more.customers).length);
  });

  it('stopped in the middle of a sync: one failed snapshot, nothing stored; the next run succeeds', async () => {
    // The source: another partner-usage serving Graph's export of its own data.
    const { file, expect: theirs } = generate(dir, 'graph.csv', { rows: 3000, customers: 4, period: PERIOD, seed: 23 });
    const source = await startTestServer(await testDatabase('sqlite', dir, 'graph-source'), {}, undefined, {
      settings: { runningPolls: 0 },
    });
    try {
      await importFile(source.store, file);
      const graph = await source.token({ tenant: theirs.partnerId, graph: true });
      // One snapshot (one currency), cut in its middle: each snapshot is stored whole or not at all.
      const currency = Object.values(theirs.customers)[0]!.currency;
      const ofCurrency = Object.values(theirs.customers).filter((c) => c.currency === currency).length;
      const sync = () =>
        syncPartner(server.store, {
          source: 'graph',
          partnerTenantId: theirs.partnerId,
          period: 'current',
          currencies: [currency],
          token: () => Promise.resolve(graph),
          graphUrl: graphRoot(source.baseUrl),
          partnerCenterUrl: partnerCenterRoot(source.baseUrl),
          http: { sleep: () => Promise.resolve() },
        });
      const before = await db.checksum();
      const cut = proxy.stopAfter(50_000);
      const failed = await sync();
      await cut;
      assert.deepEqual(
        failed.map((r) => [r.status, r.error?.kind]),
        [['failed', 'storage']],
      );
      assert.match(failed[0]!.error!.message, /PostgreSQL .*; nothing of the snapshot was stored/);
      await proxy.start();
      assert.equal(await db.checksum(), before, 'nothing of the snapshot was kept');
      await eventually(async () => (await sync()).every((r) => r.status === 'imported'));
      const customers = await db.query<{ n: number }>(
        'SELECT count(*) AS n FROM customers c JOIN partners p ON p.partner_key = c.partner_key WHERE p.tenant_id = ?',
        theirs.partnerId,
      );
      assert.equal(Number(customers[0]!.n), ofCurrency);
    } finally {
      await source.close();
    }
  });

  it('the delivery queue loses nothing: deliveries due while it is down go out once it is back', async () => {
    const seen = new Set<string>();
    const received: string[] = [];
    // Set: the database goes away while this receiver answers, so the send cannot be recorded.
    let stopOnNext = false;
    let cut: string | undefined;
    const receiver = http.createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      seen.add(id);
      received.push(id);
      req.resume().on('end', () => {
        if (stopOnNext) cut = id;
        const stopping = stopOnNext ? proxy.stop() : Promise.resolve();
        stopOnNext = false;
        void stopping.then(() => res.writeHead(204).end());
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const worker = new DeliveryWorker(server.store, {
      retryBaseMs: 20,
      maxAttempts: 8,
      disableAfterFailures: 50,
      smtpUrl: undefined,
      from: 'alerts@example.test',
    });
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await server.store.alerts.addWebhook(expect.partnerId, hook, undefined, 'cli');
      for (const customer of Object.keys(expect.customers).slice(0, 3)) {
        await server.store.setBudget(expect.partnerId, customer, '0.01'); // over budget: alerts queued
      }
      const queued = (await server.store.alerts.deliveries(expect.partnerId)).map((d) => d.id);
      assert.ok(queued.length >= 3, `deliveries queued: ${queued.length}`);
      await proxy.stop();
      await assert.rejects(worker.runOnce(), 'the worker fails this round, the process stays up');
      await proxy.start();
      await eventually(async () => {
        await worker.runOnce().catch(() => 0);
        const rows = await server.store.alerts.deliveries(expect.partnerId);
        return rows.every((d) => d.status === 'delivered');
      });
      // Those queued before, and any the worker's own round raised (meter anomalies), all sent.
      const delivered = new Set((await server.store.alerts.deliveries(expect.partnerId)).map((d) => d.id));
      for (const id of queued) assert.ok(delivered.has(id), `${id} delivered`);
      assert.deepEqual(delivered, seen, 'every delivery reached the receiver');

      // Sent, then the database gone before the send is recorded: recorded once it is back (a
      // query that waited for a connection), or sent again when its lease runs out — never lost.
      const customer = Object.keys(expect.customers)[3]!;
      await server.store.setBudget(expect.partnerId, customer, '0.01');
      const pending = (await server.store.alerts.deliveries(expect.partnerId))
        .filter((d) => d.status !== 'delivered')
        .map((d) => d.id);
      assert.ok(pending.length >= 1);
      stopOnNext = true;
      await worker.runOnce().catch(() => 0); // no crash, whatever the round met
      const during = cut;
      assert.ok(during !== undefined && pending.includes(during), 'the send during which the database went away');
      await proxy.start();
      await eventually(async () => {
        await worker.runOnce(Date.now() + 61_000).catch(() => 0); // every lease run out
        const rows = await server.store.alerts.deliveries(expect.partnerId).catch(() => []);
        return pending.every((id) => rows.find((d) => d.id === id)?.status === 'delivered');
      });
      const sends = received.filter((id) => id === during).length;
      assert.ok(sends === 1 || sends === 2, `sent once, or again after its lease: ${sends}`);
    } finally {
      worker.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('SQLite on a full disk', () => {
  const dir = tempDir();
  let mounted: string | undefined;
  after(() => {
    if (mounted) spawnSync('umount', ['-l', mounted]);
  });

  it('a write answers 503 with the fault body, reads go on, and it writes again once there is room', async () => {
    // A file system of its own to fill: root, as CI and this project's machines have (cli-failures does the same).
    assert.equal(process.getuid?.(), 0, 'this test needs root (mount)');
    mounted = path.join(dir, 'small');
    fs.mkdirSync(mounted);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mounted]);
    const { file, expect } = generate(dir, 'a.csv', { rows: 200, customers: 3, period: PERIOD, seed: 24 });
    const db = await testDatabase('sqlite', mounted, 'full');
    const server = await startTestServer(db);
    try {
      await importFile(server.store, file);
      const token = await server.token({ tenant: expect.partnerId });
      const customer = Object.keys(expect.customers)[0]!;
      const setBudget = (amount: number) =>
        fetch(`${server.baseUrl}/v1/customers/${customer}/usagebudget`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ amount }),
        });
      const filler = path.join(mounted, 'filler');
      const before = await db.checksum();
      // Fill what is left, then ask for a write big enough to need new pages.
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      const more = generate(dir, 'b.csv', { rows: 5000, customers: 5, period: PERIOD, seed: 25 });
      const items = Papa.parse<Record<string, string>>(fs.readFileSync(more.file, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      }).data;
      const ingest = await server.token({ tenant: more.expect.partnerId, appOnly: true, ingest: true });
      const write = await fetch(`${server.baseUrl}/v1/partnerusage/lineitems`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
      assert.equal(write.status, 503, await write.clone().text());
      assert.match(((await write.json()) as { description: string }).description, /the disk is full/);
      assert.equal(await db.checksum(), before, 'nothing half-stored');
      assert.equal((await get(server, '/v1/customers/usagerecords', token)).status, 200, 'reads go on');
      fs.rmSync(filler);
      assert.equal((await setBudget(25)).status, 200, 'writes again once there is room');
    } finally {
      await server.close();
    }
  });
});
