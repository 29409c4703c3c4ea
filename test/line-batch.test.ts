import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendAmount, bufferOf, growLineBatch, newLineBatch } from '../src/domain/line-batch.js';

describe('line batches', () => {
  it('keep every line, entry and amount when they grow, and reuse handed-back buffers', () => {
    const batch = newLineBatch();
    const capacity = batch.line.length;
    for (let i = 0; i < capacity; i++) {
      batch.line[i] = i + 2;
      batch.resource[i] = i % 7;
      batch.identity[i] = BigInt(i) * 3n;
      appendAmount(batch, Buffer.from(`${i}.5`), 0, `${i}.5`.length);
      batch.amountEnds[i] = batch.amountsLength;
    }
    batch.count = capacity;
    batch.periods.push('2026-10');
    const grown = growLineBatch(batch);
    assert.equal(grown.line.length, 2 * capacity);
    assert.equal(grown.count, capacity);
    assert.deepEqual(grown.periods, ['2026-10']);
    assert.equal(grown.line[capacity - 1], capacity + 1);
    assert.equal(grown.resource[capacity - 1], (capacity - 1) % 7);
    assert.equal(grown.identity[capacity - 1], BigInt(capacity - 1) * 3n);
    assert.equal(
      Buffer.from(grown.amounts.subarray(0, grown.amountsLength)).toString('latin1').split(',')[capacity - 1],
      `${capacity - 1}.5`,
    );
    // The buffers handed back make an empty batch over the same memory, without a copy.
    const reused = newLineBatch(bufferOf(grown));
    assert.equal(reused.count, 0);
    assert.equal(reused.line.buffer, grown.line.buffer);
    assert.ok(reused.line.buffer instanceof SharedArrayBuffer, 'batches live in shared memory');
  });
});
