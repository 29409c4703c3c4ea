import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import {
  ForbiddenError,
  JsonDecimal,
  NotFoundError,
  PartnerCenter,
  UnauthorizedError,
  clientCredentialsCredential,
  refreshTokenCredential,
} from '../src/sdk/index.js';
import { REPO, tempDir } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { stopPostgres } from './helpers/postgres.js';

after(stopPostgres);

for (const backend of BACKENDS) {
  describe(`${backend}: the SDK against a real partner-usage server`, () => {
    const dir = tempDir();
    let server: TestServer;
    let pc: PartnerCenter;

    before(async () => {
      server = await startTestServer(await testDatabase(backend, dir, 'sdk'));
      await loadDemoData(server.store, { customers: 40 });
      pc = new PartnerCenter({
        baseUrl: server.baseUrl,
        credential: await server.token({ tenant: DEMO_PARTNER }),
        application: 'sdk-tests',
      });
    });
    after(() => server.close());

    it('gets the customers collection as served, with exact money and the request ids', async () => {
      const page = await pc.customers.usageRecords.get();
      assert.equal(page.totalCount, 41);
      const uk = page.items.find((c) => c.id === SEED_CUSTOMERS.modernUk.id)!;
      assert.ok(uk.totalCost instanceof JsonDecimal);
      assert.ok(uk.budget.amount instanceof JsonDecimal);
      assert.equal(uk.budget.amount.text, '97');
      assert.ok('currencyCode' in uk && uk.currencyCode === 'GBP');
      assert.match(page.requestId, /^[0-9a-f-]{36}$/);
      assert.match(page.correlationId!, /^[0-9a-f-]{36}$/);
      assert.equal(JSON.parse(JSON.stringify(page)).requestId, undefined, 'ids are not part of the body');
    });

    it('reads the rest of the family on the .NET paths: summaries, budget, daily, utilization pages', async () => {
      const summary = await pc.usageSummary.get();
      assert.equal(summary.attributes.objectType, 'PartnerUsageSummary');
      const uk = pc.customers.byId(SEED_CUSTOMERS.modernUk.id);
      const customerSummary = await uk.usageSummary.get();
      assert.equal(customerSummary.budget.amount?.text, '97');
      assert.equal(customerSummary.partnerUsage?.forecastMethod, 'median-daily-14d');
      const patched = await uk.usageBudget.patch({ amount: '123.45' });
      assert.equal(patched.amount?.text, '123.45');
      assert.equal((await uk.usageBudget.get()).amount?.text, '123.45');
      await uk.usageBudget.patch('97');
      const subscription = (await uk.subscriptions.usageRecords.get()).items[0]!;
      const sub = uk.subscriptions.byId(subscription.id);
      const days = await sub.usageRecords.daily.get();
      assert.ok(days.items.length >= 1);
      const previous = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1));
      const end = new Date(previous.getTime() + 5 * 86_400_000);
      let pages = 0;
      let records = 0;
      for await (const page of sub.utilizations.azure.query({ startTime: previous, endTime: end, size: 2 })) {
        pages++;
        records += page.items.length;
        assert.ok(page.items.length <= 2);
      }
      assert.ok(pages > 1, 'followed links.next');
      let listed = 0;
      for await (const r of sub.utilizations.azure.list({ startTime: previous, endTime: end })) {
        assert.equal(r.attributes.objectType, 'AzureUtilizationRecord');
        listed++;
      }
      assert.equal(listed, records, 'the same records in pages of 2 as in one page');
    });

    it('walks every customer across pages, following links.next', async () => {
      const all = await pc.customers.usageRecords.get();
      const ids: string[] = [];
      for await (const customer of pc.customers.usageRecords.list({ size: 7 })) ids.push(customer.id);
      assert.deepEqual(
        ids,
        all.items.map((c) => c.id),
      );
      let pages = 0;
      for await (const page of pc.customers.usageRecords.pages({ size: 7 })) {
        pages++;
        assert.ok(page.items.length <= 7);
      }
      assert.equal(pages, 6);
    });

    it('reads a subscription’s meters through the fluent path', async () => {
      const [subscription] = (await server.store.subscriptionIds(DEMO_PARTNER, SEED_CUSTOMERS.modernSe.id))!;
      const meters = await pc.customers
        .byId(SEED_CUSTOMERS.modernSe.id)
        .subscriptions.byId(subscription!)
        .usageRecords.meters.get();
      assert.ok(meters.items.length > 0);
      assert.equal(meters.items[0]!.attributes.objectType, 'MeterUsageRecord');
      assert.equal(meters.items[0]!.subscriptionId, subscription);
    });

    it('throws typed errors with the ApiFault fields and the request ids', async () => {
      const missing = '0f0f0f0f-0000-4000-8000-000000000000';
      const error = await pc.customers
        .byId(missing)
        .subscriptions.byId(missing)
        .usageRecords.meters.get()
        .then(
          () => assert.fail('should fail'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof NotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 60003);
      assert.equal(error.source, 'PartnerFD');
      assert.match(error.requestId!, /^[0-9a-f-]{36}$/);
      const appOnly = new PartnerCenter({
        baseUrl: server.baseUrl,
        credential: await server.token({ tenant: DEMO_PARTNER, appOnly: true }),
      });
      await assert.rejects(
        appOnly.customers.usageRecords.get(),
        (e: unknown) => e instanceof ForbiddenError && e.code === 900150,
      );
      const garbage = new PartnerCenter({ baseUrl: server.baseUrl, credential: 'garbage', maxRetries: 0 });
      await assert.rejects(garbage.customers.usageRecords.get(), UnauthorizedError);
    });

    it('asks the token provider again when its token is about to expire, mid-pagination too', async () => {
      let calls = 0;
      const nearlyExpired = new PartnerCenter({
        baseUrl: server.baseUrl,
        credential: async () => {
          calls++;
          // Valid for the server, but inside the SDK's refresh margin: asked for again on every request.
          return { token: await server.token({ tenant: DEMO_PARTNER }), expiresOnTimestamp: Date.now() + 60_000 };
        },
      });
      let pages = 0;
      for await (const page of nearlyExpired.customers.usageRecords.pages({ size: 10 }))
        pages += page.items.length > 0 ? 1 : 0;
      assert.equal(pages, 5);
      assert.equal(calls, 5);
      let longCalls = 0;
      const longLived = new PartnerCenter({
        baseUrl: server.baseUrl,
        credential: async () => {
          longCalls++;
          return server.token({ tenant: DEMO_PARTNER, expiresInSeconds: 3600 });
        },
      });
      for await (const _ of longLived.customers.usageRecords.list({ size: 10 })) void _;
      assert.equal(longCalls, 1, 'a JWT string is cached until near its exp');
    });
  });
}

describe('the Entra ID credential helpers', () => {
  function fakeMsal() {
    const seen: { config: unknown; requests: unknown[] } = { config: undefined, requests: [] };
    const expiresOn = new Date(Date.now() + 3_600_000);
    class ConfidentialClientApplication {
      constructor(config: unknown) {
        seen.config = config;
      }
      acquireTokenByClientCredential(request: unknown) {
        seen.requests.push(request);
        return Promise.resolve({ accessToken: 'app-token', expiresOn });
      }
      acquireTokenByRefreshToken(request: unknown) {
        seen.requests.push(request);
        return Promise.resolve({ accessToken: `user-token-${seen.requests.length}`, expiresOn });
      }
    }
    return { seen, expiresOn, msal: { ConfidentialClientApplication } };
  }

  it('redeem a refresh token for Partner Center tokens, through msal-node', async () => {
    const { seen, expiresOn, msal } = fakeMsal();
    const provider = refreshTokenCredential({
      tenantId: 'contoso.onmicrosoft.com',
      clientId: 'app',
      clientSecret: 's',
      refreshToken: 'rt',
      msal,
    });
    assert.deepEqual(await provider(), { token: 'user-token-1', expiresOnTimestamp: expiresOn.getTime() });
    assert.deepEqual(seen.config, {
      auth: {
        clientId: 'app',
        authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com',
        clientSecret: 's',
      },
    });
    assert.deepEqual(seen.requests[0], {
      scopes: ['https://api.partnercenter.microsoft.com/.default'],
      refreshToken: 'rt',
    });
  });

  it('get app-only tokens by client credentials, which the client sends and caches', async () => {
    const { seen, msal } = fakeMsal();
    const sent: string[] = [];
    const fetch = (async (_url: unknown, init?: RequestInit) => {
      sent.push((init?.headers as Record<string, string>).Authorization!);
      return new Response('{"amount":100,"attributes":{"objectType":"SpendingBudget"}}', { status: 200 });
    }) as typeof globalThis.fetch;
    const pc = new PartnerCenter({
      credential: clientCredentialsCredential({ tenantId: 't', clientId: 'a', clientSecret: 's', msal }),
      fetch,
    });
    const budget = await pc.customers.byId('c1').usageBudget.get();
    await pc.customers.byId('c1').usageBudget.get();
    assert.equal(budget.amount!.text, '100');
    assert.deepEqual(sent, ['Bearer app-token', 'Bearer app-token']);
    assert.equal(seen.requests.length, 1, 'asked once: the token is valid for an hour');
  });
});

describe('the SDK package', () => {
  it('imports nothing from Node, the server, storage or ingest (so it runs in browsers too)', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gm)) {
        // TypeBox (the contract's schemas) is plain JavaScript, without Node's modules.
        if (spec === '@sinclair/typebox') continue;
        assert.ok(spec!.startsWith('.'), `${path.relative(REPO, file)} imports ${spec}`);
        const target = path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts'));
        assert.match(
          path.relative(REPO, target),
          /^src\/(sdk|contract)\//,
          `${path.relative(REPO, file)} imports ${spec}`,
        );
        visit(target);
      }
    };
    visit(path.join(REPO, 'src/sdk/index.ts'));
    assert.ok(seen.size >= 6);
  });

  it('refuses a missing or misnamed credential when built, naming the option', () => {
    assert.throws(
      () => new PartnerCenter({ baseUrl: 'http://127.0.0.1:1', token: 'x' } as never),
      /needs a credential.*'token'.*named 'credential'/,
    );
    assert.throws(() => new PartnerCenter({} as never), /needs a credential/);
    assert.throws(() => new PartnerCenter({ credential: '' }), /empty/);
    assert.throws(() => new PartnerCenter({ credential: 't', baseUrl: '127.0.0.1:8787' }), /baseUrl must be an http/);
    assert.throws(
      () => new PartnerCenter({ credential: 't', retries: 3 } as never),
      /Unknown PartnerCenter option: retries/,
    );
  });

  it("is the package's partner-usage/sdk entry point", async () => {
    const sdk = await import('partner-usage/sdk');
    assert.equal(typeof sdk.PartnerCenter, 'function');
    assert.equal(typeof sdk.NotFoundError, 'function');
  });
});
