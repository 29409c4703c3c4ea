import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { HTTP_LIMITS, type HttpOptions } from './http.js';
import { SyncError } from './sync-error.js';

export interface BlobLimits {
  /** The longest line, in bytes once inflated: the importer's record limit. */
  readonly maxLineBytes: number;
  /** Inflated bytes the whole snapshot may have (`--max-bytes`); `inflated` counts what came before. */
  readonly maxBytes: number;
}

/**
 * Fails a download whose bytes come slower than `minBytesPerSecond`, averaged over each window of
 * `rateWindowSeconds`: a blob dripping a byte every few seconds fails within two windows.
 */
class RateGuard extends Transform {
  #inWindow = 0;
  /** Compressed bytes received in all (checked against Content-Length). */
  received = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(options: HttpOptions, label: string, onSlow: () => void) {
    super();
    const window = options.rateWindowSeconds ?? HTTP_LIMITS.rateWindowSeconds;
    const rate = options.minBytesPerSecond ?? HTTP_LIMITS.minBytesPerSecond;
    this.#timer = setInterval(() => {
      if (this.#inWindow < rate * window) {
        onSlow();
        this.destroy(
          new SyncError(
            'blob',
            `${label}: the download slowed below ${rate} bytes a second over ${window} s (the minimum transfer rate)`,
          ),
        );
      }
      this.#inWindow = 0;
    }, window * 1000);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#inWindow += chunk.length;
    this.received += chunk.length;
    done(null, chunk);
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    clearInterval(this.#timer);
    done(error);
  }

  override _flush(done: TransformCallback): void {
    clearInterval(this.#timer);
    done();
  }
}

/**
 * Streams a gzip JSON Lines blob: its bytes through the transfer-rate guard, gunzip and a line
 * splitter bounded by the line and snapshot limits, each line handed to `onLine` in order (waited
 * for). Any failure — a reset connection, a cut or corrupt gzip stream, a limit — destroys every
 * stage and rejects once with a SyncError: nothing is left writing after it returns.
 */
export async function readBlobLines(
  response: Response,
  abort: AbortController,
  options: HttpOptions,
  label: string,
  limits: BlobLimits & { readonly inflated: number },
  onLine: (line: string, n: number) => Promise<void>,
): Promise<{ compressed: number; inflated: number }> {
  let inflated = limits.inflated;
  let n = 0;
  const source = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  const guard = new RateGuard(options, label, () => abort.abort());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // The first failure of ours (a limit, a bad line): the stream errors that follow from tearing
  // the pipeline down (an abort) must not hide it.
  let ours: unknown;
  const emit = async (bytes: Buffer) => {
    n++;
    const line = bytes.toString('utf8');
    if (line.trim() !== '') await onLine(line, n);
  };
  try {
    await pipeline(source, guard, zlib.createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      try {
        await lines(chunks);
      } catch (error) {
        ours ??= error;
        throw error;
      }
    });
  } catch (error) {
    abort.abort();
    if (ours !== undefined) throw ours;
    if (error instanceof SyncError) throw error;
    const message = (error as Error).message ?? String(error);
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || /gzip|zlib|header check|unexpected end of file/i.test(message)) {
      throw new SyncError(
        'blob',
        `${label}: ${/unexpected end/i.test(message) ? 'the gzip stream is cut short' : `not a valid gzip stream (${message})`}`,
        { cause: error },
      );
    }
    throw new SyncError('blob', `${label}: the download broke off${code ? ` (${code})` : ''}`, { cause: error });
  }
  return { compressed: guard.received, inflated };

  async function lines(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      inflated += chunk.length;
      if (inflated > limits.maxBytes)
        throw new SyncError(
          'blob',
          `${label}: the snapshot inflates past ${limits.maxBytes} bytes (the import limit, --max-bytes)`,
        );
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        if (pendingBytes + piece.length > limits.maxLineBytes) throw tooLong(label, n + 1, limits.maxLineBytes);
        await emit(pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]));
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        pendingBytes += rest.length;
        if (pendingBytes > limits.maxLineBytes) throw tooLong(label, n + 1, limits.maxLineBytes);
        pending.push(Buffer.from(rest)); // the chunk's memory is gunzip's to reuse
      }
    }
    if (pendingBytes > 0) await emit(Buffer.concat(pending));
  }
}

const tooLong = (label: string, line: number, max: number) =>
  new SyncError('blob', `${label}: line ${line} is longer than ${max} bytes (the importer's line limit)`);
