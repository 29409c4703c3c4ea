import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ScannedRecord } from '../src/ingest/csv-scanner.js';
import { entryIdentity, LineIdentity, loadIdentityHasher } from '../src/ingest/line-identity.js';

/** A record of the given fields, as the scanner gives one (offsets into a shared buffer). */
function record(fields: readonly string[], offset = 3): ScannedRecord {
  const buf = Buffer.alloc(offset + fields.join(',').length + 8, 0x23);
  const starts = new Int32Array(fields.length);
  const ends = new Int32Array(fields.length);
  let at = offset;
  fields.forEach((f, i) => {
    starts[i] = at;
    at += buf.write(f, at, 'latin1');
    ends[i] = at;
    buf[at++] = 0x2c;
  });
  return {
    buf,
    starts,
    ends,
    escaped: new Uint8Array(fields.length),
    count: fields.length,
    line: 2,
    start: offset,
    end: at,
  };
}

const RESOURCE = Int32Array.from([0x11111111, 0x22222222, 0x1234567, -0x7654321]);
const METER = Int32Array.from([0x33333333, 0x44444444]);

/** The identity of a line of `fields` (all identity columns), on resource r, meter m, a day. */
function identity(fields: readonly string[], day = 20261103, r = 0, m = 0, columns = fields.map((_, i) => i)): bigint {
  const out = new Int32Array(2);
  new LineIdentity(columns).of(record(fields), RESOURCE, r, METER, m, day, out, 0);
  return (BigInt(out[1]! >>> 0) << 32n) | BigInt(out[0]! >>> 0);
}

describe('line identity', () => {
  before(() => loadIdentityHasher());

  it('is the same value in every release: stored identities must match the next import', () => {
    // If this changes, lines imported before the change are doubled by a re-import after it.
    assert.equal(
      identity(['DZH318Z0BPS6', '0001', 'DZH318Z0BML6', 'new', '', '', '', '']).toString(16),
      '5b6b551a6a135ec4',
    );
    assert.equal(identity(['a', 'bcdefgh', '']).toString(16), 'bd1a5db4ab9339e9');
    const out = new Int32Array(4);
    entryIdentity(Buffer.from('xc1111111-2222-4333-8444-555555555555'), 1, 37, 5, -6, out, 2);
    assert.deepEqual([...out], [0, 0, -1464415534, -253325250]);
  });

  it('changes with every part: each column, the day, the resource, the meter', () => {
    const base = ['DZH318Z0BPS6', '0001', 'DZH318Z0BML6', 'new', 'b1', 'b2', 'b3', 'c'];
    const seen = new Set([identity(base)]);
    base.forEach((_, i) => {
      const changed = [...base];
      changed[i] = `${changed[i]}x`;
      seen.add(identity(changed));
      changed[i] = changed[i]!.slice(0, -2);
      seen.add(identity(changed));
    });
    seen.add(identity(base, 20261104));
    seen.add(identity(base, 20261103, 1));
    const otherMeter = new Int32Array(2);
    new LineIdentity(base.map((_, i) => i)).of(
      record(base),
      RESOURCE,
      0,
      Int32Array.from([0x33333333, 0x44444445]),
      0,
      20261103,
      otherMeter,
      0,
    );
    seen.add((BigInt(otherMeter[1]! >>> 0) << 32n) | BigInt(otherMeter[0]! >>> 0));
    const otherResourceHigh = new Int32Array(2);
    new LineIdentity(base.map((_, i) => i)).of(
      record(base),
      Int32Array.from([0x11111111, 0x22222223]),
      0,
      METER,
      0,
      20261103,
      otherResourceHigh,
      0,
    );
    seen.add((BigInt(otherResourceHigh[1]! >>> 0) << 32n) | BigInt(otherResourceHigh[0]! >>> 0));
    assert.equal(seen.size, 1 + 2 * base.length + 4);
    // A column the file does not have counts as an empty one.
    assert.equal(identity([...base.slice(0, 7), '']), identity(base, 20261103, 0, 0, [0, 1, 2, 3, 4, 5, 6, -1]));
  });

  it('does not let bytes move between columns unseen, at any length up to past a word', () => {
    const seen = new Set<bigint>();
    const text = 'abcdefghij';
    for (let cut = 0; cut <= text.length; cut++) seen.add(identity([text.slice(0, cut), text.slice(cut)]));
    assert.equal(seen.size, text.length + 1);
    // Lengths 1 to 9 of one column: every tail length (0–3 bytes after the 4-byte words) hashes apart.
    const lengths = new Set(Array.from({ length: 9 }, (_, n) => identity(['z'.repeat(n + 1)])));
    assert.equal(lengths.size, 9);
    assert.notEqual(identity(['ab\u0000']), identity(['ab']), 'a trailing zero byte is a byte');
  });

  it('depends on the bytes, not where they lie in the buffer', () => {
    const fields = ['DZH318Z0BPS6', '0001', 'x'];
    const at = (offset: number) => {
      const out = new Int32Array(4);
      new LineIdentity([0, 1, 2]).of(record(fields, offset), RESOURCE, 1, METER, 0, 20261103, out, 2);
      return [out[2], out[3]];
    };
    assert.deepEqual(at(0), at(5));
    assert.deepEqual(at(1), at(7));
  });

  it('seeds an entry with its parent: the same key under two parents is two entries', () => {
    const key = Buffer.from('/subscriptions/x/resourcegroups/rg');
    const out = new Int32Array(6);
    entryIdentity(key, 0, key.length, 0, 0, out, 0);
    entryIdentity(key, 0, key.length, 1, 0, out, 2);
    entryIdentity(key, 0, key.length, 0, 1, out, 4);
    const pairs = new Set([0, 2, 4].map((i) => `${out[i]},${out[i + 1]}`));
    assert.equal(pairs.size, 3);
  });
});
