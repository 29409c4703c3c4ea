import type { ExportColumn } from './export-layout.js';

/** Rows per group (a Parquet row group): what is held in memory before it is encoded and written. */
export const ROW_GROUP = 16_384;

/** A group's column: its distinct values, and per row the index of its value (-1: null). */
export interface GroupColumnData {
  readonly values: readonly string[];
  readonly indexes: Int32Array;
}

/** The rows after which an amount column of nearly all distinct values stops looking them up. */
const DISTINCT_SAMPLE = 1024;

/**
 * A group's column as its distinct values and, per row, the index of its value (-1: null): an
 * encoder converts and formats each distinct value once, not once a row. An amount column whose
 * values nearly all differ stops looking them up after its first rows: each is then kept as it
 * comes, as the look-ups would cost more than they save. (Text columns always look up: a file lists
 * a day's resources one after another, so its first rows differ though the group repeats each.)
 */
class GroupColumn {
  private index: Map<string, number> | undefined = new Map();
  private readonly values: string[] = [];
  private readonly indexes = new Int32Array(ROW_GROUP);
  private last: string | undefined;
  private lastAt = 0;

  constructor(private readonly amounts: boolean) {}

  add(row: number, value: string | null): void {
    if (value === null) {
      this.indexes[row] = -1;
      return;
    }
    // Most columns repeat the row before's value (an account, a currency, a day): no look-up then.
    if (value === this.last) {
      this.indexes[row] = this.lastAt;
      return;
    }
    const index = this.index;
    let at = index?.get(value);
    if (at === undefined) {
      at = this.values.push(value) - 1;
      if (index) {
        index.set(value, at);
        if (this.amounts && row === DISTINCT_SAMPLE && index.size > DISTINCT_SAMPLE * 0.9) this.index = undefined;
      }
    }
    this.indexes[row] = at;
    this.last = value;
    this.lastAt = at;
  }

  take(rows: number): GroupColumnData {
    return { values: this.values, indexes: this.indexes.subarray(0, rows) };
  }

  /**
   * Becomes a column of its own at `row`, having held `source`'s value on every row before it:
   * those rows' values and indexes copied, its look-ups where the source's are.
   */
  split(source: GroupColumn, row: number): void {
    for (const value of source.values) this.values.push(value);
    this.indexes.set(source.indexes.subarray(0, row));
    this.index = source.index && new Map(source.index);
    this.last = source.last;
    this.lastAt = source.lastAt;
  }
}

/**
 * Rows collected column by column into groups of ROW_GROUP. A column whose layout says it holds
 * another's value (`sameAs`: FOCUS's EffectiveCost is its BilledCost) is handed over as that
 * column's very data while every row of the group bears it out, so the encoder converts and
 * writes it once (parquet-encoder.ts); a row where they differ makes it a column of its own.
 */
export class ColumnGroups {
  private group: GroupColumn[];
  private rows = 0;
  /** Per column, the earlier column it holds the value of, or -1. */
  private readonly sources: Int32Array;
  /** Per column, whether it still holds its source's value on every row of this group. */
  private following: Uint8Array;

  constructor(private readonly columns: readonly ExportColumn[]) {
    this.group = this.fresh();
    this.sources = new Int32Array(columns.length).fill(-1);
    columns.forEach((c, i) => {
      const source = c.sameAs === undefined ? -1 : columns.findIndex((s) => s.name === c.sameAs);
      // An earlier column only, and the one it holds the value of in turn: a source is never a follower.
      if (source >= 0 && source < i) this.sources[i] = this.sources[source]! >= 0 ? this.sources[source]! : source;
    });
    this.following = this.followers();
  }

  private followers(): Uint8Array {
    return Uint8Array.from(this.sources, (s) => (s >= 0 ? 1 : 0));
  }

  private fresh(): GroupColumn[] {
    return this.columns.map((c) => new GroupColumn(c.type === 'decimal'));
  }

  /** Adds a row; true when the group is full (take it). */
  add(values: readonly (string | null)[]): boolean {
    const group = this.group;
    const following = this.following;
    for (let i = 0; i < values.length; i++) {
      if (following[i] === 1) {
        const source = this.sources[i]!;
        if (values[i] === values[source]) continue;
        group[i]!.split(group[source]!, this.rows);
        following[i] = 0;
      }
      group[i]!.add(this.rows, values[i]!);
    }
    return ++this.rows === ROW_GROUP;
  }

  get size(): number {
    return this.rows;
  }

  /** The group so far, column by column; the next rows start a new one. */
  take(): GroupColumnData[] {
    const taken = this.group.map((c) => c.take(this.rows));
    for (let i = 0; i < taken.length; i++) if (this.following[i] === 1) taken[i] = taken[this.sources[i]!]!;
    this.group = this.fresh();
    this.following = this.followers();
    this.rows = 0;
    return taken;
  }
}
