/**
 * The emulator's fault rules and the request budgets, as units (issue #32): which requests a rule
 * fails, how often, in what order; what a budget allows. Fast, for the mutation run; the routes
 * and the SDK against them are in test/emulator.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/contract/api-errors.js';
import { FaultRules, type FaultTarget } from '../src/server/emulator/fault-rules.js';
import { DEFAULT_RATE_LIMITS, RateLimits, rateLimitsFromEnv } from '../src/server/rate-limits.js';

const PARTNER = 'abcdef11-1111-4111-8111-111111111111';
const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';

const target = (over: Partial<FaultTarget> = {}): FaultTarget => ({
  operation: 'getCustomerUsageRecords',
  method: 'GET',
  path: '/v1/customers/usagerecords',
  partner: () => PARTNER,
  customer: undefined,
  ...over,
});

const rules = () => new FaultRules(['getCustomerUsageRecords', 'getCustomerUsageSummary', 'blob.download']);

/** The 400 a bad rule gets, its description. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    return error.message;
  }
  assert.fail('the rule was accepted');
}

describe('fault rules', () => {
  it('refuses a rule that is not one, naming the problem', () => {
    const r = rules();
    assert.match(
      refusal(() => r.add({ status: 503 })),
      /either an "operation" or a "path"/,
    );
    assert.match(
      refusal(() => r.add({ operation: 'getCustomerUsageRecords', path: '/v1/x', status: 503 })),
      /either an "operation" or a "path"/,
    );
    assert.match(
      refusal(() => r.add({ operation: 'nope', status: 503 })),
      /There is no operation "nope"/,
    );
    assert.match(
      refusal(() => r.add({ operation: 'getCustomerUsageRecords' })),
      /needs an effect/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 418 })),
      /status/,
    );
    assert.match(
      refusal(() => r.add({ path: 'v1/x', status: 500 })),
      /path/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 500, probability: 1.5 })),
      /probability/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 500, count: 0 })),
      /count/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 500, partner: 'x' })),
      /partner/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 500, colour: 'red' })),
      /colour|property/i,
    );
    assert.match(
      refusal(() => r.add('a string')),
      /^The fault rule is not valid: Expected object\.$/,
    );
    assert.match(
      refusal(() => r.add({ path: '/v1/x', status: 500, probability: 2 })),
      /^The fault rule is not valid: probability: Expected number to be less or equal to 1\.$/,
    );
    for (const [field, value] of [
      ['operation', ''],
      ['method', 'G'],
      ['method', 'GET /'],
      ['customer', 'x'],
      ['retryAfter', -1],
      ['retryAfter', 3601],
      ['delayMs', -1],
      ['delayMs', 600_001],
      ['cutAfterBytes', -1],
      ['seed', 1.5],
    ] as const) {
      const body: Record<string, unknown> = { status: 500, [field]: value };
      if (field !== 'operation') body.path = '/v1/x';
      assert.match(
        refusal(() => r.add(body)),
        new RegExp(`valid: ${field}: `),
        `${field}: ${value}`,
      );
    }
    assert.equal(r.size, 0, 'nothing kept');
    for (const effect of [{ status: 500 }, { delayMs: 0 }, { drop: true }, { cutAfterBytes: 0 }]) {
      assert.ok(r.add({ path: '/v1/x', ...effect }).id, `${JSON.stringify(effect)} is an effect`);
    }
  });

  it('keeps rules with ids in order, lists and removes them', () => {
    const r = rules();
    const a = r.add({ operation: 'getCustomerUsageRecords', status: 503, method: 'get' });
    const b = r.add({ path: '/v1/**', delayMs: 10 });
    assert.deepEqual([a.id, b.id], ['1', '2']);
    assert.equal(a.method, 'GET', 'the method upper-cased');
    assert.equal(a.fired, 0);
    assert.deepEqual(
      r.list().map((x) => x.id),
      ['1', '2'],
    );
    assert.equal(r.remove('3'), false);
    assert.equal(r.remove('1'), true);
    assert.deepEqual(
      r.list().map((x) => x.id),
      ['2'],
    );
    assert.equal(r.add({ path: '/x', drop: true }).id, '3', 'ids are never reused');
    assert.equal(r.remove(), true);
    assert.equal(r.size, 0);
  });

  it('matches by operation, or by a path where * is one segment and ** any, case-insensitively', () => {
    const r = rules();
    r.add({ path: '/v1/customers/*/usagesummary', status: 500 });
    assert.equal(r.pick(target({ operation: undefined, path: '/V1/Customers/abc/usageSummary' }))?.status, 500);
    assert.equal(r.pick(target({ path: '/v1/customers/abc/usagesummary/' }))?.status, 500, 'a trailing slash');
    assert.equal(r.pick(target({ path: '/v1/customers/a/b/usagesummary' })), undefined, '* is one segment');
    assert.equal(r.pick(target({ path: '/v1/customers/abc/usagesummaryx' })), undefined, 'the whole path');
    assert.equal(r.pick(target({ path: '/x/v1/customers/abc/usagesummary' })), undefined, 'from its start');
    r.remove();
    r.add({ path: '/v1/**', status: 502 });
    assert.equal(r.pick(target({ path: '/v1/customers/a/b/c' }))?.status, 502);
    assert.equal(r.pick(target({ path: '/v1.0/reports' })), undefined, 'a dot is a dot');
    r.remove();
    r.add({ path: '/v1.0/reports/*//', status: 503 });
    assert.equal(r.pick(target({ path: '/v1.0/reports/x' }))?.status, 503, 'trailing slashes of a rule ignored');
    assert.equal(r.pick(target({ path: '/v1x0/reports/x' })), undefined, 'a dot in a rule is a dot');
    r.remove();
    r.add({ operation: 'getCustomerUsageSummary', status: 504 });
    assert.equal(r.pick(target()), undefined);
    assert.equal(r.pick(target({ operation: 'getCustomerUsageSummary' }))?.status, 504);
  });

  it('matches a method, a partner and a customer when it names them', () => {
    const r = rules();
    r.add({ path: '/v1/**', method: 'patch', status: 500 });
    assert.equal(r.pick(target()), undefined);
    assert.equal(r.pick(target({ method: 'PATCH' }))?.status, 500);
    r.remove();
    r.add({ path: '/v1/**', partner: PARTNER.toUpperCase(), status: 503 });
    assert.equal(r.pick(target({ partner: () => '22222222-2222-4222-8222-222222222222' })), undefined);
    assert.equal(r.pick(target({ partner: () => undefined })), undefined, 'no token, no partner');
    assert.equal(r.pick(target())?.status, 503);
    r.remove();
    r.add({ path: '/v1/**', customer: CUSTOMER.toUpperCase(), status: 503 });
    assert.equal(r.pick(target()), undefined, 'a path that names no customer');
    assert.equal(r.pick(target({ customer: CUSTOMER }))?.status, 503);
  });

  it('the first matching rule fires; a count is spent, the rule stays listed with how often it fired', () => {
    const r = rules();
    const fired: string[] = [];
    r.onFired = (rule) => fired.push(rule.id);
    r.add({ operation: 'getCustomerUsageRecords', status: 429, count: 2 });
    r.add({ path: '/v1/**', status: 500 });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => r.pick(target())?.status),
      [429, 429, 500, 500],
    );
    assert.deepEqual(
      r.list().map((x) => x.fired),
      [2, 2],
    );
    assert.deepEqual(fired, ['1', '1', '2', '2']);
  });

  it('a probability fails about that share; a seed makes the sequence repeatable; 0 never fires', () => {
    const draw = (seed: number | undefined, probability: number) => {
      const r = rules();
      r.add({ path: '/v1/**', status: 500, probability, ...(seed === undefined ? {} : { seed }) });
      return Array.from({ length: 400 }, () => (r.pick(target()) ? 1 : 0));
    };
    // mulberry32's sequence for seed 42 (0.601, 0.448, 0.852, …): the calls it fails are fixed.
    assert.deepEqual(draw(42, 0.5).slice(0, 12), [0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0]);
    assert.notDeepEqual(draw(undefined, 0.5), draw(undefined, 0.5), 'without a seed, a new sequence each time');
    const first = draw(42, 0.25);
    assert.deepEqual(draw(42, 0.25), first, 'the same seed, the same calls');
    assert.notDeepEqual(draw(43, 0.25), first, 'another seed, other calls');
    const share = first.reduce<number>((a, b) => a + b, 0) / first.length;
    assert.ok(share > 0.17 && share < 0.33, `about a quarter: ${share}`);
    assert.equal(draw(7, 0).filter(Boolean).length, 0);
    assert.equal(draw(undefined, 1).filter(Boolean).length, 400);
    // A rule's draws are its own: requests it does not match do not move its sequence.
    const r = rules();
    r.add({ operation: 'getCustomerUsageSummary', status: 500, probability: 0.25, seed: 42 });
    const sequence = Array.from({ length: 400 }, () => {
      r.pick(target()); // another operation: not drawn for
      return r.pick(target({ operation: 'getCustomerUsageSummary' })) ? 1 : 0;
    });
    assert.deepEqual(sequence, first);
  });
});

describe('request budgets', () => {
  it('reads PARTNER_USAGE_RATE_LIMITS, the defaults where it is silent, and refuses what it cannot read', () => {
    assert.deepEqual(DEFAULT_RATE_LIMITS, {
      partner: { requests: 600, seconds: 60 },
      customer: { requests: 120, seconds: 60 },
    });
    assert.deepEqual(rateLimitsFromEnv({}), DEFAULT_RATE_LIMITS);
    assert.deepEqual(rateLimitsFromEnv({ PARTNER_USAGE_RATE_LIMITS: '  ' }), DEFAULT_RATE_LIMITS);
    assert.deepEqual(rateLimitsFromEnv({ PARTNER_USAGE_RATE_LIMITS: 'partner=1/3600' }).partner, {
      requests: 1,
      seconds: 3600,
    });
    assert.deepEqual(rateLimitsFromEnv({ PARTNER_USAGE_RATE_LIMITS: ' partner = 10 / 5 ' }), {
      partner: { requests: 10, seconds: 5 },
      customer: DEFAULT_RATE_LIMITS.customer,
    });
    assert.deepEqual(rateLimitsFromEnv({ PARTNER_USAGE_RATE_LIMITS: 'customer=3/1,partner=7/2' }), {
      partner: { requests: 7, seconds: 2 },
      customer: { requests: 3, seconds: 1 },
    });
    for (const bad of [
      'partner=0/60',
      'partner=10/0',
      'tenant=1/1',
      'partner=10',
      'partner=1.5/2',
      'xpartner=1/1',
      'partner=1/1x',
    ]) {
      assert.throws(() => rateLimitsFromEnv({ PARTNER_USAGE_RATE_LIMITS: bad }), /scope=requests\/seconds/, bad);
    }
  });

  /** The 429 a spent budget throws, or undefined when the request is allowed. */
  const refused = (fn: () => void): ApiError | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      assert.ok(error instanceof ApiError);
      return error;
    }
  };

  it('allows a partner its budget, then answers 429 with Retry-After; a customer’s budget is its own', () => {
    let now = 1_000_000;
    const limits = new RateLimits(
      { partner: { requests: 5, seconds: 60 }, customer: { requests: 2, seconds: 30 } },
      () => now,
    );
    const other = '22222222-2222-4222-8222-222222222222';
    limits.consume(PARTNER, CUSTOMER);
    now += 10_500;
    limits.consume(PARTNER, CUSTOMER.toUpperCase()); // the same customer, whatever its case
    const spent = refused(() => limits.consume(PARTNER, CUSTOMER));
    assert.equal(spent?.status, 429);
    assert.equal(spent.headers['Retry-After'], '20', 'until its window closes: 30 s after its first request');
    limits.consume(PARTNER, 'c0000000-0000-4000-8000-000000000002'); // another customer
    const fifth = refused(() => limits.consume(PARTNER, undefined)); // the partner's fifth
    assert.equal(fifth, undefined);
    assert.equal(refused(() => limits.consume(PARTNER, undefined))?.headers['Retry-After'], '50');
    assert.equal(
      refused(() => limits.consume(other, CUSTOMER)),
      undefined,
      "another partner's budget is its own",
    );
    now += 0.4;
    assert.equal(refused(() => limits.consume(PARTNER, undefined))?.headers['Retry-After'], '50', 'whole seconds up');
    now = 1_000_000 + 60_000;
    assert.equal(
      refused(() => limits.consume(PARTNER, CUSTOMER)),
      undefined,
      'both windows closed: a new budget',
    );
  });

  it('forgets windows that closed, so made-up customer ids cannot grow its memory', () => {
    let now = 0;
    const limits = new RateLimits(
      { partner: { requests: 1e9, seconds: 60 }, customer: { requests: 1, seconds: 60 } },
      () => now,
    );
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 1000; i++) limits.consume(PARTNER, `made-up-${minute}-${i}`);
      now += 60_000;
    }
    assert.equal(limits.keys, 1 + 1000, "the partner's window and the last minute's customers: the rest swept");
    assert.equal(
      refused(() => limits.consume(PARTNER, 'made-up-9-1')),
      undefined,
      "a closed window's key counts anew",
    );
    assert.equal(limits.keys, 1 + 1, 'the last minute swept too');
  });

  it('a sweep keeps the windows still open, and a window closes at its exact end, swept or not', () => {
    let now = 0;
    const limits = new RateLimits(
      { partner: { requests: 1e9, seconds: 60 }, customer: { requests: 1, seconds: 60 } },
      () => now,
    );
    limits.consume(PARTNER, 'a'); // a sweep at 0, the next at 60 s
    now = 30_000;
    limits.consume(PARTNER, 'b'); // b's window: 30 s → 90 s
    now = 61_000; // a sweep: a's window closed, b's open
    limits.consume(PARTNER, 'c');
    assert.equal(refused(() => limits.consume(PARTNER, 'b'))?.status, 429, "b's window survived the sweep");
    now = 89_999;
    assert.equal(refused(() => limits.consume(PARTNER, 'b'))?.headers['Retry-After'], '1');
    now = 90_000; // b's window ends here; the next sweep is at 121 s
    assert.equal(
      refused(() => limits.consume(PARTNER, 'b')),
      undefined,
      'closed at its exact end, before any sweep',
    );
  });
});
