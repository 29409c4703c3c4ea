import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { ApiError } from '../src/contract/api-errors.js';
import { ContinuationTokens, type PageCursor } from '../src/server/paging/continuation-token.js';

const PARTNER = '3a6b8f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const cursor: PageCursor = { partner: PARTNER, route: 'customers', period: '2026-11', size: 100, after: 'c-0100' };
const SECRET = Buffer.alloc(32, 7);
const tokens = new ContinuationTokens(SECRET);
const expect = { partner: PARTNER, route: 'customers', period: undefined };

const refused = (fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 800002);

describe('continuation tokens', () => {
  it('read back the cursor they were issued for, on the same route and partner', () => {
    const token = tokens.issue(cursor);
    assert.deepEqual(tokens.read(token, expect), cursor);
    assert.deepEqual(tokens.read(token, { ...expect, period: '2026-11' }), cursor);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'base64url body, HMAC-SHA256');
  });

  it('are refused on another route, for another partner, or for another named period', () => {
    const token = tokens.issue(cursor);
    refused(() => tokens.read(token, { ...expect, route: 'customers/x/subscriptions/y/meters' }));
    refused(() => tokens.read(token, { ...expect, partner: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' }));
    refused(() => tokens.read(token, { ...expect, period: '2026-10' }));
  });

  it('are refused when tampered with, signed with another secret, or malformed', () => {
    const token = tokens.issue(cursor);
    const [body, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify([1, PARTNER, 'customers', '2026-11', 1000, 'c-0100'])).toString(
      'base64url',
    );
    refused(() => tokens.read(`${forged}.${mac}`, expect));
    refused(() => tokens.read(`${body}.${mac.slice(0, -1)}`, expect));
    refused(() => tokens.read(`${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, expect));
    refused(() => new ContinuationTokens(Buffer.alloc(32, 8)).read(token, expect));
    for (const bad of ['', '.', `${body}.`, `.${mac}`, `${body}.${mac}.x`, body, `${body}.${mac}${'A'.repeat(2048)}`]) {
      refused(() => tokens.read(bad, expect));
    }
  });

  it('are refused when the signed body is not a version-1 cursor of six fields', () => {
    // Signed with the right secret (the documented format), so only the body checks stand
    // between these and a cursor.
    const signed = (body: string) => `${body}.${crypto.createHmac('sha256', SECRET).update(body).digest('base64url')}`;
    const json = (fields: unknown) => signed(Buffer.from(JSON.stringify(fields)).toString('base64url'));
    assert.deepEqual(tokens.read(json([1, PARTNER, 'customers', '2026-11', 100, 'c-0100']), expect), cursor);
    refused(() => tokens.read(signed(Buffer.from('not json').toString('base64url')), expect));
    refused(() => tokens.read(json([2, PARTNER, 'customers', '2026-11', 100, 'c-0100']), expect));
    refused(() => tokens.read(json([1, PARTNER, 'customers', '2026-11', 100]), expect));
    refused(() => tokens.read(json([1, PARTNER, 'customers', '2026-11', 100, 'c-0100', 'x']), expect));
    refused(() => tokens.read(json({ 0: 1, length: 6 }), expect));
  });

  it('are refused past 2048 characters, however well signed, and read at exactly 2048', () => {
    const sized = (length: number) => {
      // The body grows 4 characters for 3 bytes: find the `after` that makes the token `length` long.
      for (let n = 0; n < 3000; n++) {
        const token = tokens.issue({ ...cursor, after: 'x'.repeat(n) });
        if (token.length === length) return token;
      }
      assert.fail(`no token of ${length} characters`);
    };
    const exact = sized(2048);
    assert.equal(tokens.read(exact, expect).after.length > 1400, true);
    refused(() => tokens.read(sized(2052), expect));
  });
});
