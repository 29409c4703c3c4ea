import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APIConnectionTimeoutError,
  APIUserAbortError,
  ApiClient,
  DataNotReadyError,
  InternalServerError,
  NotFoundError,
  PartnerCenter,
  TooManyRequestsError,
  UnauthorizedError,
} from '../src/sdk/index.js';
import { retryAfterSeconds } from '../src/sdk/errors.js';

// The SDK's request loop against an injected fetch: what it retries, how long it waits, when it
// gives up. Its calls to a real server are in sdk.test.ts.
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
    await assert.rejects(
      pc.customers.usageRecords.get(),
      (e: unknown) =>
        e instanceof APIConnectionTimeoutError && e.message === 'no response within 50 ms' && e.cause instanceof Error,
    );
    const hanging = fakeFetch(['hang', 'hang']);
    const aborting = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: hanging.fetch });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(
      aborting.customers.usageRecords.get({ signal: controller.signal }),
      (e: unknown) =>
        e instanceof APIUserAbortError && e.message === 'the request was aborted' && e.cause instanceof Error,
    );
    assert.equal(hanging.calls.length, 1);
  });

  it('backs off 0.5 s then 1 s, less up to 25% jitter, between retries without Retry-After', async (t) => {
    // The most jitter (random → 1): 375 ms and 750 ms; the timers may fire late, never early.
    t.mock.method(Math, 'random', () => 0.999999);
    const { calls, fetch } = fakeFetch([{ status: 503 }, { status: 408 }, ok]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    assert.equal((await pc.customers.usageRecords.get()).totalCount, 0);
    assert.equal(calls.length, 3);
    const gaps = [calls[1]!.at - calls[0]!.at, calls[2]!.at - calls[1]!.at];
    assert.ok(gaps[0]! >= 370 && gaps[0]! < 600, `first wait ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 745 && gaps[1]! < 975, `second wait ${gaps[1]} ms`);
  });

  it('sends Partner Center’s headers, a JSON body with its content type, and reads ids from the answer', async () => {
    const { calls, fetch } = fakeFetch([
      { status: 200, body: '{"amount":1.50}', headers: { 'MS-RequestId': 'srv-1', 'MS-CorrelationId': 'corr-srv' } },
      { status: 200, body: '' },
      { status: 200, body: 'not json' },
    ]);
    const sent: (RequestInit | undefined)[] = [];
    const recording = (async (url: string | URL | Request, init?: RequestInit) => {
      sent.push(init);
      return fetch(url, init);
    }) as typeof globalThis.fetch;
    const client = new ApiClient({
      baseUrl: 'http://pc.test',
      credential: 't',
      fetch: recording,
      application: 'app-x',
      correlationId: 'corr-client',
    });
    const patched = await client.request('PATCH', '/customers/c/usagebudget', {
      body: '{"amount":1.5}',
      correlationId: 'corr-call',
    });
    assert.equal(calls[0]!.headers['Content-Type'], 'application/json');
    assert.equal(calls[0]!.headers.Accept, 'application/json');
    assert.equal(calls[0]!.headers['MS-PartnerCenter-Application'], 'app-x');
    assert.equal(calls[0]!.headers['MS-CorrelationId'], 'corr-call');
    assert.equal(sent[0]!.method, 'PATCH');
    assert.equal(sent[0]!.body, '{"amount":1.5}');
    assert.equal(patched.requestId, 'srv-1');
    assert.equal(patched.correlationId, 'corr-srv');
    assert.equal((patched.body as { amount: { text: string } }).amount.text, '1.50');
    const empty = await client.request('GET', '/x');
    assert.equal(calls[1]!.headers['Content-Type'], undefined);
    assert.equal('body' in sent[1]!, false);
    assert.equal(calls[1]!.headers['MS-CorrelationId'], 'corr-client');
    assert.equal(empty.body, undefined);
    assert.equal(empty.requestId, calls[1]!.headers['MS-RequestId'], 'our own id when the answer has none');
    assert.equal(empty.correlationId, undefined);
    assert.equal((await client.request('GET', '/y')).body, 'not json');
  });

  it('takes a 204 without Retry-After as an empty answer, and names the server’s request id when data is not ready', async () => {
    const { fetch } = fakeFetch([
      { status: 204 },
      { status: 204, headers: { 'Retry-After': '0', 'MS-RequestId': 'srv-9' } },
    ]);
    const client = new ApiClient({ baseUrl: 'http://pc.test', credential: 't', fetch, maxRetries: 0 });
    const answer = await client.request('GET', '/x');
    assert.equal(answer.status, 204);
    assert.equal(answer.body, undefined);
    await assert.rejects(
      client.request('GET', '/x'),
      (e: unknown) => e instanceof DataNotReadyError && e.requestId === 'srv-9',
    );
  });

  it('asks no new token of a static credential after a 401, nor of any credential after a 404', async () => {
    const statics = fakeFetch([{ status: 401 }, ok]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: statics.fetch });
    await assert.rejects(pc.customers.usageRecords.get(), UnauthorizedError);
    assert.equal(statics.calls.length, 1);
    let issued = 0;
    const credential = async () => ({ token: `t${++issued}`, expiresOnTimestamp: Date.now() + 3_600_000 });
    const missing = fakeFetch([{ status: 404 }, ok]);
    const refreshing = new PartnerCenter({ baseUrl: 'http://pc.test', credential, fetch: missing.fetch });
    await assert.rejects(refreshing.customers.usageRecords.get(), NotFoundError);
    assert.equal(issued, 1);
  });

  it('does not count the refresh after a 401 as one of the retries', async (t) => {
    t.mock.method(Math, 'random', () => 0.999999);
    let issued = 0;
    const credential = async () => ({ token: `t${++issued}`, expiresOnTimestamp: Date.now() + 3_600_000 });
    const { calls, fetch } = fakeFetch([{ status: 401 }, { status: 500 }, { status: 500 }, ok]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential, fetch, maxRetries: 2 });
    assert.equal((await pc.customers.usageRecords.get()).totalCount, 0);
    assert.equal(calls.length, 4);
  });

  it('stops at once for a signal aborted before the call, or during a back-off, naming the abort', async () => {
    const { calls, fetch } = fakeFetch([ok]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    await assert.rejects(pc.customers.usageRecords.get({ signal: AbortSignal.abort() }), /the request was aborted/);
    assert.equal(calls.length, 0);
    const controller = new AbortController();
    const failing = fakeFetch([{ status: 500 }, ok]);
    const waiting = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: failing.fetch });
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      waiting.customers.usageRecords.get({ signal: controller.signal }),
      (e: unknown) => e instanceof APIUserAbortError && e.message === 'the request was aborted',
    );
    assert.ok(performance.now() - started < 350, 'the 375–500 ms back-off was cut short');
    assert.equal(failing.calls.length, 1);
    // Aborted while the answer came in: the back-off that follows does not start.
    const late = new AbortController();
    const lateFetch = (async () => {
      late.abort();
      return new Response(null, { status: 500 });
    }) as typeof globalThis.fetch;
    const quick = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: lateFetch });
    const at = performance.now();
    await assert.rejects(
      quick.customers.usageRecords.get({ signal: late.signal }),
      (e: unknown) => e instanceof APIUserAbortError && e.message === 'the request was aborted',
    );
    assert.ok(performance.now() - at < 300, `gave up after ${performance.now() - at} ms`);
  });

  it('retries a network failure, and gives up with it after maxRetries', async () => {
    let failures = 2;
    const attempts: number[] = [];
    const flaky = (async () => {
      attempts.push(performance.now());
      if (failures-- > 0) throw new TypeError('fetch failed');
      return new Response(ok.body, { status: 200 });
    }) as typeof globalThis.fetch;
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: flaky });
    assert.equal((await pc.customers.usageRecords.get()).totalCount, 0);
    assert.equal(attempts.length, 3);
    assert.ok(attempts[1]! - attempts[0]! >= 370, 'a network failure backs off too');
    failures = 5;
    const once = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch: flaky, maxRetries: 1 });
    await assert.rejects(
      once.customers.usageRecords.get(),
      (e: unknown) =>
        e instanceof Error && e.message === 'the request failed: fetch failed' && e.cause instanceof TypeError,
    );
  });

  it('waits at most 60 s whatever Retry-After says, and reads it as an HTTP date too', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { calls, fetch } = fakeFetch([{ status: 429, headers: { 'Retry-After': '3600' } }, ok]);
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential: 't', fetch });
    const done = pc.customers.usageRecords.get();
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await settle();
    assert.equal(calls.length, 1);
    t.mock.timers.tick(59_999);
    await settle();
    assert.equal(calls.length, 1, 'still waiting before 60 s');
    t.mock.timers.tick(1);
    await settle();
    assert.equal(calls.length, 2);
    assert.equal((await done).totalCount, 0);
    t.mock.timers.reset();
    const at = (value: string) => retryAfterSeconds(new Headers({ 'Retry-After': value }));
    const soon = at(new Date(Date.now() + 30_000).toUTCString())!;
    assert.ok(soon > 28 && soon <= 30, `an HTTP date 30 s ahead: ${soon}`);
    assert.equal(at(new Date(Date.now() - 30_000).toUTCString()), 0, 'a date past is no wait');
    assert.equal(at('-5'), 0);
    assert.equal(at('1.5'), 1.5);
    assert.equal(at('soon'), undefined);
    assert.equal(retryAfterSeconds(new Headers()), undefined);
  });

  it('asks once for a new token after a 401 from a refreshable credential, then gives the 401', async () => {
    const { calls, fetch } = fakeFetch([
      { status: 401, body: '{"code":400,"description":"expired","data":[],"source":"PartnerFD"}' },
      { status: 401, body: '{"code":400,"description":"expired","data":[],"source":"PartnerFD"}' },
      ok,
    ]);
    let issued = 0;
    const credential = async () => ({ token: `t${++issued}`, expiresOnTimestamp: Date.now() + 3_600_000 });
    const pc = new PartnerCenter({ baseUrl: 'http://pc.test', credential, fetch });
    await assert.rejects(pc.customers.usageRecords.get(), UnauthorizedError);
    assert.deepEqual(
      calls.map((c) => c.headers.Authorization),
      ['Bearer t1', 'Bearer t2'],
    );
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
