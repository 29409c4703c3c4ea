/**
 * Issue #26's webhook and delivery classes: no server-side request forgery (at registration and
 * at send time), delivery errors without socket detail, one partner's hanging receivers never
 * delaying another's, bounded endpoint and recipient lists, a stalled SMTP server never holding
 * a webhook back.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeliveryWorker, deliveryOptionsFromEnv, type DeliveryOptions } from '../src/alerts/delivery-worker.js';
import { importFile } from '../src/ingest/importer.js';
import type { Store } from '../src/storage/store.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { usageLine, writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer } from './helpers/test-server.js';

after(stopPostgres);

// Receivers listen on 127.0.0.1 (run-suite sets this; a file run alone needs it too).
process.env.PARTNER_USAGE_WEBHOOK_ALLOW ??= '127.0.0.1';

const A = '11111111-aaaa-4bbb-8ccc-00000000000a';
const B = '11111111-aaaa-4bbb-8ccc-00000000000b';
const CUSTOMER = 'c0000000-0000-4000-8000-0000000000c1';

/** Runs `fn` with PARTNER_USAGE_WEBHOOK_ALLOW set to `value` (undefined: unset). */
async function withAllow<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.PARTNER_USAGE_WEBHOOK_ALLOW;
  if (value === undefined) delete process.env.PARTNER_USAGE_WEBHOOK_ALLOW;
  else process.env.PARTNER_USAGE_WEBHOOK_ALLOW = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PARTNER_USAGE_WEBHOOK_ALLOW;
    else process.env.PARTNER_USAGE_WEBHOOK_ALLOW = before;
  }
}

const options = (overrides: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
  retryBaseMs: 60_000,
  maxAttempts: 3,
  disableAfterFailures: 50,
  smtpUrl: undefined,
  from: 'alerts@example.test',
  ...overrides,
});

/** A receiver on 127.0.0.1: `mode` says what it does with each request. */
async function receiver(mode: 'ok' | 'hang' | 'fail') {
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    got.push(String(req.headers['webhook-id']));
    if (mode === 'hang') return; // never answers
    res.writeHead(mode === 'ok' ? 204 : 500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    port,
    url: `http://127.0.0.1:${port}/hook`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function deliveries(db: TestDatabase, partner: string) {
  return db.query<{ status: string; last_error: string }>(
    `SELECT d.status, d.last_error FROM deliveries d JOIN partners p ON p.partner_key = d.partner_key WHERE p.tenant_id = '${partner}'`,
  );
}

describe('PARTNER_USAGE_WEBHOOK_ALLOW', () => {
  it('a malformed range is refused when the sender starts, naming the entry', () => {
    assert.throws(
      () => deliveryOptionsFromEnv({ PARTNER_USAGE_WEBHOOK_ALLOW: '127.0.0.1,10.0.0.0/99' }),
      /"10\.0\.0\.0\/99" is not a CIDR range/,
    );
    assert.doesNotThrow(() =>
      deliveryOptionsFromEnv({ PARTNER_USAGE_WEBHOOK_ALLOW: '127.0.0.1, ::1, fd00::/8, localhost' }),
    );
  });
});

for (const backend of BACKENDS) {
  describe(`webhooks and delivery on ${backend}`, () => {
    const dir = tempDir();
    let db: TestDatabase;
    let store: Store;

    before(async () => {
      db = await testDatabase(backend, dir, 'hooks');
      store = await db.open();
      for (const partner of [A, B]) {
        const file = path.join(dir, `${partner}.csv`);
        writeDailyRated(file, [usageLine(partner, CUSTOMER, { UsageDate: '2026-10-01T00:00:00Z' })]);
        await importFile(store, file);
      }
    });
    after(() => store.close());

    it('refuses private, loopback, link-local and unspecified targets however spelled, unless allowed', async () => {
      const inward = [
        'http://127.0.0.1:8787/hook',
        'http://0.0.0.0/',
        'http://2130706433/', // 127.0.0.1 as one decimal number
        'http://0x7f.1/',
        'http://017700000001/',
        'http://169.254.169.254/latest/meta-data',
        'http://10.1.2.3/',
        'http://192.168.0.1/',
        'http://[::1]/',
        'http://[::ffff:127.0.0.1]/',
        'http://[fe80::1]/',
        'http://localhost:9/',
        'http://app.localhost/',
      ];
      await withAllow(undefined, async () => {
        for (const url of inward) {
          await assert.rejects(store.alerts.addWebhook(A, url, undefined, 'test'), RangeError, url);
        }
        await assert.rejects(store.alerts.addWebhook(A, 'ftp://example.com/', undefined, 'test'), /http:\/\/ or https/);
        await assert.rejects(
          store.alerts.addWebhook(A, `https://example.com/${'a'.repeat(2048)}`, undefined, 'test'),
          /at most 2048 characters/,
        );
        await assert.rejects(store.alerts.addWebhook(A, 'https://hooks.example.com/', [], 'test'), /names no event/);
        const ok = await store.alerts.addWebhook(A, 'https://hooks.example.com/x', undefined, 'test');
        await store.alerts.removeWebhook(A, ok.id, 'test');
      });
      await withAllow('127.0.0.1, 10.0.0.0/8, localhost', async () => {
        for (const url of ['http://127.0.0.1:8787/hook', 'http://10.1.2.3/', 'http://localhost:9/']) {
          const ep = await store.alerts.addWebhook(A, url, undefined, 'test');
          await store.alerts.removeWebhook(A, ep.id, 'test');
        }
        await assert.rejects(store.alerts.addWebhook(A, 'http://169.254.169.254/', undefined, 'test'), RangeError);
      });
    });

    it('the API answers 400 with the fault body for an inward URL, an empty or unknown events list', async () => {
      const server = await startTestServer(db);
      try {
        const token = await server.token({ tenant: A, user: 'admin@a.example' });
        await withAllow(undefined, async () => {
          for (const body of [
            { url: 'http://169.254.169.254/latest' },
            { url: 'https://hooks.example.com/', events: [] },
            { url: 'https://hooks.example.com/', events: ['no.such.event'] },
          ]) {
            const res = await fetch(`${server.baseUrl}/v1/partnerusage/webhooks`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            assert.equal(res.status, 400, JSON.stringify(body));
            const fault = (await res.json()) as { code: number; description: string; source: string };
            assert.equal(fault.source, 'PartnerFD');
          }
        });
      } finally {
        await server.close();
      }
    });

    it('checks again at send time after resolving the name, and says "refused", "HTTP 500", "connection failed", "timeout" — no socket detail', async () => {
      const failing = await receiver('fail');
      const hanging = await receiver('hang');
      const closed = await receiver('ok');
      await closed.close(); // nothing listens on its port any more
      // Allowed by its name when registered; at send time the name is no longer allowed, and it
      // resolves to 127.0.0.1: refused after resolution, never connected to.
      const named = await withAllow('localhost', () =>
        store.alerts.addWebhook(A, `http://localhost:${failing.port}/hook`, undefined, 'test'),
      );
      try {
        await store.alerts.test(A, undefined, 'budget.threshold_reached');
        await withAllow(undefined, () => new DeliveryWorker(store, options({ timeoutMs: 500 })).runOnce());
        assert.deepEqual(
          (await deliveries(db, A)).map((d) => d.last_error),
          ['refused: the address is private'],
        );
        assert.equal(failing.got.length, 0, 'the refused name never reached the receiver behind it');
        await store.alerts.removeWebhook(A, named.id, 'test');
        await db.execute('DELETE FROM deliveries');

        const endpoints = [
          await store.alerts.addWebhook(A, failing.url, undefined, 'test'),
          await store.alerts.addWebhook(A, hanging.url, undefined, 'test'),
          await store.alerts.addWebhook(A, closed.url, undefined, 'test'),
        ];
        await store.alerts.test(A, undefined, 'budget.threshold_reached');
        await new DeliveryWorker(store, options({ timeoutMs: 500 })).runOnce();
        const errors = (await deliveries(db, A)).map((d) => d.last_error).sort();
        assert.deepEqual(errors, ['HTTP 500', 'connection failed', 'timeout after 0.5 s']);
        for (const ep of endpoints) await store.alerts.removeWebhook(A, ep.id, 'test');
      } finally {
        await db.execute('DELETE FROM deliveries');
        await failing.close();
        await hanging.close();
      }
    });

    it("one partner's hanging receivers do not delay another partner's alert", async () => {
      const hanging = await receiver('hang');
      const fast = await receiver('ok');
      const endpoints: { partner: string; id: string }[] = [];
      await withAllow('127.0.0.1', async () => {
        for (let i = 0; i < 24; i++)
          endpoints.push({
            partner: A,
            id: (await store.alerts.addWebhook(A, `${hanging.url}?n=${i}`, undefined, 'test')).id,
          });
        endpoints.push({ partner: B, id: (await store.alerts.addWebhook(B, fast.url, undefined, 'test')).id });
      });
      try {
        await store.alerts.test(A, undefined, 'budget.threshold_reached');
        await store.alerts.test(B, undefined, 'budget.threshold_reached');
        const worker = new DeliveryWorker(store, options({ timeoutMs: 500 }));
        const run = worker.runOnce();
        // B's one delivery is made while A's 24 (0.5 s each, 4 at a time: ~3 s) are still hanging.
        let pendingOfA = -1;
        for (let i = 0; i < 200 && fast.got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        pendingOfA = (await deliveries(db, A)).filter((d) => d.status === 'pending' && d.last_error === '').length;
        assert.equal(fast.got.length, 1, "B's alert was delivered");
        assert.ok(pendingOfA >= 12, `B was served while ${pendingOfA} of A's deliveries had not been tried`);
        assert.equal(hanging.got.length <= 8, true, `at most 4 (+4 leased) of A's at once, got ${hanging.got.length}`);
        await run;
        assert.equal(hanging.got.length, 24);
      } finally {
        for (const ep of endpoints) await store.alerts.removeWebhook(ep.partner, ep.id, 'test');
        await db.execute('DELETE FROM deliveries');
        await hanging.close();
        await fast.close();
      }
    });

    it('caps endpoints and recipients per partner, and validates addresses', async () => {
      const added: string[] = [];
      for (let i = 0; i < 50; i++)
        added.push((await store.alerts.addWebhook(B, `https://hooks.example.com/${i}`, undefined, 'test')).id);
      await assert.rejects(
        store.alerts.addWebhook(B, 'https://hooks.example.com/51', undefined, 'test'),
        /at most 50 webhook endpoints/,
      );
      for (const id of added) await store.alerts.removeWebhook(B, id, 'test');
      for (const bad of [
        'no-at-sign',
        'a@b',
        'a@@b.com',
        '.a@b.com',
        'a b@c.com',
        `${'a'.repeat(65)}@b.com`,
        'a@-b.com',
      ]) {
        await assert.rejects(store.alerts.addEmailRecipient(B, bad, 'test'), /not an e-mail address/, bad);
      }
      for (let i = 0; i < 100; i++) await store.alerts.addEmailRecipient(B, `finance${i}@b.example`, 'test');
      await store.alerts.addEmailRecipient(B, 'finance0@b.example', 'test'); // the same again: not a new one
      await assert.rejects(
        store.alerts.addEmailRecipient(B, 'one.more@b.example', 'test'),
        /at most 100 e-mail recipients/,
      );
      for (let i = 0; i < 100; i++) await store.alerts.removeEmailRecipient(B, `finance${i}@b.example`, 'test');
    });

    it('an SMTP server that never answers does not hold a webhook back', async () => {
      const sockets: net.Socket[] = [];
      const smtp = net.createServer((s) => sockets.push(s)); // accepts, never greets
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const fast = await receiver('ok');
      const ep = await withAllow('127.0.0.1', () => store.alerts.addWebhook(B, fast.url, undefined, 'test'));
      await store.alerts.addEmailRecipient(B, 'finance@b.example', 'test');
      try {
        await store.alerts.test(B, undefined, 'budget.threshold_reached');
        const worker = new DeliveryWorker(
          store,
          options({ smtpUrl: `smtp://127.0.0.1:${(smtp.address() as AddressInfo).port}` }),
        );
        const run = worker.runOnce();
        for (let i = 0; i < 200 && fast.got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(fast.got.length, 1, 'the webhook went out while the e-mail waits for its server');
        for (const s of sockets) s.destroy(); // the e-mail attempt fails now; the run ends
        smtp.close();
        await run;
        worker.close();
      } finally {
        await store.alerts.removeWebhook(B, ep.id, 'test');
        await store.alerts.removeEmailRecipient(B, 'finance@b.example', 'test');
        await fast.close();
      }
    });
  });
}
