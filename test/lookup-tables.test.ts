import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ByteDictionary } from '../src/ingest/byte-dictionary.js';
import { loadIdentityHasher } from '../src/ingest/line-identity.js';
import { IdentityTable, occurrenceKey } from '../src/storage/identity-table.js';

// A deterministic generator, so that a failure can be replayed.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('byte dictionary', () => {
  before(() => loadIdentityHasher());

  it('finds every key under its parent, as a Map of strings does, through growth and shared prefixes', () => {
    const next = random(7);
    const dict = new ByteDictionary();
    const reference = new Map<string, number>();
    // URIs sharing long prefixes and differing at the end, keys of every length from 0 to a few
    // hundred bytes, the same bytes under several parents; looked up inside a larger buffer.
    for (let round = 0; round < 20_000; round++) {
      const parent = next() % 5;
      const kind = next() % 3;
      const key =
        kind === 0
          ? `/subscriptions/${next() % 50}/resourceGroups/rg/providers/x/${next() % 200}`
          : kind === 1
            ? 'k'.repeat(next() % 300)
            : String(next() % 1000);
      const buf = Buffer.from(`,,${key},,`);
      const name = `${parent}|${key}`;
      const found = dict.find(buf, 2, 2 + key.length, parent);
      assert.equal(found, reference.get(name) ?? -1, `find ${name}`);
      if (found < 0) reference.set(name, dict.add(buf, 2, 2 + key.length, parent));
    }
    assert.equal(dict.size, reference.size);
    // Every entry again, in another order and in another buffer.
    for (const [name, index] of [...reference].reverse()) {
      const [parent, key] = [Number(name.slice(0, name.indexOf('|'))), name.slice(name.indexOf('|') + 1)];
      assert.equal(dict.find(Buffer.from(key), 0, key.length, parent), index);
    }
  });
});

describe('identity table', () => {
  it('counts identities and holds places exactly, as a Map does, through growth and after reserve()', () => {
    for (const reserve of [0, 50_000]) {
      const next = random(11 + reserve);
      const counts = new IdentityTable({ wide: false });
      const places = new IdentityTable({ wide: true });
      if (reserve) counts.reserve(reserve);
      const reference = new Map<string, number>();
      const ids: [number, number][] = [];
      for (let i = 0; i < 60_000; i++) {
        // A fifth of the lines repeat an earlier identity.
        const id: [number, number] =
          ids.length > 0 && next() % 5 === 0 ? ids[next() % ids.length]! : [next() | 0, next() | 0];
        ids.push(id);
        const name = id.join(',');
        assert.equal(counts.increment(id[0], id[1]), reference.get(name) ?? 0);
        reference.set(name, (reference.get(name) ?? 0) + 1);
        places.set(id[0], id[1], 2 ** 40 + i); // beyond 32 bits
      }
      assert.equal(counts.size, reference.size);
      for (const [name, count] of reference) {
        const [lo, hi] = name.split(',').map(Number) as [number, number];
        assert.equal(counts.get(lo, hi), count);
      }
      const [lo, hi] = ids.at(-1)!;
      assert.equal(places.get(lo, hi), 2 ** 40 + ids.length - 1);
      assert.equal(counts.get(lo ^ 1, hi), reference.get(`${lo ^ 1},${hi}`));
    }
  });

  it('keeps one entry for an identity set twice, and refuses the value 0 that marks an empty slot', () => {
    const table = new IdentityTable({ wide: false });
    table.set(5, 6, 1);
    table.set(5, 6, 9);
    assert.equal(table.size, 1);
    assert.equal(table.get(5, 6), 9);
    assert.equal(table.get(6, 5), undefined);
    assert.throws(() => table.set(1, 2, 0), /0 marks an empty slot/);
    assert.equal(table.size, 1);
  });

  it('finds identities that share a slot: the same low word, or the same mix of both', () => {
    const table = new IdentityTable({ wide: false });
    // lo ^ hi·φ equal for all of these: the same starting slot, told apart by their words.
    const phi = 0x9e3779b1;
    const ids = [0, 1, 2, 3, 4].map((hi) => [(7 ^ Math.imul(hi, phi)) | 0, hi] as const);
    ids.forEach(([lo, hi], n) => table.set(lo, hi, n + 1));
    ids.forEach(([lo, hi], n) => assert.equal(table.get(lo, hi), n + 1));
    assert.equal(table.size, 5);
    // The same low word, high words whose mix differs in the last bit only: one starting slot.
    let inverse = phi;
    for (let k = 0; k < 5; k++) inverse = Math.imul(inverse, 2 - Math.imul(phi, inverse));
    const hi1 = 12345;
    const hi2 = Math.imul(Math.imul(hi1, phi) ^ 1, inverse);
    const twins = new IdentityTable({ wide: false });
    twins.set(99, hi1, 1);
    twins.set(99, hi2, 2);
    assert.deepEqual([twins.get(99, hi1), twins.get(99, hi2), twins.size], [1, 2, 2]);
    // Two that start at the last slot: the second wraps around to the first.
    const last = new IdentityTable({ wide: false });
    const atEnd = [5, 6].map((hi) => [(0xffffffff ^ Math.imul(hi, phi)) | 0, hi] as const);
    atEnd.forEach(([lo, hi], n) => last.set(lo, hi, n + 1));
    atEnd.forEach(([lo, hi], n) => assert.equal(last.get(lo, hi), n + 1));
  });
});

describe('occurrence keys', () => {
  it('are the identity itself for the first line of it, and distinct for the others', () => {
    const out = new Int32Array(2);
    occurrenceKey(123, -456, 0, out);
    assert.deepEqual([...out], [123, -456]);
    const seen = new Set<string>(['123,-456']);
    for (let ordinal = 1; ordinal <= 1000; ordinal++) {
      occurrenceKey(123, -456, ordinal, out);
      seen.add(`${out[0]},${out[1]}`);
    }
    assert.equal(seen.size, 1001);
    occurrenceKey(123, -456, 1, out);
    assert.deepEqual([...out], [123 ^ Math.imul(1, 0x9e3779b1), -456 ^ Math.imul(1 + 0x7f4a7c15, 0x85ebca6b)]);
  });
});
