import type { Writable } from 'node:stream';
import { spawnWorker } from '../ingest/spawn-worker.js';
import { plainDecimal } from '../money/decimal.js';
import { ColumnGroups } from './column-groups.js';
import type { EncoderMessage, EncoderPlan, EncoderTask } from './encoder-worker.js';
import type { ExportColumn } from './export-layout.js';
import type { ParquetPlan } from './parquet-encoder.js';

/** Where exported rows go, one at a time: CSV or Parquet on a stream. */
export interface RowSink {
  /** Takes a row; a promise, to be waited for, when a group went to the encoder (none otherwise). */
  write(values: readonly (string | null)[]): Promise<void> | undefined;
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

/** RFC 4180 CSV with a header (csv-encoder.ts), formatted in a worker thread. */
export function csvSink(out: Writable, columns: readonly ExportColumn[]): RowSink {
  return encodedSink(out, { encoding: 'csv', columns });
}

/** Parquet (parquet-encoder.ts), encoded in a worker thread. */
export function parquetSink(out: Writable, plan: ParquetPlan): RowSink {
  return encodedSink(out, { encoding: 'parquet', ...plan });
}

/**
 * The encoder thread's heap. Its old generation holds a group's values and their encoding; its
 * young generation, the values converted for a column at a time: with the parse workers' 4 MB the
 * Parquet encoder spent ~40 % of its time collecting, with 32 MB ~18 % (docs/benchmarks.md).
 */
const ENCODER_OLD_MB = 128;
const ENCODER_YOUNG_MB = 32;

/**
 * Rows encoded in a worker thread (encoder-worker.ts) while this thread makes the next group's
 * values: the encoding was about half of an export's work. At most two groups are held: one being
 * encoded, one being filled; the bytes are written to `out` in order.
 */
function encodedSink(out: Writable, plan: EncoderPlan): RowSink {
  // Only what the encoder needs crosses to it (a layout's columns carry their value functions).
  const columns = plan.columns.map(({ name, type, required }) => ({ name, type, required }));
  const worker = spawnWorker(import.meta.url, 'encoder-worker', { ...plan, columns }, ENCODER_OLD_MB, ENCODER_YOUNG_MB);
  let failure: Error | undefined;
  let writing: Promise<void> = Promise.resolve();
  let encoding = 0; // groups sent and not yet written
  let wake: (() => void) | undefined;
  let finished: (() => void) | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
    finished?.();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the export's encoder stopped (exit code ${code})`)));
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
  // A column that holds another's value is handed over as that column's data: its buffer once.
  const send = (task: EncoderTask) =>
    worker.postMessage(
      task,
      'group' in task ? [...new Set(task.group.map((c) => c.indexes.buffer as ArrayBuffer))] : [],
    );
  // Each column's values sent once a group and referred to by index (column-groups.ts).
  const groups = new ColumnGroups(columns);
  const flush = async () => {
    while (encoding > 1 && !failure) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
    encoding++;
    send({ group: groups.take() });
  };
  const stop = () => {
    worker.removeAllListeners('exit');
    void worker.terminate();
  };
  return {
    write(values) {
      return groups.add(values) ? flush() : undefined;
    },
    async end() {
      try {
        if (groups.size > 0) await flush();
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
