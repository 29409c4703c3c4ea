import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { DeliveryWorker, type DeliveryOptions } from '../src/alerts/delivery-worker.js';
import { importFile } from '../src/ingest/importer.js';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import type { Store } from '../src/storage/store.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { writeDailyRated, type DailyRatedLine } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { assertConforms } from './helpers/openapi-check.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer } from './helpers/test-server.js';

// The receivers listen on 127.0.0.1 (run-suite sets this; a file run alone needs it too).
process.env.PARTNER_USAGE_WEBHOOK_ALLOW ??= '127.0.0.1';

after(stopPostgres);

const PARTNER = '11111111-aaaa-4bbb-8ccc-000000000001';
const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const QUIET = 'c0000000-0000-4000-8000-000000000002';
const PLAN = 'a0000000-0000-4000-8000-000000000001';
const OTHER_PARTNER = '22222222-aaaa-4bbb-8ccc-000000000002';
const PERIOD = '2026-10';

const line = (customer: string, day: number, amount: string, period = PERIOD): DailyRatedLine => ({
  PartnerId: PARTNER,
  CustomerId: customer,
  CustomerName: customer === CUSTOMER ? 'Contoso' : 'Quiet Ltd',
  SubscriptionId: PLAN,
  UsageDate: `${period}-${String(day).padStart(2, '0')}T00:00:00Z`,
  MeterId: 'meter-1',
  BillingCurrency: 'GBP',
  ResourceURI: `/subscriptions/${PLAN}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s1`,
  BillingPreTaxTotal: amount,
  PricingPreTaxTotal: amount,
});

const options = (overrides: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
  retryBaseMs: 20,
  maxAttempts: 8,
  disableAfterFailures: 50,
  smtpUrl: undefined,
  from: 'alerts@example.test',
  ...overrides,
});

/** A webhook receiver on 127.0.0.1 that answers 500 to the first `failures` attempts of each id. */
async function receiver(failures: number, port = 0) {
  const seen = new Map<string, { attempts: number; bodies: string[]; headers: http.IncomingHttpHeaders[] }>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const entry = seen.get(id) ?? { attempts: 0, bodies: [], headers: [] };
      seen.set(id, entry);
      entry.attempts++;
      entry.bodies.push(body);
      entry.headers.push(req.headers);
      res.statusCode = entry.attempts <= failures ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs the worker until `done` or 10 s pass (retries wait tens of milliseconds). */
async function deliverUntil(worker: DeliveryWorker, done: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await done()) && Date.now() < until) {
    await worker.runOnce();
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of BACKENDS) {
  describe(`alerts on ${backend}`, () => {
    const dir = tempDir();
    let n = 0;
    const fresh = async () => {
      const db = await testDatabase(backend, dir, `alerts-${n++}`);
      return { db, store: await db.open() };
    };
    const importDays = async (store: Store, lines: DailyRatedLine[], name: string) => {
      const file = path.join(dir, `${name}-${n}.csv`);
      writeDailyRated(file, lines);
      return importFile(store, file);
    };
    const types = async (store: Store) => (await store.alerts.alerts(PARTNER)).map((a) => a.type).sort();

    it('a month of daily imports crossing 80 % then 100 % fires each threshold once; re-importing fires nothing', async () => {
      const { store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10'), line(QUIET, 1, '1')], 'day1');
      assert.ok(await store.setBudget(PARTNER, CUSTOMER, '100'));
      const files: string[] = [];
      for (let day = 2; day <= 14; day++) {
        const file = path.join(dir, `day-${backend}-${day}.csv`);
        writeDailyRated(file, [line(CUSTOMER, day, '10'), line(QUIET, day, '1')]);
        files.push(file);
        await importFile(store, file);
      }
      const alerts = await store.alerts.alerts(PARTNER);
      const thresholds = alerts.filter((a) => a.type === 'budget.threshold_reached');
      assert.deepEqual(
        thresholds.map((a) => a.event.data.threshold).sort((x, y) => x! - y!),
        [80, 100],
      );
      const at80 = thresholds.find((a) => a.event.data.threshold === 80)!.event.data;
      assert.equal(at80.totalCost, '80', 'raised by the import of day 8, with its total');
      assert.equal(at80.currency, 'GBP');
      assert.equal(at80.budget, '100');
      assert.equal(alerts.filter((a) => a.type === 'usage.anomaly').length, 0, 'a steady month has no anomaly');
      assert.ok(
        alerts.every((a) => a.customerTenantId === CUSTOMER),
        'the quiet customer has no budget',
      );
      const before = alerts.length;
      for (const file of files) await importFile(store, file);
      assert.equal((await store.alerts.alerts(PARTNER)).length, before, 're-importing fires nothing new');
      await store.close();
    });

    it('raising the budget above a threshold re-arms it; each change is audited', async () => {
      const { store } = await fresh();
      await importDays(
        store,
        Array.from({ length: 9 }, (_, i) => line(CUSTOMER, i + 1, '10')),
        'rearm',
      );
      const period = currentBillingPeriod();
      await importDays(store, [line(CUSTOMER, 1, '90', period)], 'now');
      await store.setBudget(PARTNER, CUSTOMER, '100', 'ana@partner.example'); // 90 %: 80 fires
      await store.setBudget(PARTNER, CUSTOMER, '95', 'cli'); // still over 80: nothing new
      await store.setBudget(PARTNER, CUSTOMER, '200', 'cli'); // 45 %: re-armed
      await store.setBudget(PARTNER, CUSTOMER, '100', 'cli'); // 90 % again: fires again
      const current = (await store.alerts.alerts(PARTNER)).filter(
        (a) => a.period === period && a.type === 'budget.threshold_reached',
      );
      assert.deepEqual(
        current.map((a) => a.event.data.threshold),
        [80, 80],
      );
      const audit = await store.alerts.audit(PARTNER);
      assert.deepEqual(audit.map((r) => [r.actor, r.oldValue, r.newValue]).reverse(), [
        ['ana@partner.example', null, '100'],
        ['cli', '100', '95'],
        ['cli', '95', '200'],
        ['cli', '200', '100'],
      ]);
      await store.close();
    });

    it('a spike day raises one anomaly', async () => {
      const { store } = await fresh();
      const noisy = [9, 11, 10, 12, 8, 10, 11, 9, 10, 12, 8, 11, 10, 9, 10, 11, 9, 10, 12, 10];
      const lines = noisy.map((v, i) => line(CUSTOMER, i + 1, String(v)));
      lines[15] = line(CUSTOMER, 16, '95');
      await importDays(store, lines, 'spike');
      const anomalies = (await store.alerts.alerts(PARTNER)).filter((a) => a.type === 'usage.anomaly');
      assert.equal(anomalies.length, 1);
      assert.equal(anomalies[0]!.event.data.anomaly!.day, 20261016);
      assert.equal(anomalies[0]!.event.data.anomaly!.amount, '95');
      await store.close();
    });

    it("a meter's spike hidden in its customer's total raises one meter anomaly after the import, counted on the record", async () => {
      const { db, store } = await fresh();
      const big = [
        1000, 1010, 990, 1005, 995, 1000, 1010, 990, 1000, 1005, 995, 1000, 1010, 990, 1000, 1005, 995, 1000,
      ];
      const small = [9, 11, 10, 12, 8, 10, 11, 9, 10, 12, 8, 11, 10, 9, 95, 11, 9, 10];
      const second = (day: number, amount: string): DailyRatedLine => ({
        ...line(CUSTOMER, day, amount),
        MeterId: 'meter-2',
        ResourceURI: `/subscriptions/${PLAN}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s2`,
      });
      const lines = [
        ...big.map((v, i) => line(CUSTOMER, i + 1, String(v))),
        ...small.map((v, i) => second(i + 1, String(v))),
      ];
      await importDays(store, lines, 'meter-spike');
      const anomalies = async () => (await store.alerts.alerts(PARTNER)).filter((a) => a.type === 'usage.anomaly');
      assert.equal((await anomalies()).length, 0, "the customer's day (2,100 of ~2,010) is no anomaly");
      const worker = new DeliveryWorker(store, options());
      await worker.runOnce(); // looks at the meters the import queued
      let found = await anomalies();
      assert.equal(found.length, 1);
      assert.deepEqual(found[0]!.event.data.meter, { id: 'meter-2', name: 'Meter', category: 'Storage' });
      assert.equal(found[0]!.event.data.anomaly!.day, 20261015);
      assert.equal(found[0]!.event.data.anomaly!.amount, '95');
      assert.equal(found[0]!.event.data.totalCost, String(big.reduce((a, b) => a + b) + small.reduce((a, b) => a + b)));
      await importDays(store, lines, 'meter-spike-again');
      await worker.runOnce();
      found = await anomalies();
      assert.equal(found.length, 1, 're-importing raises nothing new');
      worker.close();
      await store.close();
      const server = await startTestServer(db);
      const token = await server.token({ tenant: PARTNER });
      try {
        const r = await fetch(`${server.baseUrl}/v1/customers/${CUSTOMER}/usagesummary?period=${PERIOD}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const summary = (await r.json()) as { partnerUsage: { anomalies: number } };
        assert.equal(r.status, 200, JSON.stringify(summary));
        assert.equal(summary.partnerUsage.anomalies, 1, "the customer's record carries the flag");
      } finally {
        await server.close();
      }
    });

    it('a webhook that fails twice gets the event on the third try, signed, with the same id', async () => {
      const { store } = await fresh();
      const period = currentBillingPeriod();
      await importDays(store, [line(CUSTOMER, 1, '10', period)], 'hook');
      await importDays(store, [{ ...line(QUIET, 1, '10', period), PartnerId: OTHER_PARTNER }], 'other');
      const hook = await receiver(2);
      const otherHook = await receiver(0);
      const ep = await store.alerts.addWebhook(PARTNER, hook.url, ['budget.threshold_reached'], 'cli');
      await store.alerts.addWebhook(OTHER_PARTNER, otherHook.url, undefined, 'cli');
      assert.match(ep.secret, /^whsec_/);
      await store.setBudget(PARTNER, CUSTOMER, '11'); // 90 %
      const worker = new DeliveryWorker(store, options());
      await deliverUntil(worker, () => [...hook.seen.values()].some((e) => e.attempts >= 3));
      assert.equal(hook.seen.size, 1, 'one event, one webhook-id');
      const [id, entry] = [...hook.seen][0]!;
      assert.equal(entry.attempts, 3);
      assert.match(id, /^msg_/);
      for (const [i, body] of entry.bodies.entries()) {
        const verified = new Webhook(ep.secret).verify(body, entry.headers[i] as Record<string, string>) as {
          type: string;
          data: { customer: { id: string }; threshold: number; totalCost: string };
        };
        assert.equal(verified.type, 'budget.threshold_reached');
        assert.equal(verified.data.customer.id, CUSTOMER);
        assert.equal(verified.data.threshold, 80);
      }
      const [delivery] = await store.alerts.deliveries(PARTNER);
      assert.equal(delivery!.status, 'delivered');
      assert.equal(delivery!.attempts, 3);
      assert.equal(delivery!.id, id);
      assert.equal(otherHook.seen.size, 0, "another partner's endpoint learns nothing of this partner's customers");
      assert.deepEqual(await store.alerts.deliveries(OTHER_PARTNER), []);
      await otherHook.close();
      await hook.close();
      worker.close();
      await store.close();
    });

    it('a receiver down across a restart gets the delivery when it comes back', async () => {
      const { db, store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10', currentBillingPeriod())], 'down');
      const probe = await receiver(0);
      const port = probe.port;
      await probe.close(); // nothing listens there now
      await store.alerts.addWebhook(PARTNER, `http://127.0.0.1:${port}/hook`, undefined, 'cli');
      await store.setBudget(PARTNER, CUSTOMER, '10'); // 100 %
      const first = new DeliveryWorker(store, options({ retryBaseMs: 50 }));
      await first.runOnce();
      first.close();
      await store.close(); // the server stops
      const reopened = await db.open();
      const pending = await reopened.alerts.deliveries(PARTNER);
      assert.ok(pending.length >= 2, 'both thresholds queued');
      assert.ok(
        pending.every((d) => d.status === 'pending' && d.attempts === 1 && d.lastError === 'connection failed'),
      );
      const hook = await receiver(0, port);
      const second = new DeliveryWorker(reopened, options({ retryBaseMs: 50 }));
      await deliverUntil(second, () => hook.seen.size >= pending.length);
      assert.deepEqual([...hook.seen.keys()].sort(), pending.map((d) => d.id).sort());
      assert.ok((await reopened.alerts.deliveries(PARTNER)).every((d) => d.status === 'delivered'));
      await hook.close();
      second.close();
      await reopened.close();
    });

    it('a delivery fails for good after its last attempt; repeated failure disables the endpoint; replay resends', async () => {
      const { store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10', currentBillingPeriod())], 'fail');
      const dead = await receiver(0);
      await dead.close(); // nothing listens there
      await store.alerts.addWebhook(PARTNER, dead.url, undefined, 'cli');
      await store.alerts.test(PARTNER, CUSTOMER, 'usage.anomaly');
      const worker = new DeliveryWorker(store, options({ maxAttempts: 3 }));
      const deliveries = () => store.alerts.deliveries(PARTNER);
      await deliverUntil(worker, async () => (await deliveries())[0]!.status !== 'pending');
      let [d] = await deliveries();
      assert.equal(d!.status, 'failed');
      assert.equal(d!.attempts, 3);
      assert.match(d!.lastError, /^connection failed$/);
      // Two more events to an endpoint disabled after 2 consecutive failed attempts in all.
      await store.alerts.test(PARTNER, CUSTOMER, 'usage.anomaly');
      await store.alerts.test(PARTNER, CUSTOMER, 'usage.anomaly');
      const strict = new DeliveryWorker(store, options({ maxAttempts: 3, disableAfterFailures: 5 }));
      await strict.runOnce();
      const [endpoint] = await store.alerts.webhooks(PARTNER);
      assert.equal(endpoint!.enabled, false, '3 + 2 consecutive failures');
      assert.ok((await deliveries()).every((x) => x.status === 'failed'));
      await store.alerts.test(PARTNER, CUSTOMER, 'usage.anomaly');
      assert.equal((await deliveries()).length, 3, 'a disabled endpoint is sent nothing new');
      const back = await receiver(0, dead.port);
      const replayed = await store.alerts.replay(PARTNER, d!.id, 'cli');
      assert.equal(replayed.status, 'pending');
      assert.equal((await store.alerts.webhooks(PARTNER))[0]!.enabled, true, 'replay enables the endpoint again');
      await deliverUntil(worker, () => back.seen.has(d!.id));
      [d] = (await deliveries()).filter((x) => x.id === d!.id);
      assert.equal(d!.status, 'delivered');
      assert.deepEqual([...back.seen.keys()], [d!.id], 'the same webhook-id as the failed attempts');
      await back.close();
      worker.close();
      strict.close();
      await store.close();
    });

    it('two processes on one database send each delivery once', async () => {
      const { db, store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10', currentBillingPeriod())], 'two');
      const hook = await receiver(0);
      await store.alerts.addWebhook(PARTNER, hook.url, undefined, 'cli');
      for (let i = 0; i < 40; i++) await store.alerts.test(PARTNER, CUSTOMER, 'usage.anomaly');
      const other = await db.open();
      const a = new DeliveryWorker(store, options());
      const b = new DeliveryWorker(other, options());
      await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      assert.equal(hook.seen.size, 40);
      assert.ok(
        [...hook.seen.values()].every((e) => e.attempts === 1),
        'no delivery sent twice',
      );
      await hook.close();
      a.close();
      b.close();
      await other.close();
      await store.close();
    });

    it('e-mails an alert through a real SMTP server with the figures in the customer currency', async () => {
      const { store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '97.5', currentBillingPeriod())], 'mail');
      const messages: { to: string[]; data: string }[] = [];
      const smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        onData(stream, session, callback) {
          let data = '';
          stream.on('data', (d: Buffer) => (data += d.toString()));
          stream.on('end', () => {
            messages.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const port = (smtp.server.address() as AddressInfo).port;
      await store.alerts.addEmailRecipient(PARTNER, 'finops@partner.example', 'cli');
      await store.setBudget(PARTNER, CUSTOMER, '100'); // 97.5 %
      const worker = new DeliveryWorker(store, options({ smtpUrl: `smtp://127.0.0.1:${port}` }));
      // Two alerts: 80 % reached, and the forecast over the budget.
      await deliverUntil(worker, () => messages.length >= 2);
      worker.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      assert.equal(messages.length, 2);
      assert.ok(messages.every((m) => m.to.join() === 'finops@partner.example'));
      // Quoted-printable, decoded: soft line breaks dropped, =XX bytes as UTF-8.
      const texts = messages.map((m) =>
        Buffer.from(
          m.data
            .replace(/=\r?\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
      );
      assert.ok(texts.some((t) => /Subject: Contoso is forecast to exceed its budget/.test(t)));
      const text = texts.find((t) => /Subject: Contoso reached a budget threshold/.test(t))!;
      assert.match(text, /Subject: Contoso reached a budget threshold/);
      assert.match(text, /Spent so far: £97\.50/);
      assert.match(text, /Budget: £100\.00/);
      assert.match(text, /reached 80 % of its budget/);
      assert.match(text, /text\/html/);
      await store.close();
    });

    it('the extension API: webhooks added, listed and removed; alerts and deliveries listed; all per partner', async () => {
      const { db, store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10', currentBillingPeriod())], 'api');
      await store.close();
      const server = await startTestServer(db);
      const user = await server.token({ tenant: PARTNER, user: 'ana@partner.example' });
      const other = await server.token({ tenant: '22222222-aaaa-4bbb-8ccc-000000000002' });
      const call = async (method: string, url: string, token = user, body?: string) => {
        const r = await fetch(server.baseUrl + url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
        });
        const json = (await r.json()) as Record<string, unknown>;
        assertConforms(method, url, r.status, json);
        return { status: r.status, json };
      };
      const created = await call('POST', '/v1/partnerusage/webhooks', user, '{"url":"http://127.0.0.1:9/hook"}');
      assert.equal(created.status, 200);
      assert.match(created.json.secret as string, /^whsec_/);
      assert.equal((await call('POST', '/v1/partnerusage/webhooks', user, '{"url":"ftp://x"}')).status, 400);
      const listed = await call('GET', '/v1/partnerusage/webhooks');
      assert.equal(listed.json.totalCount, 1);
      assert.ok(!('secret' in (listed.json.items as object[])[0]!), 'the secret is shown once');
      const others = await call('GET', '/v1/partnerusage/webhooks', other);
      assert.equal(others.status, 200);
      assert.equal(others.json.totalCount, 0, 'another partner sees nothing');
      assert.equal((await call('GET', '/v1/partnerusage/deliveries', other)).json.totalCount, 0);
      assert.equal((await call('DELETE', `/v1/partnerusage/webhooks/${created.json.id as string}`, other)).status, 404);
      const budget = await fetch(`${server.baseUrl}/v1/customers/${CUSTOMER}/usagebudget`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
        body: '{"amount": 10}',
      });
      assert.equal(budget.status, 200);
      const alerts = await call('GET', '/v1/partnerusage/alerts');
      assert.ok((alerts.json.items as { type: string }[]).some((a) => a.type === 'budget.threshold_reached'));
      const deliveries = await call('GET', '/v1/partnerusage/deliveries');
      assert.ok((deliveries.json.totalCount as number) >= 2);
      const first = (deliveries.json.items as { id: string }[])[0]!.id;
      assert.equal((await call('POST', `/v1/partnerusage/deliveries/${first}/replay`)).json.status, 'pending');
      assert.deepEqual((await server.store.alerts.audit(PARTNER)).map((a) => [a.actor, a.action]).reverse(), [
        ['ana@partner.example', 'webhooks.add'],
        ['ana@partner.example', 'budget.set'],
        ['ana@partner.example', 'deliveries.replay'],
      ]);
      const id = created.json.id as string;
      assert.equal((await call('DELETE', `/v1/partnerusage/webhooks/${id}`)).status, 200);
      assert.equal((await call('DELETE', `/v1/partnerusage/webhooks/${id}`)).status, 404);
      await server.close();
    });

    it('answers the alert routes from memory until the alert tables change: a delivery shows at once, and leaves usage answers cached', async () => {
      const { db, store } = await fresh();
      const period = currentBillingPeriod();
      await importDays(store, [line(CUSTOMER, 1, '10', period)], 'cached');
      await store.close();
      const hook = await receiver(0);
      const server = await startTestServer(db);
      const token = await server.token({ tenant: PARTNER, user: 'ana@partner.example' });
      const get = async (url: string) => {
        const r = await fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200, url);
        return r.json() as Promise<{ items: { status: string; attempts: number }[] }>;
      };
      const hits = async () => {
        const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
        return Number(/^partner_usage_response_cache_lookups_total\{outcome="hit"[^}]*\} (\d+)$/m.exec(text)?.[1]);
      };
      const statuses = async () => (await get('/v1/partnerusage/deliveries')).items.map((d) => d.status);
      try {
        await server.store.alerts.addWebhook(PARTNER, hook.url, ['budget.threshold_reached'], 'cli');
        await server.store.setBudget(PARTNER, CUSTOMER, '11'); // 90 %: one delivery to send
        const customers = `/v1/customers/usagerecords?period=${period}`;
        // The first read keeps the period's price bases (a write), and another process's view of
        // the shared version (PostgreSQL) catches up within its 200 ms poll: asked again until the
        // answers stay, the same requests are answered from memory.
        let stable = false;
        for (let i = 0; i < 60 && !stable; i++) {
          const start = await hits();
          assert.deepEqual(await statuses(), ['pending']);
          await get(customers);
          stable = (await hits()) === start + 2;
          if (!stable) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(stable, 'the same requests again are answered from memory');

        // The sender of this process (as serve runs it) records the delivery: the next answer says
        // so at once, and the usage answers stay in memory.
        const worker = new DeliveryWorker(server.store, options());
        await deliverUntil(worker, () => hook.seen.size > 0);
        worker.close();
        const before = await hits();
        assert.deepEqual(await statuses(), ['delivered']);
        await get(customers);
        assert.equal(await hits(), before + 1, 'a usage answer is still served from memory after a delivery');

        // Sent again by another process's sender (its own connection): seen within the poll.
        const delivery = (await server.store.alerts.deliveries(PARTNER))[0]!;
        await server.store.alerts.replay(PARTNER, delivery.id, 'cli');
        assert.deepEqual(await statuses(), ['pending']);
        const other = await db.open();
        const otherWorker = new DeliveryWorker(other, options());
        await deliverUntil(otherWorker, () => [...hook.seen.values()][0]!.attempts >= 2);
        otherWorker.close();
        await other.close();
        let seen: string[] = [];
        for (let i = 0; i < 100 && seen[0] !== 'delivered'; i++) {
          seen = await statuses();
          if (seen[0] !== 'delivered') await new Promise((r) => setTimeout(r, 20));
        }
        assert.deepEqual(seen, ['delivered'], "another process's delivery shows within the version poll");
        assert.equal((await get('/v1/partnerusage/deliveries')).items[0]!.attempts, 1, 'a replay counts afresh');
      } finally {
        await server.close();
        await hook.close();
      }
    });

    it('a bad budgets row changes nothing', async () => {
      const { store } = await fresh();
      await importDays(store, [line(CUSTOMER, 1, '10'), line(QUIET, 1, '1')], 'bulk');
      await assert.rejects(
        store.alerts.setBudgets(
          PARTNER,
          [
            { customerTenantId: CUSTOMER, amount: '50' },
            { customerTenantId: 'c0000000-0000-4000-8000-00000000dead', amount: '5' },
          ],
          'cli',
        ),
        /no customer/,
      );
      assert.deepEqual(await store.alerts.budgets(PARTNER), []);
      assert.deepEqual(await types(store), []);
      await store.close();
    });
  });
}
