/**
 * Issue #26's server classes: the development token only to a page of this server, unknown
 * methods 405, periods the store cannot hold 400, ingestion's bounded concurrency and exact
 * numbers, one budget rule, documented test events, 404 for an unknown customer's days, the
 * customers table's currency, stored credentials that cannot be read, spreadsheet-safe CSV.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spreadsheetTextField } from '../src/domain/csv-field.js';
import { importFile } from '../src/ingest/importer.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { createServer } from '../src/server/create-server.js';
import { CredentialVault } from '../src/sync/credential-vault.js';
import { testDatabase, type TestDatabase } from './helpers/backends.js';
import { usageLine, writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { cli as runCli } from './helpers/cli-in-process.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PARTNER = '11111111-aaaa-4bbb-8ccc-0000000000d1';
const AZURE = 'c0000000-0000-4000-8000-0000000000e1';
const LEGACY = 'c0000000-0000-4000-8000-0000000000e2';
const PLAN = 'a0000000-0000-4000-8000-000000000001';

// Each call with a key of its own, as a new process with a new key would be.
const cli = (...args: string[]) =>
  runCli(args, { PARTNER_USAGE_CREDENTIALS_KEY: crypto.randomBytes(32).toString('base64') });

describe('server hardening (SQLite)', () => {
  const dir = tempDir();
  let db: TestDatabase;
  let server: TestServer;
  let token: string;

  before(async () => {
    db = await testDatabase('sqlite', dir, 'server');
    server = await startTestServer(db);
    const file = path.join(dir, 'usage.csv');
    writeDailyRated(file, [
      usageLine(PARTNER, AZURE, {
        CustomerName: '=HYPERLINK("http://evil.example")',
        BillingCurrency: 'EUR',
        BillingPreTaxTotal: '2',
        PricingPreTaxTotal: '2',
      }),
    ]);
    await importFile(server.store, file);
    token = await server.token({ tenant: PARTNER, user: 'admin@partner.example' });
  });
  after(() => server.close());

  const get = (url: string, init: RequestInit = {}) =>
    fetch(`${server.baseUrl}${url}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

  it("logs each request's lines with its correlation id, the client's or the one it answers with", async () => {
    const lines: { correlationId?: string; reqId?: string; msg?: string }[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) };
    const app = createServer({
      store: server.store,
      verifier: server.auth.verifier,
      tokens: server.auth.tokens,
      logger: { level: 'info', stream },
    });
    const given = await app.inject({ url: '/healthz', headers: { 'ms-correlationid': 'given-id-1' } });
    const made = await app.inject({ url: '/healthz' });
    await app.close();
    const of = (reqId: string) => lines.filter((l) => l.reqId === reqId).map((l) => l.correlationId);
    assert.deepEqual(of(given.headers['ms-requestid'] as string), ['given-id-1', 'given-id-1']);
    assert.deepEqual(of(made.headers['ms-requestid'] as string), [
      made.headers['ms-correlationid'],
      made.headers['ms-correlationid'],
    ]);
    // Without a line per request, an error's line still names both.
    const quiet: typeof lines = [];
    const failing = Object.create(server.store) as typeof server.store;
    failing.dataVersion = () => {
      throw new Error('the store failed');
    };
    const bare = createServer({
      store: failing,
      verifier: server.auth.verifier,
      tokens: server.auth.tokens,
      logger: {
        level: 'info',
        stream: { write: (line: string) => void quiet.push(JSON.parse(line) as (typeof lines)[number]) },
      },
      requestLogging: false,
    });
    assert.equal((await bare.inject({ url: '/v1/nothing-here' })).statusCode, 404);
    assert.equal(quiet.length, 0, `no line per request: ${JSON.stringify(quiet)}`);
    const failed = await bare.inject({
      url: '/v1/customers/usagerecords',
      headers: { authorization: `Bearer ${token}`, 'ms-correlationid': 'given-id-2' },
    });
    await bare.close();
    assert.equal(failed.statusCode, 500);
    assert.deepEqual(
      quiet.map((l) => [l.msg, l.reqId, l.correlationId]),
      [['unexpected error', failed.headers['ms-requestid'], 'given-id-2']],
    );
  });

  it('gives the development token only to a page of this server on this machine (Host and Origin)', async () => {
    const store = await db.open();
    const auth = await createServerAuth(store, {});
    const app = createServer({
      store,
      verifier: auth.verifier,
      tokens: auth.tokens,
      devToken: () => Promise.resolve('a-dev-token'),
    });
    try {
      const post = (headers: Record<string, string>) =>
        app.inject({ method: 'POST', url: '/v1/partnerusage/dev-token', remoteAddress: '127.0.0.1', headers });
      assert.equal((await post({ host: '127.0.0.1:8787' })).statusCode, 200);
      assert.equal((await post({ host: 'localhost:8787', origin: 'http://localhost:8787' })).statusCode, 200);
      // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1.
      assert.equal((await post({ host: 'rebind.evil.example:8787' })).statusCode, 403);
      // Another origin's page posting to this server.
      const other = await post({ host: '127.0.0.1:8787', origin: 'http://evil.example' });
      assert.equal(other.statusCode, 403);
      assert.equal((other.json() as { source: string }).source, 'PartnerFD');
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('answers methods it does not know (QUERY, SEARCH, PROPFIND) with 405 and Allow, as PUT', async () => {
    for (const method of ['QUERY', 'SEARCH', 'PROPFIND', 'PUT']) {
      const res = await server.app.inject({
        method: method as 'GET',
        url: '/v1/customers/usagerecords',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
      assert.equal(res.headers.allow, 'GET, HEAD');
      assert.equal((res.json() as { source: string }).source, 'PartnerFD');
    }
  });

  it('refuses periods the store cannot hold; every date it writes has four-digit years', async () => {
    for (const period of ['0030-11', '2009-12', '9999-01']) {
      const res = await get(`/v1/usagesummary?period=${period}`);
      assert.equal(res.status, 400, period);
      assert.match(((await res.json()) as { description: string }).description, /outside the billing periods held/);
    }
    const res = await get('/v1/usagesummary?period=2010-01');
    const body = (await res.json()) as { billingStartDate?: string; billingEndDate?: string };
    for (const d of [body.billingStartDate, body.billingEndDate]) if (d) assert.match(d, /^\d{4}-/);
  });

  it('ingestion: a number it cannot keep exactly is refused, never stored as 0; a third concurrent request gets 503 + Retry-After', async () => {
    const ingest = await server.token({ tenant: PARTNER, user: 'ingest@partner.example', ingest: true });
    const item = {
      CustomerId: AZURE,
      SubscriptionId: PLAN,
      UsageDate: new Date().toISOString().slice(0, 10),
      MeterId: 'meter-2',
      BillingCurrency: 'EUR',
      ResourceURI: `/subscriptions/${PLAN}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s1`,
    };
    const body = `[${JSON.stringify(item).slice(0, -1)},"BillingPreTaxTotal":1e-999999999,"PricingPreTaxTotal":1}]`;
    const res = await fetch(`${server.baseUrl}/v1/partnerusage/lineitems`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { description: string }).description, /outside what is kept exactly/);

    // Two requests hold their slots (bodies still arriving); a third is refused before its body is read.
    const slow = () => {
      const controller = new AbortController();
      const stream = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('[')) });
      const pending = fetch(`${server.baseUrl}/v1/partnerusage/lineitems`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
        signal: controller.signal,
      } as RequestInit).catch(() => undefined);
      return { controller, pending };
    };
    const held = [slow(), slow()];
    await new Promise((r) => setTimeout(r, 300));
    const third = await fetch(`${server.baseUrl}/v1/partnerusage/lineitems`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
      body: '[]',
    });
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '2');
    for (const h of held) h.controller.abort();
    await Promise.all(held.map((h) => h.pending));
  });

  it('one budget rule for the API, budget set and budget import; days of an unknown customer are 404', async () => {
    const patch = (amount: string) =>
      get(`/v1/customers/${AZURE}/usagebudget`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: `{"amount": ${amount}}`,
      });
    const dbFile = db.location;
    for (const amount of ['1.1234567', '1000000000001', '-1']) {
      assert.equal((await patch(amount)).status, 400, amount);
      const set = await cli('budget', 'set', AZURE, amount, '--db', dbFile);
      assert.equal(set.status, 2, `budget set ${amount}: ${set.stderr}`);
    }
    assert.equal((await patch('1.123456')).status, 200);
    assert.equal((await cli('budget', 'set', AZURE, '1.123456', '--db', dbFile)).status, 0);

    const days = await get(`/v1/partnerusage/customers/c0000000-0000-4000-8000-00000000ffff/days`);
    assert.equal(days.status, 404);
    assert.equal((await get(`/v1/partnerusage/customers/${AZURE}/days`)).status, 200);
  });

  it('alerts list works after a test usage.anomaly (its documented body); the customers table shows currencies', async () => {
    const dbFile = db.location;
    assert.equal((await cli('alerts', 'test', '--type', 'usage.anomaly', '--db', dbFile)).status, 0);
    const list = await cli('alerts', 'list', '--db', dbFile);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /usage\.anomaly/);
    const customers = await cli('customers', '--db', dbFile);
    assert.equal(customers.status, 0, customers.stderr);
    assert.match(customers.stdout, /EUR/);
    assert.doesNotMatch(customers.stdout, /fr-FR/);
    void LEGACY;
  });

  it('a wrong credentials key or a tampered secret is one line and exit 3; a truncated GCM tag is refused', async () => {
    const store = await db.open();
    const key = crypto.randomBytes(32);
    try {
      await new CredentialVault(store.sync, key).save({
        partnerTenantId: PARTNER,
        clientId: 'app',
        source: 'graph',
        secret: { kind: 'client-secret', value: 's3cret' },
        authorityUrl: 'https://login.microsoftonline.com',
        graphUrl: 'https://graph.microsoft.com',
        partnerCenterUrl: 'https://api.partnercenter.microsoft.com',
      });
      const wrong = await cli('credentials', 'list', '--db', db.location); // another random key
      assert.equal(wrong.status, 3, wrong.stderr);
      assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
      assert.match(wrong.stderr, /cannot be decrypted/);
      // The tag cut to 4 bytes: GCM would check only those; refused as damaged.
      const [row] = await db.query<{ secret: string }>('SELECT secret FROM sync_credentials');
      const [iv, tag, body] = row!.secret.split('.');
      const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
      await db.execute(`UPDATE sync_credentials SET secret = '${iv}.${short}.${body}'`);
      await assert.rejects(new CredentialVault(store.sync, key).list(), /damaged/);
    } finally {
      await store.close();
    }
  });

  it("neutralises formulas in the dashboard's CSV text cells (OWASP), keeping amounts as they are", async () => {
    assert.equal(spreadsheetTextField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    for (const s of ['+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      assert.ok(spreadsheetTextField(s).replace(/^"/, '').startsWith("'"), s);
    assert.equal(spreadsheetTextField('Contoso'), 'Contoso');
  });
});
