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
}

/** Rows collected column by column into groups of ROW_GROUP. */
export class ColumnGroups {
  private group: GroupColumn[];
  private rows = 0;

  constructor(private readonly columns: readonly ExportColumn[]) {
    this.group = this.fresh();
  }

  private fresh(): GroupColumn[] {
    return this.columns.map((c) => new GroupColumn(c.type === 'decimal'));
  }

  /** Adds a row; true when the group is full (take it). */
  add(values: readonly (string | null)[]): boolean {
    const group = this.group;
    for (let i = 0; i < values.length; i++) group[i]!.add(this.rows, values[i]!);
    return ++this.rows === ROW_GROUP;
  }

  get size(): number {
    return this.rows;
  }

  /** The group so far, column by column; the next rows start a new one. */
  take(): GroupColumnData[] {
    const taken = this.group.map((c) => c.take(this.rows));
    this.group = this.fresh();
    this.rows = 0;
    return taken;
  }
}
