import fs from 'node:fs';
import zlib from 'node:zlib';
import { CsvScanner } from './csv-scanner.js';
import { isGuid } from '../domain/field-syntax.js';

const BOM = [0xef, 0xbb, 0xbf];
const CHUNK = 1 << 20;

export interface FileLayout {
  readonly size: number;
  /** gzip content is recognised by its magic bytes, whatever the file's name. */
  readonly gzip: boolean;
  /** The header's field names. */
  readonly header: string[];
  /** Uncompressed files: the byte offset where the first line after the header starts. */
  readonly bodyStart: number;
  /** The physical line the body starts on. */
  readonly bodyLine: number;
}

/** Chunks of a file's content from `start` to `end` (exclusive), gunzipped when `gzip`. */
export function readChunks(
  file: string,
  options: { start?: number; end?: number; gzip?: boolean } = {},
): AsyncIterable<Buffer> {
  const raw = fs.createReadStream(file, {
    highWaterMark: CHUNK,
    start: options.start ?? 0,
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
  });
  if (!options.gzip) return raw;
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/**
 * A byte range of an uncompressed file in chunks read synchronously into one reused buffer (for a
 * parse worker, whose thread has nothing else to do meanwhile): each chunk is valid until the
 * next is asked for. A new buffer per chunk was measured to keep the garbage collector busy.
 */
export function* readRange(file: string, start: number, end: number, chunkSize = CHUNK): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    for (let pos = start; pos < end;) {
      const n = fs.readSync(fd, buf, 0, Math.min(chunkSize, end - pos), pos);
      if (n === 0) break;
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Drops a UTF-8 byte-order mark from the first chunk. */
export async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length >= 3 && BOM.every((b, i) => chunk[i] === b)) yield chunk.subarray(3);
    else yield chunk;
    first = false;
  }
}

/** Thrown by a scanner callback to stop at the record it has. */
class Stop extends Error {}

/**
 * Reads the header line (and, for a plain file, where the body starts). Only the header record is
 * scanned here: a malformed line after it is the parser's to report, with its number.
 */
export async function readLayout(file: string): Promise<FileLayout> {
  const handle = await fs.promises.open(file, 'r');
  let size: number;
  const magic = Buffer.alloc(3);
  try {
    size = (await handle.stat()).size;
    await handle.read(magic, 0, 3, 0);
  } finally {
    await handle.close();
  }
  const gzip = size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  if ((magic[0] === 0xff && magic[1] === 0xfe) || (magic[0] === 0xfe && magic[1] === 0xff)) {
    throw new LayoutError('the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8');
  }
  const bom = !gzip && BOM.every((b, i) => magic[i] === b);
  let header: string[] | undefined;
  let headerBytes = 0;
  let headerLines = 0;
  const scanner = new CsvScanner((rec) => {
    if (rec.count > rec.starts.length) throw new LayoutError(`the header has more than ${rec.starts.length} fields`);
    header = [];
    for (let i = 0; i < rec.count; i++) {
      const s = rec.buf.toString('utf8', rec.starts[i], rec.ends[i]);
      header.push(rec.escaped[i] ? s.replaceAll('""', '"') : s);
    }
    headerBytes = rec.end;
    for (let k = 0; k < rec.end; k++) if (rec.buf[k] === 0x0a) headerLines++;
    throw new Stop();
  });
  let seen = Buffer.alloc(0);
  const scan = (step: () => void) => {
    try {
      step();
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
    }
  };
  for await (const chunk of withoutBom(readChunks(file, { gzip }))) {
    seen = Buffer.concat([seen, chunk]);
    scan(() => scanner.push(chunk));
    if (header) break;
  }
  if (!header) scan(() => scanner.end());
  if (!header) return { size, gzip, header: [], bodyStart: size, bodyLine: 1 };
  // The header's line ending: CR LF or LF.
  let end = headerBytes;
  if (seen[end] === 0x0d) end++;
  if (seen[end] === 0x0a) end++;
  return { size, gzip, header, bodyStart: (bom ? 3 : 0) + end, bodyLine: headerLines + 2 };
}

/** A file whose header cannot be read as a reconciliation file's: line 1. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

/**
 * The file's partner: the first GUID in the `column` of the first records (within the first
 * MiB). A file holds one partner's usage; the parsers refuse lines of another.
 */
export async function findFilePartner(file: string, layout: FileLayout, column: number): Promise<string | undefined> {
  let found: string | undefined;
  let header = true;
  const scanner = new CsvScanner(
    (rec) => {
      if (header || rec.count <= column) {
        header = false;
        return;
      }
      const value = rec.buf.toString('latin1', rec.starts[column], rec.ends[column]).trim();
      if (isGuid(value)) {
        found = value.toLowerCase();
        throw new Stop();
      }
    },
    { onInvalid: () => {} },
  );
  let read = 0;
  try {
    for await (const chunk of withoutBom(readChunks(file, { gzip: layout.gzip }))) {
      scanner.push(chunk);
      read += chunk.length;
      if (read >= CHUNK) break;
    }
    scanner.end();
  } catch (error) {
    if (!(error instanceof Stop)) return undefined;
  }
  return found;
}

/**
 * A byte offset near `target` where a record starts, for a second parser to begin at. Quoted
 * fields can hold newlines, so a newline is accepted only when the records after it each have
 * the header's field count; undefined when no such place is found near `target`.
 */
export async function findRecordStart(
  file: string,
  target: number,
  end: number,
  width: number,
): Promise<number | undefined> {
  const probe = Buffer.alloc(Math.min(4 << 20, end - target));
  const handle = await fs.promises.open(file, 'r');
  try {
    const { bytesRead } = await handle.read(probe, 0, probe.length, target);
    const buf = probe.subarray(0, bytesRead);
    for (let nl = buf.indexOf(0x0a); nl !== -1 && nl < buf.length - 1; nl = buf.indexOf(0x0a, nl + 1)) {
      if (recordsFit(buf.subarray(nl + 1, nl + 1 + (256 << 10)), width)) return target + nl + 1;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

function recordsFit(buf: Buffer, width: number): boolean {
  const CHECK = 8;
  let ok = 0;
  let bad = false;
  const scanner = new CsvScanner((rec) => {
    if (ok >= CHECK) return;
    if (rec.count === width) ok++;
    else bad = true;
  });
  try {
    scanner.push(buf);
  } catch {
    return false;
  }
  return !bad && ok >= CHECK;
}

/** How many line feeds precede `offset` (to number the lines of a part that starts there). */
export async function countLines(file: string, offset: number): Promise<number> {
  let n = 0;
  for await (const chunk of readChunks(file, { end: offset })) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++;
  }
  return n;
}
