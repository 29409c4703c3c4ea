import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ColumnGroups, type GroupColumnData } from '../src/export/column-groups.js';
import { csvEncoder } from '../src/export/csv-encoder.js';
import type { ExportColumn } from '../src/export/export-layout.js';
import { parquetEncoder } from '../src/export/parquet-encoder.js';

const column = (name: string, type: ExportColumn['type'], sameAs?: string, required = false): ExportColumn => ({
  name,
  type,
  required,
  ...(sameAs === undefined ? {} : { sameAs }),
});

/** A group column's rows again, from its distinct values and indexes. */
const rowsOf = (data: GroupColumnData) => [...data.indexes].map((i) => (i < 0 ? null : data.values[i]!));

const COLUMNS = [
  column('Billed', 'decimal', undefined, true),
  column('Effective', 'decimal', 'Billed', true),
  column('Unit', 'string'),
  column('PricingUnit', 'string', 'Unit'),
  column('Orphan', 'string', 'Missing'),
  column('Early', 'string', 'Late'),
  column('Late', 'string'),
  column('Chained', 'decimal', 'Effective', true),
  // The same data, another schema (required, then optional): shared, but encoded on its own.
  column('Account', 'string', undefined, true),
  column('Issuer', 'string', 'Account'),
];

/** Rows of COLUMNS: Effective and Chained always the billed amount; PricingUnit differs from Unit from row `split` on. */
function rowsFor(count: number, split: number): (string | null)[][] {
  return Array.from({ length: count }, (_, r) => {
    const billed = `${r % 3}.5`;
    const unit = r % 2 === 0 ? 'GB' : null;
    const account = `a${r % 2}`;
    return [
      billed,
      billed,
      unit,
      r >= split ? 'Hours' : unit,
      `o${r % 2}`,
      `e${r}`,
      `l${r % 4}`,
      billed,
      account,
      account,
    ];
  });
}

function groupOf(columns: readonly ExportColumn[], rows: (string | null)[][]): GroupColumnData[] {
  const groups = new ColumnGroups(columns);
  for (const row of rows) groups.add(row);
  return groups.take();
}

describe('column groups: a column that holds an earlier one’s value (sameAs)', () => {
  it('is handed over as that column’s very data while every row bears it out, and becomes its own where one does not', () => {
    const rows = rowsFor(10, 6);
    const taken = groupOf(COLUMNS, rows);
    assert.equal(taken[1], taken[0], 'Effective is Billed’s data');
    assert.equal(taken[7], taken[0], 'a column named after a follower holds its source’s data');
    assert.notEqual(taken[3], taken[2], 'PricingUnit differs from row 6: a column of its own');
    assert.notEqual(taken[4], taken[0], 'a missing source: its own');
    assert.notEqual(taken[5], taken[6], 'a later source: its own');
    assert.equal(taken[9], taken[8], 'Issuer is Account’s data (the encoder checks their schemas)');
    // Every column gives back exactly its rows, split or shared.
    COLUMNS.forEach((c, i) =>
      assert.deepEqual(
        rowsOf(taken[i]!),
        rows.map((r) => r[i]),
        c.name,
      ),
    );
    // The split column kept the distinct values its source had before the row that differed.
    assert.deepEqual(taken[3]!.values, ['GB', 'Hours']);
  });

  it('starts each group following again', () => {
    const groups = new ColumnGroups(COLUMNS);
    for (const row of rowsFor(4, 2)) groups.add(row);
    const first = groups.take();
    assert.notEqual(first[3], first[2], 'split in the first group');
    for (const row of rowsFor(4, 99)) groups.add(row);
    const second = groups.take();
    assert.equal(second[3], second[2], 'following again in the next');
    assert.deepEqual(rowsOf(second[3]!), ['GB', null, 'GB', null]);
  });

  it('splits on the first row too, and on a null against a value', () => {
    const columns = [column('A', 'string'), column('B', 'string', 'A')];
    const taken = groupOf(columns, [
      ['x', null],
      ['y', 'y'],
    ]);
    assert.notEqual(taken[1], taken[0]);
    assert.deepEqual(rowsOf(taken[1]!), [null, 'y']);
    assert.deepEqual(rowsOf(taken[0]!), ['x', 'y']);
  });

  it('makes the same Parquet and CSV bytes as columns written each on its own', () => {
    const rows = rowsFor(3000, 2000);
    const separate = COLUMNS.map(({ name, type, required }) => ({ name, type, required }));
    const decimals = COLUMNS.map((c) => (c.type === 'decimal' ? { precision: 2, scale: 1 } : undefined));
    const encode = (columns: readonly ExportColumn[], kind: 'parquet' | 'csv') => {
      const chunks: Uint8Array[] = [];
      const emit = (chunk: Uint8Array) => chunks.push(chunk.slice());
      const encoder =
        kind === 'parquet' ? parquetEncoder({ columns: separate, decimals }, emit) : csvEncoder(separate, emit);
      // Two groups: the shared columns' bytes are found again in each.
      encoder.writeGroup(groupOf(columns, rows.slice(0, 1500)));
      encoder.writeGroup(groupOf(columns, rows.slice(1500)));
      encoder.finish();
      return Buffer.concat(chunks);
    };
    for (const kind of ['parquet', 'csv'] as const) {
      const shared = encode(COLUMNS, kind);
      assert.ok(shared.length > 1000, `${kind}: ${shared.length} bytes`);
      assert.deepEqual(shared, encode(separate, kind), kind);
    }
  });
});
