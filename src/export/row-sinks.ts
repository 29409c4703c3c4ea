import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { csvField } from '../domain/csv-field.js';
import { parseDecimal, plainDecimal, rescale } from '../money/decimal.js';
import type { ExportColumn } from './export-layout.js';

/** Where exported rows go, one at a time: CSV or Parquet on a stream. */
export interface RowSink {
  write(values: readonly (string | null)[]): Promise<void>;
  end(): Promise<void>;
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
  };
}

/** Rows per Parquet row group: what is held in memory before it is encoded and written. */
const ROW_GROUP = 16_384;

/** hyparquet-writer's buffer, flushed to a stream after each row group instead of kept whole. */
class StreamWriter extends ByteWriter {
  constructor(private readonly out: Writable) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return put(this.out, chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** A Parquet decimal column's precision and scale: chosen per column from the data (write-export.ts). */
export interface DecimalPrecision {
  readonly precision: number;
  readonly scale: number;
}

/**
 * Parquet (hyparquet-writer): decimals as DECIMAL(precision, scale) — exact, each column's chosen by
 * the caller from the data — timestamps as UTC TIMESTAMP(MILLIS), JSON columns as JSON, FOCUS's
 * non-null columns REQUIRED. Row groups of 16,384 rows, so memory stays flat whatever the export's size.
 */
export function parquetSink(
  out: Writable,
  columns: readonly ExportColumn[],
  decimals: readonly (DecimalPrecision | undefined)[],
): RowSink {
  // The narrowest physical type that holds `precision` digits: INT64 up to 18, else the fewest bytes.
  const decimalType = (precision: number) =>
    precision <= 18
      ? { type: 'INT64' as const }
      : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: Math.ceil((precision * Math.log2(10) + 1) / 8) };
  const schema = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c, i) => {
      const repetition_type = c.required ? ('REQUIRED' as const) : ('OPTIONAL' as const);
      switch (c.type) {
        case 'decimal': {
          const { precision, scale } = decimals[i] ?? { precision: 1, scale: 0 };
          return {
            name: c.name,
            ...decimalType(precision),
            converted_type: 'DECIMAL' as const,
            precision,
            scale,
            logical_type: { type: 'DECIMAL' as const, precision, scale },
            repetition_type,
          };
        }
        case 'timestamp':
          return {
            name: c.name,
            type: 'INT64' as const,
            logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit: 'MILLIS' as const },
            repetition_type,
          };
        case 'json':
          return { name: c.name, type: 'BYTE_ARRAY' as const, converted_type: 'JSON' as const, repetition_type };
        default:
          return { name: c.name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type };
      }
    }),
  ];
  const writer = new ParquetWriter({ writer: new StreamWriter(out), schema, createdBy: 'partner-usage' });
  const convert = columns.map((c, i): ((v: string) => unknown) => {
    if (c.type === 'decimal') {
      const scale = decimals[i]?.scale ?? 0;
      return (v) => unscaled(v, scale);
    }
    if (c.type === 'timestamp') return (v) => new Date(v);
    if (c.type === 'json') return (v) => JSON.parse(v) as unknown;
    return (v) => v;
  });
  let data: unknown[][] = columns.map(() => []);
  let rows = 0;
  const flush = async () => {
    await writer.write({
      columnData: columns.map((c, i) => ({ name: c.name, data: data[i]! })),
      rowGroupSize: rows,
    });
    data = columns.map(() => []);
    rows = 0;
  };
  return {
    async write(values) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        data[i]!.push(v === null ? null : convert[i]!(v));
      }
      if (++rows === ROW_GROUP) await flush();
    },
    async end() {
      if (rows > 0) await flush();
      await writer.finish();
      await finish(out);
    },
  };
}

/** The decimal's unscaled value at `scale` places: exact (the scale holds every place). */
function unscaled(text: string, scale: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (m) return BigInt(`${m[1]}${m[2]}${(m[3] ?? '').padEnd(scale, '0')}`);
  return rescale(parseDecimal(text)!, scale);
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
