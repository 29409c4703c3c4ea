import fs from 'node:fs';
import path from 'node:path';
import {
  ExportError,
  writeExport,
  type ExportEncoding,
  type ExportFormat,
  type ExportRequest,
} from '../export/write-export.js';
import type { Store } from '../storage/store.js';
import { CliError, EXIT } from './cli-error.js';

/** What --format takes: `csv` is the reconciliation file (its name since the first release); `reconciliation` says so. */
const FORMATS: Readonly<Record<string, ExportFormat>> = {
  focus: 'focus',
  csv: 'reconciliation',
  reconciliation: 'reconciliation',
};

/** The layout --format names; a usage error for any other. */
export function formatOf(text: string): ExportFormat {
  const format = FORMATS[text.toLowerCase()];
  if (!format) throw new CliError(`--format must be focus or csv, got ${JSON.stringify(text)}`, EXIT.usage);
  return format;
}

/** The encoding a file's extension asks for; a usage error for any other. */
export function encodingOf(out: string): ExportEncoding {
  const extension = path.extname(out).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.parquet') return 'parquet';
  throw new CliError(`--out must end in .csv or .parquet, got ${JSON.stringify(out)}`, EXIT.usage);
}

/** The files an export wrote: legacy (MS-AZR-0145P) lines in `legacyOut` (docs/sync.md#exports). */
export interface ExportFiles {
  readonly out?: string;
  readonly legacyOut?: string;
}

/**
 * Writes an export to `out` (legacy lines of a reconciliation export beside it, `<name>.legacy.<ext>`,
 * when the periods hold both kinds). Written beside the targets and renamed into place: a failed
 * export leaves no partial file. `durable`: each file is on disk (fsync'd, with its folder) when this
 * returns — for what removes the lines afterwards.
 */
export async function exportToFiles(
  store: Store,
  request: Omit<ExportRequest, 'encoding'>,
  out: string,
  durable = false,
): Promise<{ rows: number; legacyRows: number; files: ExportFiles }> {
  const ext = path.extname(out);
  const legacyFile = `${out.slice(0, out.length - ext.length)}.legacy${ext}`;
  // Lines go back in the layout they came in: legacy lines in the legacy file's columns, in a second
  // file when the periods hold both kinds.
  const kinds = new Set<string>();
  if (request.format === 'reconciliation') {
    for (const period of request.periods)
      for (const kind of await store.lines.formats(request.partnerTenantId, period, request.customerTenantId))
        kinds.add(kind);
  }
  const files: ExportFiles =
    kinds.has('legacy') && kinds.has('daily-rated')
      ? { out, legacyOut: legacyFile }
      : kinds.has('legacy')
        ? { legacyOut: out }
        : { out };
  const streams = Object.fromEntries(
    Object.entries(files).map(([k, file]) => {
      // A failure shows in the next write (row-sinks.ts), not as an uncaught 'error' event.
      const stream = fs.createWriteStream(`${file}.partial`).on('error', () => {});
      return [k, stream];
    }),
  );
  let written;
  try {
    await Promise.all(
      Object.values(streams).map(
        (stream) =>
          new Promise<void>((resolve, reject) =>
            stream
              .once('ready', () => resolve())
              .once('error', (e: Error) => reject(new CliError(`cannot write ${stream.path as string}: ${e.message}`))),
          ),
      ),
    );
    written = await writeExport(store, { ...request, encoding: encodingOf(out) }, streams);
  } catch (error) {
    for (const stream of Object.values(streams)) stream.destroy();
    for (const file of Object.values(files)) await fs.promises.rm(`${file}.partial`, { force: true });
    if (error instanceof ExportError) throw new CliError(error.message);
    // The file's own failure (a full disk, a quota), said as such: not the database's.
    const failed = Object.values(streams).find((s) => s.errored === error);
    if (failed) throw new CliError(`cannot write ${failed.path as string}: ${(error as Error).message}`);
    throw error;
  }
  for (const file of Object.values(files)) {
    if (durable) await fsync(`${file}.partial`);
    await fs.promises.rename(`${file}.partial`, file);
  }
  if (durable) await fsync(path.dirname(path.resolve(out)));
  return { ...written, files };
}

async function fsync(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
