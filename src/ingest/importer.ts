import fs from 'node:fs';
import path from 'node:path';
import xxhash from 'xxhash-wasm';
import type { ImportMeta, Store } from '../storage/store.js';
import {
  countLines,
  findFilePartner,
  findRecordStart,
  LayoutError,
  readLayout,
  type FileLayout,
} from './file-source.js';
import { csvField } from '../domain/csv-field.js';
import { HeaderError, recogniseHeader, type RecognisedHeader } from './file-formats.js';
import type { LineFormat } from '../domain/line-schema.js';
import type { DecoderRules } from './line-decoder.js';
import type { ParseTask, Rejection, WorkerMessage } from './parse-task.js';
import { startParser, type Parser } from './parser.js';
import { AMOUNTS, bufferOf, DAY_AMOUNTS } from '../domain/line-batch.js';
import { UsageAggregator } from './usage-aggregator.js';
import { FIRST_BILLING_PERIOD } from '../contract/billing-period.js';
import { ArchivedPeriodError } from '../storage/archived-periods.js';

export interface ImportOptions {
  /** Import the good lines and write the rejected ones to `rejectsFile` instead of failing. */
  readonly skipInvalid?: boolean;
  /** Default: `<file>.rejected.csv`. */
  readonly rejectsFile?: string;
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly now?: () => Date;
  /**
   * Parse workers for an uncompressed file: by default none below 1 MiB (it is parsed in this
   * thread), one below 16 MiB, two (its halves) from there; 0 parses any file in this thread, 2
   * splits any file that has a record boundary near its middle.
   */
  readonly parsers?: 0 | 1 | 2;
  /**
   * The most content bytes a file may have, a gzip file's inflated bytes included (default
   * PARTNER_USAGE_MAX_FILE_BYTES, else DEFAULT_MAX_FILE_BYTES).
   */
  readonly maxBytes?: number;
  /** A sync's snapshot of the customers billed in this currency: replaces all their stored lines of its periods. */
  readonly snapshotCurrency?: string;
  /** With snapshotCurrency: the periods the snapshot before this one stored lines in (replaced too). */
  readonly snapshotPeriods?: readonly string[];
  /** Runs inside the import's transaction just before it commits. */
  readonly beforeCommit?: ImportMeta['beforeCommit'];
}

/** 64 GiB: about 75 million lines, past the largest monthly files partners report. */
const DEFAULT_MAX_FILE_BYTES = 64 * 2 ** 30;
/** The first day of the first billing period held (the API refuses periods before it too). */
const FIRST_USAGE_DAY = Number(`${FIRST_BILLING_PERIOD.replace('-', '')}01`);

/** The last usage day accepted: the end of the month after `now`'s (a clock ahead, time zones). */
function lastUsageDay(now: Date): number {
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 0));
  return last.getUTCFullYear() * 10000 + (last.getUTCMonth() + 1) * 100 + last.getUTCDate();
}

/** A whole number of at least `min` from the environment variable `name`; `fallback` when unset. */
function wholeFromEnv(file: string, name: string, unit: string, min: number, fallback: number): number {
  const env = process.env[name];
  if (env === undefined || env === '') return fallback;
  const value = Number(env);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ImportError(file, `${name} must be a whole number of ${unit}, got ${JSON.stringify(env)}`);
  }
  return value;
}

export function maxFileBytes(options: Pick<ImportOptions, 'maxBytes'>, file: string): number {
  if (options.maxBytes !== undefined) return options.maxBytes;
  return wholeFromEnv(file, 'PARTNER_USAGE_MAX_FILE_BYTES', 'bytes', 1, DEFAULT_MAX_FILE_BYTES);
}

/**
 * The parse workers' old generation, in MB (PARTNER_USAGE_PARSER_HEAP_MB; 0: unbounded). What a
 * worker promotes — the strings of the first batches' new entries — is soon garbage, and V8
 * collected it only past ~25 MB a worker; bounded, it collects sooner (peak RSS of the
 * million-line import −40 MB, docs/benchmarks.md). A worker's live heap is small (a batch is taken
 * once 4 MiB of its records brought entries or were refused, parse-task.ts), but exact sums of
 * amounts outside the fast form (a digit past the 15th decimal place) are objects on the heap,
 * ~1 KB a group: a parser that has more than SLOW_GROUPS_BOUNDED of them, or that passes the bound
 * anyway, makes the import start again without one (runImport's caller), never refuse the file.
 * Partner Center writes up to 22 decimals; a file with them in every line restarts after its first
 * batches (measured: 1M lines, 10 s unbounded; 18 s when only passing the bound restarted it).
 */
const DEFAULT_PARSER_HEAP_MB = 48;
const SLOW_GROUPS_BOUNDED = 4096;

function parserHeapMb(file: string): number | undefined {
  const mb = wholeFromEnv(file, 'PARTNER_USAGE_PARSER_HEAP_MB', 'MB (0: unbounded)', 0, DEFAULT_PARSER_HEAP_MB);
  return mb === 0 ? undefined : mb;
}

export interface ImportProgress {
  /** Uncompressed files only: bytes parsed so far and the file's size. */
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly lines: number;
}

export interface ImportSummary {
  readonly file: string;
  readonly format: LineFormat;
  readonly batchId: number;
  readonly lines: number;
  readonly rejected: number;
  /** Lines that replaced a line of the same identity from an earlier import. */
  readonly replaced: number;
  /** Alerts the import raised (thresholds, forecast, anomalies), queued for delivery in its transaction. */
  readonly alerts: number;
  /** Of `seconds`, the time the alert rules took (bench:import reports its share). */
  readonly alertSeconds: number;
  readonly periods: string[];
  readonly partners: number;
  readonly customers: number;
  readonly bytes: number;
  readonly seconds: number;
  /** The process's peak resident memory so far, in MiB: this import's, unless the process did more. */
  readonly peakRssMB: number;
  /** xxHash64 over the content (per parsed part), to recognise a file imported again. */
  readonly contentHash: string;
  readonly rejectsFile?: string;
}

/** An import that could not be made; the database is as it was before it. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
    readonly column?: string,
    options?: ErrorOptions,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.name = 'ImportError';
  }
}

// Below this an uncompressed file is parsed by one worker: a second one would not pay for itself.
const SPLIT_BYTES = 16 << 20;
// Below this an uncompressed file is parsed in the importer's thread: a worker's start costs more
// than parsing it does, and so few lines block the thread for milliseconds (docs/benchmarks.md).
const IN_THREAD_BYTES = 1 << 20;

interface Part {
  readonly task: ParseTask;
  /** Line numbers of this part are relative to its start until `lineBase` is known. */
  readonly relativeLines: boolean;
  /** Its worker has posted its sums (or failed). */
  done: boolean;
  lineBase: number | undefined;
  bytes: number;
  hash: string | undefined;
}

/**
 * Imports one reconciliation file in one transaction: all of it or (by default) nothing.
 * Parse workers stream the file (two halves of a large uncompressed file at once) while this
 * thread writes, so memory stays flat whatever the file's size (see docs/ingest.md).
 */
export async function importFile(store: Store, file: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  let layout: FileLayout;
  try {
    layout = await readLayout(file);
  } catch (error) {
    if (error instanceof LayoutError) throw new ImportError(file, error.message, 1, undefined, { cause: error });
    throw new ImportError(file, `cannot read the file: ${(error as Error).message}`, undefined, undefined, {
      cause: error,
    });
  }
  if (layout.header.length === 0) throw new ImportError(file, 'the file is empty: it has no header line');
  let header: RecognisedHeader;
  try {
    header = recogniseHeader(layout.header);
  } catch (error) {
    if (error instanceof HeaderError) throw new ImportError(file, error.message, 1, undefined, { cause: error });
    throw error;
  }
  const maxBytes = maxFileBytes(options, file);
  if (!layout.gzip && layout.size > maxBytes) {
    throw new ImportError(file, `the file is larger than ${maxBytes} bytes, the import limit (--max-bytes)`);
  }
  const partner = await findFilePartner(file, layout, header.columns.PartnerId);
  const rules: DecoderRules = {
    partner,
    storedCurrencies: new Map((await store.customerCurrencies(partner)).map(([p, c, cur]) => [`${p}|${c}`, cur])),
    firstDay: FIRST_USAGE_DAY,
    lastDay: lastUsageDay(now()),
  };
  const plan = { file, layout, format: header.format, rules, maxBytes, started, now, heapMb: parserHeapMb(file) };
  let parsers = options.parsers;
  for (;;) {
    try {
      const parts = await planParts(plan, parsers === undefined ? options : { ...options, parsers });
      return await runImport(store, plan, parts, options);
    } catch (error) {
      // The split point was inside a quoted field holding lines: parse the file in one part.
      if (error instanceof SplitMismatch && parsers !== 1) parsers = 1;
      // A parser passed its heap bound, or soon would (its file's exact sums): again, unbounded.
      else if (error instanceof ParserOutOfMemory && plan.heapMb !== undefined) plan.heapMb = undefined;
      else throw error;
    }
  }
}

interface ImportPlan {
  readonly file: string;
  readonly layout: FileLayout;
  readonly format: LineFormat;
  readonly rules: DecoderRules;
  readonly maxBytes: number;
  readonly started: number;
  readonly now: () => Date;
  /** The parse workers' heap bound (parserHeapMb), dropped when a worker passes it. */
  heapMb: number | undefined;
}

/** The first part of a split file ended inside a record: the split was not between records. */
class SplitMismatch extends Error {}

/** A parse worker passed its heap bound, or holds enough exact sums on its heap to. */
class ParserOutOfMemory extends Error {}

async function runImport(
  store: Store,
  plan: ImportPlan,
  parts: Part[],
  options: ImportOptions,
): Promise<ImportSummary> {
  const { file, layout, format, now } = plan;
  const session = await store.beginImport({
    fileName: path.basename(file),
    format,
    startedAt: now().toISOString(),
    ...(options.snapshotCurrency === undefined ? {} : { snapshotCurrency: options.snapshotCurrency }),
    ...(options.beforeCommit === undefined ? {} : { beforeCommit: options.beforeCommit }),
  });
  const rejects = options.skipInvalid ? new RejectsWriter(options.rejectsFile ?? `${file}.rejected.csv`) : undefined;
  const parsers: Parser[] = [];
  try {
    const aggregators: UsageAggregator[] = [];
    let lines = 0;
    let rejected = 0;
    let partner: { tenantId: string; line: number } | undefined;
    // An error of a later part waits until the first part confirms the split: past a wrong split
    // the later part reads garbage, and its errors mean nothing.
    let deferred: ImportError | undefined;
    const absolute = async (part: Part, line: number): Promise<number> => {
      if (!part.relativeLines) return line;
      part.lineBase ??= await countLines(file, part.task.start);
      return part.lineBase + line;
    };

    const queue = new MessageQueue();
    const inThread =
      options.parsers === 0 || (options.parsers === undefined && !layout.gzip && layout.size < IN_THREAD_BYTES);
    // A parse in this thread has no bound of its own.
    const heapMb = inThread ? undefined : plan.heapMb;
    for (const [i, part] of parts.entries()) {
      parsers.push(startParser(part.task, inThread, (message) => queue.push(i, message), heapMb));
    }
    while (parts.some((p) => !p.done)) {
      const { source, message } = await queue.next();
      const part = parts[source]!;
      if (part.done) continue;
      if (message.type === 'error') {
        if (message.badSplit) throw new SplitMismatch();
        if (message.outOfMemory && heapMb !== undefined) throw new ParserOutOfMemory();
        const line = message.line === undefined ? undefined : await absolute(part, message.line);
        const error = new ImportError(file, message.message, line, message.column);
        if (source === 0 || parts[0]!.done) throw error;
        deferred ??= error;
        part.done = true;
        continue;
      }
      if (message.type === 'done') {
        part.hash = message.hash;
        part.bytes = message.bytes;
        // The part's sums, from its own numbering into storage keys.
        const sums = message.sums;
        const slow = new Map(sums.slow.map((s) => [s.row, s.text]));
        for (let g = 0; g < sums.rows; g++) {
          const k = session.keysOf(source, sums.keys[3 * g]!, sums.keys[3 * g + 1]!, sums.keys[3 * g + 2]!);
          const agg = (aggregators[k.scope] ??= new UsageAggregator());
          agg.own(k.resource, k.subscription, k.customer);
          const text = slow.get(g);
          if (text) agg.add(k.resource, k.meter, text[0]!, text[1]!, text[2]!);
          else agg.addParts(k.resource, k.meter, sums.parts, g * 2 * AMOUNTS);
        }
        const days = message.daySums;
        const slowDays = new Map(days.slow.map((s) => [s.row, s.text]));
        for (let g = 0; g < days.rows; g++) {
          const day = days.keys[3 * g + 1]!;
          const k = session.dayKeysOf(source, days.keys[3 * g]!, day);
          const agg = (aggregators[k.scope] ??= new UsageAggregator());
          const text = slowDays.get(g);
          if (text) agg.addDay(k.customer, day, text[0]!, text[1]!);
          else agg.addDayParts(k.customer, day, days.parts, g * 2 * DAY_AMOUNTS);
        }
        part.done = true;
        if (source === 0 && deferred) throw deferred;
        continue;
      }
      // Many exact sums on the heap: start again before the bound is passed (see parserHeapMb).
      if (heapMb !== undefined && message.slowGroups > SLOW_GROUPS_BOUNDED) throw new ParserOutOfMemory();
      const { batch } = message;
      for (const p of batch.partners) {
        // Each parser checks its lines against the file's partner; this catches parts that each
        // took their own first partner (when none was found at the start of the file).
        partner ??= p;
        if (p.tenantId !== partner.tenantId) {
          throw new ImportError(
            file,
            `PartnerId ${p.tenantId} is not the file's partner ${partner.tenantId}: a reconciliation file holds one partner's usage`,
            await absolute(part, p.line),
            'PartnerId',
          );
        }
      }
      if (lines === 0 && !layout.gzip && message.bytes > 0) {
        // The file's lines, from the first batch's bytes per line (a gzip file's size says nothing).
        session.expectLines(Math.ceil(((layout.size - layout.bodyStart) * batch.count) / message.bytes));
      }
      await session.write(batch, source);
      lines += batch.count;
      // Written: its buffers go back to the parser, which reuses them for a later batch.
      parsers[source]!.recycle(bufferOf(batch));
      for (const r of message.rejections) rejects!.write({ ...r, line: await absolute(part, r.line) });
      rejected += message.rejections.length;
      part.bytes = message.bytes;
      options.onProgress?.({
        bytesRead: layout.gzip ? 0 : layout.bodyStart + parts.reduce((n, p) => n + p.bytes, 0),
        bytesTotal: layout.gzip ? 0 : layout.size,
        lines,
      });
    }
    if (deferred) throw deferred;
    if (options.snapshotCurrency !== undefined && options.snapshotPeriods)
      await session.claimPeriods(options.snapshotPeriods);

    const finishedAt = now().toISOString();
    const scopes = session.scopes;
    const customers = new Set<number>();
    for (const [i, scope] of scopes.entries()) {
      // A period that held lines before: sum it again from the table, where replaced lines are gone.
      const agg = scope.preexisting ? await UsageAggregator.fromLines(session.readLines(scope)) : aggregators[i]!;
      for (const c of agg.customers) customers.add(c);
      await session.writeAggregates(agg.rollUp(scope), finishedAt);
    }
    const api = await xxhash();
    const contentHash = api.h64ToString(parts.map((p) => p.hash).join(','));
    const { replaced, alerts, alertSeconds } = await session.commit({ contentHash, finishedAt, lines, rejected });
    rejects?.close();
    return {
      file,
      format,
      batchId: session.batchId,
      lines,
      rejected,
      replaced,
      alerts,
      alertSeconds,
      periods: [...new Set(scopes.map((s) => s.period))].sort(),
      partners: new Set(scopes.map((s) => s.partnerKey)).size,
      customers: customers.size,
      bytes: layout.size,
      seconds: (performance.now() - plan.started) / 1000,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      contentHash,
      ...(rejects ? { rejectsFile: rejects.file } : {}),
    };
  } catch (error) {
    await session.rollback();
    rejects?.close();
    // A month archived: the file is refused as a whole, like any other import error.
    if (error instanceof ArchivedPeriodError)
      throw new ImportError(plan.file, error.message, undefined, undefined, { cause: error });
    throw error;
  } finally {
    await Promise.all(parsers.map((p) => p.stop()));
  }
}

async function planParts(plan: ImportPlan, options: ImportOptions): Promise<Part[]> {
  const { file, layout } = plan;
  const base = {
    file,
    gzip: layout.gzip,
    header: layout.header,
    skipInvalid: options.skipInvalid === true,
    rules: plan.rules,
    maxBytes: plan.maxBytes,
    endsAtSplit: false,
  };
  const part = (task: ParseTask, relativeLines: boolean): Part => ({
    task,
    relativeLines,
    done: false,
    lineBase: relativeLines ? undefined : 0,
    bytes: 0,
    hash: undefined,
  });
  if (layout.gzip) return [part({ ...base, start: 0, end: layout.size, skipHeader: true, firstLine: 1 }, false)];
  const body = layout.size - layout.bodyStart;
  const split =
    options.parsers === 2 || (options.parsers === undefined && body >= SPLIT_BYTES)
      ? await findRecordStart(file, layout.bodyStart + Math.floor(body / 2), layout.size, layout.header.length)
      : undefined;
  const first = { ...base, start: layout.bodyStart, skipHeader: false, firstLine: layout.bodyLine };
  if (split === undefined) return [part({ ...first, end: layout.size }, false)];
  return [
    part({ ...first, end: split, endsAtSplit: true }, false),
    part(
      { ...base, rules: { ...plan.rules, parser: 1 }, start: split, end: layout.size, skipHeader: false, firstLine: 1 },
      true,
    ),
  ];
}

/** Messages of several workers, taken one at a time in arrival order. */
class MessageQueue {
  readonly #items: { source: number; message: WorkerMessage }[] = [];
  #waiting: (() => void) | undefined;

  push(source: number, message: WorkerMessage): void {
    this.#items.push({ source, message });
    this.#waiting?.();
    this.#waiting = undefined;
  }

  async next(): Promise<{ source: number; message: WorkerMessage }> {
    while (this.#items.length === 0) await new Promise<void>((resolve) => (this.#waiting = resolve));
    return this.#items.shift()!;
  }
}

/** The header of a rejects file (import's `--skip-invalid`, sync's refused and set-aside lines). */
export const REJECTS_HEADER = 'line,column,reason,value,record';

/** The side file of `--skip-invalid`: each rejected line with its reason and its original text. */
class RejectsWriter {
  readonly #fd: number;
  #closed = false;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.#fd = fs.openSync(file, 'w');
    fs.writeSync(this.#fd, `${REJECTS_HEADER}\n`);
  }

  write(r: Rejection): void {
    fs.writeSync(this.#fd, [String(r.line), r.column, r.reason, r.value, r.record].map(csvField).join(',') + '\n');
  }

  close(): void {
    if (!this.#closed) fs.closeSync(this.#fd);
    this.#closed = true;
  }
}
