import type { MessagePort } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';
import { CsvFormatError, CsvScanner, type ScannedRecord } from './csv-scanner.js';
import { readChunks, readRange, withoutBom } from './file-source.js';
import { recogniseHeader } from './file-formats.js';
import { BATCH_LINES, type LineBatch } from '../domain/line-batch.js';
import { decoderFor, LineError, type DecoderRules } from './line-decoder.js';
import { loadIdentityHasher } from './line-identity.js';
import type { ExportedSums } from '../money/sum-table.js';

/**
 * A parse task: reads one byte range of a reconciliation file (or all of a gzip file), scans and
 * decodes it, and posts line batches to the importer, which writes them. It runs in a worker (two
 * parse the two halves of a large file while the main thread writes), or, for a small file, in the
 * importer's thread behind a MessageChannel, which spares a worker's start (docs/ingest.md).
 */
export interface ParseTask {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly gzip: boolean;
  readonly header: readonly string[];
  /** gzip: the stream starts with the header, which is skipped here. */
  readonly skipHeader: boolean;
  /** The physical line `start` is on; 1 for a part whose line numbers are made absolute later. */
  readonly firstLine: number;
  readonly skipInvalid: boolean;
  readonly rules: DecoderRules;
  /** The most content bytes to read (a gzip file's inflated bytes count). */
  readonly maxBytes: number;
  /** The first half of a split file: its end must fall between two records. */
  readonly endsAtSplit: boolean;
}

export interface Rejection {
  readonly line: number;
  readonly column: string;
  readonly reason: string;
  readonly value: string;
  readonly record: string;
}

export type WorkerMessage =
  | {
      readonly type: 'batch';
      readonly batch: LineBatch;
      readonly rejections: Rejection[];
      readonly bytes: number;
      /** The parser's groups summed outside the fast form so far. */
      readonly slowGroups: number;
    }
  | {
      readonly type: 'done';
      readonly hash: string;
      readonly bytes: number;
      /** Per (resource, meter, period). */
      readonly sums: ExportedSums;
      /** Per (customer, usage day): billing and USD. */
      readonly daySums: ExportedSums;
    }
  | {
      readonly type: 'error';
      readonly message: string;
      readonly line?: number;
      readonly column?: string;
      /** The split point fell inside a record (a quoted field holding lines): parse the file whole. */
      readonly badSplit?: true;
      /** The worker passed its heap bound (parser.ts): parse again without one. */
      readonly outOfMemory?: true;
    };

/** Batches posted and not yet written; the worker waits beyond this, so memory stays flat. */
export const BATCHES_IN_FLIGHT = 4;
const FIRST_BATCH_LINES = 1024;
/**
 * A batch is taken early when this many bytes of its records brought new entries, or of rejected
 * records: both are held as strings until then, and a worker's heap is bounded (importer.ts).
 */
const BATCH_TEXT_BYTES = 4 << 20;
// A batch is posted after the chunk that fills it, so it can hold a chunk's lines more than
// BATCH_LINES: line-batch.ts's capacity allows for ~2k lines of this size.
const CHUNK_BYTES = 1 << 20;
const HASH_SLICE = 16 << 10;

/** Runs `task`, posting its batches and its end (its sums, or an error) to `port`. */
export async function parse(task: ParseTask, port: MessagePort): Promise<void> {
  try {
    await run(task, port);
  } catch (error) {
    port.postMessage(errorMessage(error));
  }
}

/** The importer stopped listening (it failed, or it was stopped): a parse in its thread ends too. */
class Stopped extends Error {}

async function run(task: ParseTask, port: MessagePort): Promise<void> {
  await loadIdentityHasher();
  const hash = (await xxhash()).create64();
  const decoder = decoderFor(recogniseHeader(task.header), task.rules);
  let credits = BATCHES_IN_FLIGHT;
  let wake: (() => void) | undefined;
  let stopped = false;
  port.once('close', () => {
    stopped = true;
    wake?.();
  });
  // The importer answers each batch written with its buffers, to reuse.
  port.on('message', (buffers: ArrayBufferLike[]) => {
    decoder.recycle(buffers);
    credits++;
    wake?.();
  });
  let rejections: Rejection[] = [];
  let rejectedBytes = 0;
  let headerSkipped = !task.skipHeader;
  let bytes = 0;
  const scanner = new CsvScanner(
    (rec: ScannedRecord) => {
      if (!headerSkipped) {
        headerSkipped = true;
        return;
      }
      try {
        decoder.decode(rec);
      } catch (error) {
        if (!(error instanceof LineError) || !task.skipInvalid) throw error;
        rejections.push({
          line: error.line,
          column: error.column,
          reason: error.reason,
          value: error.value,
          record: rec.buf.toString('utf8', rec.start, rec.end),
        });
        rejectedBytes += rec.end - rec.start;
      }
    },
    {
      firstLine: task.firstLine,
      width: task.header.length,
      ...(task.skipInvalid
        ? {
            onInvalid: (error: CsvFormatError, record: string) => {
              rejections.push({ line: error.line, column: '(record)', reason: error.message, value: '', record });
              rejectedBytes += record.length;
            },
          }
        : {}),
    },
  );
  const post = async (): Promise<void> => {
    while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
    if (stopped) throw new Stopped();
    credits--;
    const batch = decoder.take();
    const message: WorkerMessage = { type: 'batch', batch, rejections, bytes, slowGroups: decoder.slowGroups };
    rejections = [];
    rejectedBytes = 0;
    port.postMessage(message); // shared buffers: nothing is copied or transferred (line-batch.ts)
  };
  // The first batch goes out small, so that the importer starts writing (its first batches carry
  // most of the new customers and resources) while this worker warms up.
  let threshold = FIRST_BATCH_LINES;
  const chunks = task.gzip
    ? withoutBom(readChunks(task.file, { start: task.start, end: task.end, gzip: true }))
    : readRange(task.file, task.start, task.end, CHUNK_BYTES);
  for await (const chunk of chunks) {
    if (stopped) throw new Stopped();
    // In slices that fit the hasher's WebAssembly memory: a larger input would grow it, which
    // detaches its buffer and slows this thread's typed arrays for good (line-batch.ts).
    for (let i = 0; i < chunk.length; i += HASH_SLICE) hash.update(chunk.subarray(i, i + HASH_SLICE));
    bytes += chunk.length;
    if (bytes > task.maxBytes) {
      throw new Error(`the file's content is larger than ${task.maxBytes} bytes, the import limit (--max-bytes)`);
    }
    scanner.push(chunk);
    if (
      decoder.pending >= threshold ||
      decoder.pendingEntryBytes >= BATCH_TEXT_BYTES ||
      rejectedBytes >= BATCH_TEXT_BYTES
    ) {
      await post();
      threshold = BATCH_LINES;
    }
  }
  if (task.endsAtSplit && scanner.midRecord) {
    port.postMessage({
      type: 'error',
      message: 'the split fell inside a record',
      badSplit: true,
    } satisfies WorkerMessage);
    port.close();
    return;
  }
  scanner.end();
  if (decoder.pending > 0 || rejections.length > 0) await post();
  const sums = decoder.sums.export();
  const daySums = decoder.daySums.export();
  const done: WorkerMessage = {
    type: 'done',
    hash: hash.digest().toString(16).padStart(16, '0'),
    bytes,
    sums,
    daySums,
  };
  port.postMessage(
    done,
    [sums, daySums].flatMap((s) => [s.keys.buffer as ArrayBuffer, s.parts.buffer as ArrayBuffer]),
  );
  // Done: the thread ends (its memory freed) while the importer finishes the aggregates.
  port.close();
}

function errorMessage(error: unknown): WorkerMessage {
  if (error instanceof LineError) {
    return { type: 'error', message: error.message.replace(/^line \d+, /, ''), line: error.line, column: error.column };
  }
  if (error instanceof CsvFormatError) return { type: 'error', message: error.message, line: error.line };
  return { type: 'error', message: error instanceof Error ? error.message : String(error) };
}
