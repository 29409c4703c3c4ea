import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import {
  APIConnectionTimeoutError,
  APIUserAbortError,
  ApiClient,
  DataNotReadyError,
  ForbiddenError,
  InternalServerError,
  JsonDecimal,
  NotFoundError,
  PartnerCenter,
  TooManyRequestsError,
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

describe('the SDK’s retries and timeouts (injected fetch)', () => {
  type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';
  function fakeFetch(answers: Answer[]) {
    const calls: { url: string; headers: Record<string, string>; at: number }[] = [];
    const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      calls.push({
        url: String(url),
        headers: { ...(init?.headers as Record<string, string>) },
        at: performance.now(),
      });
      const answer = answers.shift() ?? { status: 500 };
      if (answer === 'hang') {
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers ?? {} });
    };
    return { calls, fetch: fetch as typeof globalThis.fetch };
  }
  const ok = {
    status: 200,
    body: '{"totalCount":0,"items":[],"links":{"self":{"uri":"/customers/usagerecords","method":"GET","headers":[]}},"attributes":{"objectType":"Collection"}}',
  };

  it('waits as long as Retry-After says after a 429, then succeeds with the same MS-RequestId', async () => {
    const { calls, fetch } = fakeFetch([
      {
        status: 429,
        body: '{"statusCode":429,"message":"Rate limit is exceeded."}',
        headers: { 'Retry-After': '0.3' },
      },
      ok,
    ]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    const page = await pc.customers.usageRecords.get();
    assert.equal(page.totalCount, 0);
    assert.equal(calls.length, 2);
    assert.ok(calls[1]!.at - calls[0]!.at >= 290, `waited ${calls[1]!.at - calls[0]!.at} ms`);
    assert.equal(calls[0]!.headers['MS-RequestId'], calls[1]!.headers['MS-RequestId']);
    assert.equal(calls[0]!.url, 'http://pc.test/v1/customers/usagerecords');
    assert.equal(calls[0]!.headers['X-Locale'], 'en-US');
  });

  it('gives up after a 500 three times with InternalServerError; a 429 left over carries retryAfter', async () => {
    const { calls, fetch } = fakeFetch([
      { status: 500, body: '{"code":800003,"description":"Unexpected","data":[],"source":"PartnerFD"}' },
      { status: 500 },
      {
        status: 500,
        body: '{"code":800003,"description":"Unexpected service error.","data":[],"source":"PartnerFD"}',
        headers: { 'MS-RequestId': 'r-1' },
      },
    ]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    await assert.rejects(
      pc.customers.usageRecords.get(),
      (e: unknown) => e instanceof InternalServerError && e.code === 800003 && e.requestId === 'r-1',
    );
    assert.equal(calls.length, 3);
    const throttled = fakeFetch([{ status: 429, headers: { 'Retry-After': '7' } }]);
    const once = new PartnerCenter({
      baseUrl: 'http://pc.test',
      credential: 't',
      fetch: throttled.fetch,
      maxRetries: 0,
    });
    await assert.rejects(
      once.customers.usageRecords.get(),
      (e: unknown) => e instanceof TooManyRequestsError && e.retryAfter === 7,
    );
  });

  it('does not retry other 4xx answers', async () => {
    const { calls, fetch } = fakeFetch([
      { status: 404, body: '{"code":60003,"description":"no","data":[],"source":"PartnerFD"}' },
      ok,
    ]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    await assert.rejects(pc.customers.usageRecords.get(), NotFoundError);
    assert.equal(calls.length, 1);
  });

  it('turns 204 + Retry-After into a typed DataNotReadyError once retries are spent', async () => {
    const { calls, fetch } = fakeFetch([
      { status: 204, headers: { 'Retry-After': '0' } },
      { status: 204, headers: { 'Retry-After': '0' } },
    ]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch, maxRetries: 1 });
    await assert.rejects(
      pc.customers.usageRecords.get(),
      (e: unknown) => e instanceof DataNotReadyError && e.retryAfter === 0,
    );
    assert.equal(calls.length, 2);
  });

  it('times out an attempt, and stops at once when the caller aborts', async () => {
    const slow = fakeFetch(['hang']);
    const pc = new PartnerCenter({
      baseUrl: 'http://pc.test',
      credential: 't',
      fetch: slow.fetch,
      timeoutMs: 50,
      maxRetries: 0,
    });
    await assert.rejects(pc.customers.usageRecords.get(), APIConnectionTimeoutError);
    const hanging = fakeFetch(['hang', 'hang']);
    const aborting = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: hanging.fetch });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(aborting.customers.usageRecords.get({ signal: controller.signal }), APIUserAbortError);
    assert.equal(hanging.calls.length, 1);
  });

  it('accepts every form of link uri Partner Center writes', () => {
    const client = new ApiClient({ baseUrl: 'https://api.partnercenter.microsoft.com/', credential: 't' });
    assert.equal(
      client.url('/customers/usagerecords'),
      'https://api.partnercenter.microsoft.com/v1/customers/usagerecords',
    );
    assert.equal(
      client.url('customers/x/utilizations/azure?seek_operation=Next'),
      'https://api.partnercenter.microsoft.com/v1/customers/x/utilizations/azure?seek_operation=Next',
    );
    assert.equal(
      client.url('/v1/customers/usagerecords?seek_operation=Next'),
      'https://api.partnercenter.microsoft.com/v1/customers/usagerecords?seek_operation=Next',
    );
  });
});

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

  it("is the package's partner-usage/sdk entry point", async () => {
    const sdk = await import('partner-usage/sdk');
    assert.equal(typeof sdk.PartnerCenter, 'function');
    assert.equal(typeof sdk.NotFoundError, 'function');
  });
});
