import type { Writable } from 'node:stream';
import { csvField } from '../domain/csv-field.js';
import { spawnWorker } from '../ingest/spawn-worker.js';
import { plainDecimal } from '../money/decimal.js';
import type { ExportColumn } from './export-layout.js';
import type { EncoderMessage, EncoderTask, ParquetPlan } from './parquet-encoder.js';

/** Where exported rows go, one at a time: CSV or Parquet on a stream. */
export interface RowSink {
  write(values: readonly (string | null)[]): Promise<void>;
  end(): Promise<void>;
  /** Stops without finishing the file (the export failed): frees what the sink holds. */
  abort(): void;
}

/** Writes a chunk, waiting for the stream to drain; rejects when the stream failed (a full disk). */
async function put(out: Writable, chunk: string | Uint8Array): Promise<void> {
  if (out.errored) throw out.errored;
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const drained = () => {
      out.off('error', failed);
      resolve();
    };
    const failed = (error: Error) => {
      out.off('drain', drained);
      reject(error);
    };
    out.once('drain', drained).once('error', failed);
  });
}

async function finish(out: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

/** RFC 4180 CSV with a header; decimals with every digit, timestamps as ISO-8601 UTC, null as empty. */
export function csvSink(out: Writable, columns: readonly ExportColumn[]): RowSink {
  let pending: string[] = [columns.map((c) => c.name).join(',')];
  const flush = async () => {
    await put(out, `${pending.join('\n')}\n`);
    pending = [];
  };
  return {
    async write(values) {
      pending.push(
        values
          .map((v, i) => (v === null ? '' : columns[i]!.type === 'decimal' ? plainDecimal(v) : csvField(v)))
          .join(','),
      );
      if (pending.length === 2000) await flush();
    },
    async end() {
      if (pending.length > 0) await flush();
      await finish(out);
    },
    abort() {
      pending = [];
    },
  };
}

/** Rows per Parquet row group: what is held in memory before it is encoded and written. */
const ROW_GROUP = 16_384;

/**
 * A row group's column as its distinct values and, per row, the index of its value (-1: null).
 * An amount column whose values nearly all differ stops looking them up after its first rows:
 * each is then kept as it comes, as the look-ups would cost more than they save. (Text columns
 * always look up: a file lists a day's resources one after another, so its first rows differ
 * though the group repeats each resource.)
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

  take(rows: number): { values: string[]; indexes: Int32Array } {
    return { values: this.values, indexes: this.indexes.subarray(0, rows) };
  }
}

/** The rows after which an amount column of nearly all distinct values stops looking them up. */
const DISTINCT_SAMPLE = 1024;

/**
 * The encoder thread's heap. Its old generation holds a row group's values and their encoding;
 * its young generation, the values converted for a column at a time: with the parse workers' 4 MB
 * it spent ~40 % of its time collecting, with 32 MB ~18 % (docs/benchmarks.md).
 */
const ENCODER_OLD_MB = 128;
const ENCODER_YOUNG_MB = 32;

/**
 * Parquet, encoded in a worker thread (parquet-encoder.ts says how) while this thread makes the
 * next row group's values: the encoding is about half an export's work. At most two row groups
 * are held: one being encoded, one being filled; the bytes are written to `out` in order.
 */
export function parquetSink(out: Writable, plan: ParquetPlan): RowSink {
  // Only what the encoder needs crosses to it (a layout's columns carry their value functions).
  const columns = plan.columns.map(({ name, type, required }) => ({ name, type, required }));
  const worker = spawnWorker(
    import.meta.url,
    'parquet-worker',
    { columns, decimals: plan.decimals },
    ENCODER_OLD_MB,
    ENCODER_YOUNG_MB,
  );
  let failure: Error | undefined;
  let writing: Promise<void> = Promise.resolve();
  let encoding = 0; // row groups sent and not yet written
  let wake: (() => void) | undefined;
  let finished: (() => void) | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
    finished?.();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the Parquet encoder stopped (exit code ${code})`)));
  worker.on('message', (message: EncoderMessage) => {
    // `writing` never rejects: a failed write (a full disk) is the sink's failure, seen by the next call.
    if ('chunk' in message)
      writing = writing
        .then(() => (failure ? undefined : put(out, message.chunk)))
        .catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    else if ('error' in message) fail(new Error(message.error));
    else
      void writing.then(() => {
        if ('group' in message) {
          encoding--;
          wake?.();
        } else finished?.();
      });
  });
  const send = (task: EncoderTask) =>
    worker.postMessage(task, 'group' in task ? task.group.map((c) => c.indexes.buffer as ArrayBuffer) : []);
  // Each column's values sent once a group and referred to by index: a column repeats a few values
  // (an account, a meter, a day), and the encoder converts each once.
  let group = columns.map((c) => new GroupColumn(c.type === 'decimal'));
  let rows = 0;
  const flush = async () => {
    while (encoding > 1 && !failure) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
    encoding++;
    send({ group: group.map((c) => c.take(rows)) });
    group = columns.map((c) => new GroupColumn(c.type === 'decimal'));
    rows = 0;
  };
  const stop = () => {
    worker.removeAllListeners('exit');
    void worker.terminate();
  };
  return {
    async write(values) {
      for (let i = 0; i < values.length; i++) group[i]!.add(rows, values[i]!);
      if (++rows === ROW_GROUP) await flush();
    },
    async end() {
      try {
        if (rows > 0) await flush();
        if (!failure) {
          const done = new Promise<void>((resolve) => (finished = resolve));
          send({ end: true });
          await done;
        }
        if (failure) throw failure;
        await finish(out);
      } finally {
        stop();
      }
    },
    abort: stop,
  };
}

/** The fractional and whole digits a decimal needs: what a DECIMAL(38, s) column must hold. */
export function decimalDigits(text: string): { whole: number; fraction: number } {
  // Counted in place: called for every decimal of every line before a Parquet export.
  const plain = plainDecimal(text);
  const dot = plain.indexOf('.');
  const end = dot < 0 ? plain.length : dot;
  let start = plain.charCodeAt(0) === 45 ? 1 : 0; // '-'
  while (start < end && plain.charCodeAt(start) === 48) start++; // leading '0's are not digits it needs
  return { whole: end - start, fraction: dot < 0 ? 0 : plain.length - dot - 1 };
}
