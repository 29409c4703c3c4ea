import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache, stringBytes } from '../src/server/bounded-cache.js';
import { cachedAt, cacheBytesFromEnv, ResponseCache } from '../src/server/response-cache.js';

describe('bounded cache', () => {
  const sized = (max: number) => new BoundedCache<string>(max, (k, v) => k.length + v.length);

  it('counts the bytes it holds through set, replace, delete and clear', () => {
    const cache = sized(100);
    cache.set('a', '1234');
    cache.set('b', '12');
    assert.equal(cache.bytes, 8);
    cache.set('a', '1');
    assert.equal(cache.bytes, 5, 'a replaced entry counts once, at its new size');
    assert.equal(cache.get('a'), '1');
    cache.delete('b');
    cache.delete('missing');
    assert.equal(cache.bytes, 2);
    assert.equal(cache.get('b'), undefined);
    cache.clear();
    assert.equal(cache.bytes, 0);
    assert.equal(cache.get('a'), undefined);
  });

  it('evicts the least recently used entries first, a read counting as use', () => {
    const cache = sized(40);
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, '123456789'); // 10 bytes each: full
    assert.equal(cache.get('a'), '123456789'); // b is now the least recent
    cache.set('e', '123456789');
    assert.equal(cache.bytes, 40);
    assert.equal(cache.get('b'), undefined, 'the least recent went');
    // Recency now c, d, a, e: a 5-byte entry needs one eviction (c), no more.
    cache.set('f', '1234');
    assert.equal(cache.bytes, 35);
    assert.deepEqual(
      ['c', 'd', 'a', 'e', 'f'].map((k) => cache.get(k) !== undefined),
      [false, true, true, true, true],
    );
  });

  it('remembers nothing of a key looked up and not found', () => {
    const cache = sized(40);
    assert.equal(cache.get('missing'), undefined);
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, '123456789'); // evicts as it fills
    assert.equal(cache.bytes, 40);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('e'), '123456789');
  });

  it('keeps an entry of exactly a quarter of its bound, and not a larger one', () => {
    const cache = sized(40);
    cache.set('k', '123456789'); // 10 = 40 / 4
    assert.equal(cache.get('k'), '123456789');
    cache.set('k', '1234567890'); // 11: not kept, and the older value is gone too
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.bytes, 0);
  });

  it('answers the newest key from its own memory, never a value it no longer holds', () => {
    const cache = sized(40);
    const key = (s: string) => [...s].join(''); // an equal string that is not the same one
    cache.set('t', 'one');
    assert.equal(cache.get(key('t')), 'one');
    cache.set('t', 'two');
    assert.equal(cache.get(key('t')), 'two', 'replaced');
    cache.delete('t');
    assert.equal(cache.get(key('t')), undefined, 'deleted');
    cache.set('t', 'three');
    cache.clear();
    assert.equal(cache.get(key('t')), undefined, 'cleared');
    cache.set('t', 'four');
    cache.set('u', 'five');
    assert.equal(cache.get(key('t')), 'four', 'an older key, from the map');
    assert.equal(cache.get(key('t')), 'four', 'then the newest');
    // Filled past its bound by others: the newest key is evicted only after another became newest.
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, '123456789');
    assert.equal(cache.get(key('t')), undefined, 'evicted');
    cache.set('t', 'x'.repeat(20)); // over a quarter of the bound: not kept
    assert.equal(cache.get(key('t')), undefined, 'a value too large for it');
  });

  it('counts a string as two bytes a code unit', () => {
    assert.equal(stringBytes(''), 0);
    assert.equal(stringBytes('abc'), 6);
    assert.equal(stringBytes('€'), 2);
  });
});

describe('response cache', () => {
  it('serves an entry only at the data version it was made at, and drops all at a new one', () => {
    const cache = new ResponseCache(1 << 20);
    const text = (b: Buffer | undefined) => b?.toString('utf8');
    assert.equal(cache.get('k', 'v1'), undefined);
    assert.equal(text(cache.set('k', 'v1', 'body')), 'body', 'set gives back the bytes to send');
    cache.set('j', 'v1', 'other');
    assert.equal(text(cache.get('k', 'v1')), 'body');
    assert.equal(cache.get('k', 'v2'), undefined, 'an import or a budget change makes a new version');
    assert.equal(cache.bytes, 0, 'every entry of the old version is dropped');
    assert.equal(cache.get('j', 'v2'), undefined);
    assert.equal(text(cache.set('k', 'v1', 'stale')), 'stale', 'given back, though not kept');
    assert.equal(cache.get('k', 'v2'), undefined, 'a body made at an older version is not kept');
    cache.set('k', 'v2', 'fresh €');
    assert.deepEqual(cache.get('k', 'v2'), Buffer.from('fresh €', 'utf8'));
    assert.equal(cache.bytes, stringBytes('k') + Buffer.byteLength('fresh €'), 'a body counts its UTF-8 bytes');
  });

  it("keeps the alert tables' answers apart: a new alerts version drops them only, and the usage answers stay", () => {
    const cache = new ResponseCache(1 << 20);
    cache.get('u', 'data1');
    cache.set('u', 'data1', 'usage');
    cache.get('a', 'data1.alerts1', 'alerts');
    cache.set('a', 'data1.alerts1', 'alerts', 'alerts');
    assert.equal(cache.get('a', 'data1.alerts1', 'alerts')?.toString(), 'alerts');
    assert.equal(cache.bytes, stringBytes('u') + 5 + stringBytes('a') + 6, 'both generations count');
    assert.equal(cache.get('a', 'data1', 'usage'), undefined, 'the same key in the other generation is another entry');
    assert.equal(
      cache.get('u', 'data1')?.toString(),
      'usage',
      'a lookup at the usage version does not drop the usage answers',
    );
    assert.equal(cache.get('a', 'data1.alerts2', 'alerts'), undefined, 'a delivery recorded: a new alerts version');
    assert.equal(cache.get('u', 'data1')?.toString(), 'usage', 'the usage answers are kept');
    assert.equal(cache.bytes, stringBytes('u') + 5, 'only the usage entry is held');
    // Counted for /metrics: the first lookup of each generation, the other key, the new version missed.
    assert.deepEqual([cache.hits, cache.misses], [3, 4]);
  });

  it("bounds the alerts' generation at an eighth of the whole", () => {
    const cache = new ResponseCache(8 * 1024);
    cache.get('k', 'v', 'alerts');
    cache.set('k', 'v', 'x'.repeat(200), 'alerts');
    assert.ok(cache.get('k', 'v', 'alerts'), 'a fifth of its bound is kept');
    cache.set('big', 'v', 'x'.repeat(300), 'alerts');
    assert.equal(cache.get('big', 'v', 'alerts'), undefined, 'more than a quarter of 1 KiB is not');
    cache.get('big', 'v');
    cache.set('big', 'v', 'x'.repeat(300));
    assert.ok(cache.get('big', 'v'), 'the usage generation has the whole bound');
  });

  it('caches an answer at the store version and the billing month: the first of a month is a new version', () => {
    const end = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    const start = Date.UTC(2026, 11, 1);
    assert.equal(cachedAt('7.1', end), '7.1|2026-11');
    assert.equal(cachedAt('7.1', Date.UTC(2026, 10, 1)), '7.1|2026-11');
    assert.equal(cachedAt('7.1', start), '7.1|2026-12', 'no write, and yet a new version');
    assert.equal(cachedAt('7.1', end), '7.1|2026-11', 'a clock set back is seen too');
    assert.equal(cachedAt('7.2', start), '7.2|2026-12');
  });

  it('holds nothing with a bound of 0', () => {
    const cache = new ResponseCache(0);
    cache.get('k', 'v');
    assert.equal(cache.set('k', 'v', 'body').toString(), 'body');
    assert.equal(cache.get('k', 'v'), undefined);
  });

  it('reads PARTNER_USAGE_CACHE_MB: MiB, fractions, 0 to turn it off, 64 by default, refusing others', () => {
    assert.equal(cacheBytesFromEnv({}), 64 * 2 ** 20);
    assert.equal(cacheBytesFromEnv({ PARTNER_USAGE_CACHE_MB: '' }), 64 * 2 ** 20);
    assert.equal(cacheBytesFromEnv({ PARTNER_USAGE_CACHE_MB: '0' }), 0);
    assert.equal(cacheBytesFromEnv({ PARTNER_USAGE_CACHE_MB: '1.5' }), 1.5 * 2 ** 20);
    assert.equal(cacheBytesFromEnv({ PARTNER_USAGE_CACHE_MB: '0.0000001' }), 0);
    for (const bad of ['-1', 'lots', 'Infinity']) {
      assert.throws(
        () => cacheBytesFromEnv({ PARTNER_USAGE_CACHE_MB: bad }),
        /PARTNER_USAGE_CACHE_MB must be a number of MiB/,
      );
    }
  });
});
