import { ByteWriter } from 'hyparquet-writer';
import { writeDataPageV2 } from 'hyparquet-writer/src/datapage.js';
import { writeDictionaryPage } from 'hyparquet-writer/src/dictionary.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { parseDecimal, rescale } from '../money/decimal.js';
import type { GroupColumnData } from './column-groups.js';
import type { ExportColumn } from './export-layout.js';

/** A Parquet decimal column's precision and scale: chosen per column from the data (write-export.ts). */
export interface DecimalPrecision {
  readonly precision: number;
  readonly scale: number;
}

/** What a Parquet encoder is made from: the layout's columns and each decimal column's DECIMAL(p, s). */
export interface ParquetPlan {
  readonly columns: readonly ExportColumn[];
  readonly decimals: readonly (DecimalPrecision | undefined)[];
}

// Parquet's metadata types as hyparquet-writer's functions take them (they come from hyparquet,
// its own dependency, not ours).
type FileMetaData = Parameters<typeof writeMetadata>[1];
type SchemaElement = FileMetaData['schema'][number];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type ColumnMetaData = NonNullable<ColumnChunk['meta_data']>;
type Encoding = Parameters<typeof writeDataPageV2>[0]['encoding'];

/** A column's values in Parquet's physical form: INT64 as bigint, byte arrays as bytes. */
type Physical = bigint | Uint8Array;

/** hyparquet-writer's buffer, handed on after each row group instead of kept whole. */
class ChunkWriter extends ByteWriter {
  constructor(private readonly emit: (chunk: Uint8Array) => void) {
    super(1 << 20);
  }

  flush(): void {
    this.emit(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

/** The narrowest physical type that holds `precision` digits: INT64 up to 18, else the fewest bytes. */
const decimalType = (precision: number) =>
  precision <= 18
    ? { type: 'INT64' as const }
    : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: Math.ceil((precision * Math.log2(10) + 1) / 8) };

function elementOf(c: ExportColumn, decimal: DecimalPrecision | undefined): SchemaElement {
  const repetition_type = c.required ? ('REQUIRED' as const) : ('OPTIONAL' as const);
  switch (c.type) {
    case 'decimal': {
      const { precision, scale } = decimal ?? { precision: 1, scale: 0 };
      return {
        name: c.name,
        ...decimalType(precision),
        converted_type: 'DECIMAL',
        precision,
        scale,
        logical_type: { type: 'DECIMAL', precision, scale },
        repetition_type,
      };
    }
    case 'timestamp':
      return {
        name: c.name,
        type: 'INT64',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
    case 'json':
      return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type };
    default:
      return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
  }
}

/** The decimal's unscaled value at `scale` places; undefined when it has more places (or is no decimal). */
function unscaled(text: string, scale: number): bigint | undefined {
  // Plain decimals (what the layouts write) read by hand: a regular expression cost twice as much.
  const dot = text.indexOf('.');
  if (dot < 0) return plainDigits(text, 0, text.length) ? BigInt(text + '0'.repeat(scale)) : exactly(text, scale);
  const places = text.length - dot - 1;
  if (!plainDigits(text, 0, dot) || !plainDigits(text, dot + 1, text.length)) return exactly(text, scale);
  if (places > scale) return undefined;
  return BigInt(text.slice(0, dot) + text.slice(dot + 1) + '0'.repeat(scale - places));
}

/** Whether text[start, end) is digits (after a leading '-' at 0), at least one. */
function plainDigits(text: string, start: number, end: number): boolean {
  let i = start === 0 && text.charCodeAt(0) === 45 ? 1 : start;
  if (i >= end) return false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Any other decimal text (an exponent, a sign, a leading point) by the money module's reader. */
function exactly(text: string, scale: number): bigint | undefined {
  const d = parseDecimal(text);
  return d && d.scale <= scale ? rescale(d, scale) : undefined;
}

/**
 * A DECIMAL's unscaled value as FIXED_LEN_BYTE_ARRAY: big-endian two's complement in `length`
 * bytes (at most 16: DECIMAL(38)). Two 64-bit writes, where hyparquet-writer shifted a byte at a
 * time (~14 % of the encoder's time).
 */
function twosComplement(n: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, n >> 64n);
  view.setBigUint64(8, BigInt.asUintN(64, n));
  return bytes.subarray(16 - length);
}

/** Numbers by value, bytes in unsigned order (UTF-8's code point order): Parquet's orders for statistics. */
const compare = (a: Physical, b: Physical): number =>
  typeof a === 'bigint' ? (a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0) : Buffer.compare(a, b as Uint8Array);

interface Converted {
  readonly stored: Physical;
  readonly statistic: Physical;
}

/**
 * A column's text values in physical form, with what its statistics are made of: the value as
 * hyparquet-writer's metadata writer takes it (decimals and timestamps as bigint, text as bytes).
 */
function physicalOf(c: ExportColumn, element: SchemaElement): (v: string) => Converted {
  const utf8 = (v: string): Uint8Array => Buffer.from(v, 'utf8');
  if (c.type === 'decimal') {
    const scale = element.scale ?? 0;
    const precision = element.precision ?? 1;
    const limit = 10n ** BigInt(precision);
    const asBytes = element.type === 'FIXED_LEN_BYTE_ARRAY';
    return (v: string): Converted => {
      const n = unscaled(v, scale);
      // The caller chose the precision from the data; a value past it would be written wrapped.
      if (n === undefined || n >= limit || -n >= limit)
        throw new Error(`${c.name}: ${v} does not fit DECIMAL(${precision}, ${scale})`);
      return { stored: asBytes ? twosComplement(n, element.type_length!) : n, statistic: n };
    };
  }
  if (c.type === 'timestamp') {
    return (v: string): Converted => {
      const millis = BigInt(new Date(v).getTime());
      return { stored: millis, statistic: millis };
    };
  }
  // JSON as hyparquet-writer wrote it: parsed and written again (compact, the same bytes every time).
  const bytes = c.type === 'json' ? (v: string) => utf8(JSON.stringify(JSON.parse(v))) : utf8;
  return (v: string): Converted => {
    const b = bytes(v);
    return { stored: b, statistic: b };
  };
}

const SNAPPY = { SNAPPY: snappyCompress };

/**
 * Whether a dictionary page and the rows' indexes are smaller than the values written plainly:
 * when values repeat (an account, a meter), not when most differ (an amount).
 */
function useDictionary(element: SchemaElement, stored: readonly Physical[], indexes: Int32Array, present: number) {
  const sizes = stored.map((v) =>
    typeof v === 'bigint' ? 8 : element.type === 'BYTE_ARRAY' ? 4 + v.length : v.length,
  );
  let plain = 0;
  for (const at of indexes) if (at >= 0) plain += sizes[at]!;
  let dictionary = Math.ceil((present * Math.ceil(Math.log2(Math.max(stored.length, 2)))) / 8);
  for (const size of sizes) dictionary += size;
  return dictionary < plain;
}

/**
 * Parquet from row groups handed over column by column as distinct values and indexes
 * (column-groups.ts): decimals as DECIMAL(precision, scale) — exact, each column's chosen by
 * the caller from the data — timestamps as UTC TIMESTAMP(MILLIS), JSON columns as JSON, FOCUS's
 * non-null columns REQUIRED; Snappy, statistics per column chunk. A column chunk is a dictionary
 * page and the rows' indexes where that is smaller than its values written plainly. Each value is
 * converted once a group, not once a row: hyparquet-writer's ParquetWriter converted, compared and
 * looked up every row's value (it was ~half of an export; docs/benchmarks.md).
 * The pages, Snappy and the footer are hyparquet-writer's own. Each row group's bytes go to `emit`
 * as soon as they are encoded, the footer's at `finish`.
 */
export function parquetEncoder(plan: ParquetPlan, emit: (chunk: Uint8Array) => void) {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: plan.columns.length },
    ...plan.columns.map((c, i) => elementOf(c, plan.decimals[i])),
  ];
  const writer = new ChunkWriter(emit);
  writer.appendUint32(0x31524150); // PAR1
  const rowGroups: RowGroup[] = [];
  let fileRows = 0n;
  const encoders = plan.columns.map((c, i) => {
    const element = schema[i + 1]!;
    // What a column chunk's bytes depend on besides its data: all of its schema but the name.
    const shape = JSON.stringify({ ...element, name: '' });
    return { c, element, shape, convert: physicalOf(c, element) };
  });

  /** A column chunk written in this row group, where its bytes sit in the writer's buffer. */
  interface Written {
    readonly data: GroupColumnData;
    readonly at: number;
    readonly from: number;
    readonly to: number;
    readonly chunk: ColumnChunk;
  }

  /** Column `at` as the bytes of `twin` (the same data and schema) written again: only the offsets differ. */
  function copyColumn(at: number, twin: Written): ColumnChunk {
    const start = writer.offset;
    const shift = BigInt(start) - twin.chunk.file_offset;
    writer.appendBytes(new Uint8Array(writer.buffer, twin.from, twin.to - twin.from));
    const m = twin.chunk.meta_data!;
    const meta_data: ColumnMetaData = {
      ...m,
      path_in_schema: [encoders[at]!.c.name],
      data_page_offset: m.data_page_offset + shift,
      ...(m.dictionary_page_offset === undefined ? {} : { dictionary_page_offset: m.dictionary_page_offset + shift }),
    };
    return { meta_data, file_offset: BigInt(start) };
  }

  function writeColumn(at: number, { values, indexes }: GroupColumnData): ColumnChunk {
    const { c, element, convert } = encoders[at]!;
    const rows = indexes.length;
    const column = {
      columnName: c.name,
      element,
      schemaPath: [schema[0]!, element],
      codec: 'SNAPPY' as const,
      compressors: SNAPPY,
      stats: true,
      pageSize: Infinity,
      columnIndex: false,
      offsetIndex: false,
    };
    // Each distinct value converted once, and the group's smallest and largest among them.
    const stored = new Array<Physical>(values.length);
    let min: Physical | undefined;
    let max: Physical | undefined;
    for (let v = 0; v < values.length; v++) {
      const { stored: s, statistic } = convert(values[v]!);
      stored[v] = s;
      if (min === undefined || compare(statistic, min) < 0) min = statistic;
      if (max === undefined || compare(statistic, max) > 0) max = statistic;
    }
    let nulls = 0;
    const optional = element.repetition_type === 'OPTIONAL';
    const definitionLevels: number[] = optional ? new Array<number>(rows) : [];
    for (let r = 0; r < rows; r++) {
      const isNull = indexes[r]! < 0;
      if (isNull) nulls++;
      if (optional) definitionLevels[r] = isNull ? 0 : 1;
    }
    if (nulls > 0 && !optional) throw new Error(`${c.name} is required, and ${nulls} of a group's rows have none`);
    const start = writer.offset;
    let uncompressed = 0;
    let dictionaryOffset: bigint | undefined;
    let encoding: Encoding;
    const page = new Array<Physical | number | null>(rows);
    if (useDictionary(element, stored, indexes, rows - nulls)) {
      dictionaryOffset = BigInt(writer.offset);
      uncompressed += writeDictionaryPage(writer, column, stored);
      encoding = 'RLE_DICTIONARY';
      for (let r = 0; r < rows; r++) page[r] = indexes[r]! < 0 ? null : indexes[r]!;
    } else {
      encoding = 'PLAIN';
      for (let r = 0; r < rows; r++) page[r] = indexes[r]! < 0 ? null : stored[indexes[r]!]!;
    }
    const dataOffset = BigInt(writer.offset);
    uncompressed += writeDataPageV2({
      writer,
      column,
      encoding,
      pageData: { values: page, definitionLevels, repetitionLevels: [], maxDefinitionLevel: optional ? 1 : 0 },
    });
    const meta_data: ColumnMetaData = {
      type: element.type!,
      encodings: dictionaryOffset === undefined ? [encoding] : ['PLAIN', encoding],
      path_in_schema: [c.name],
      codec: 'SNAPPY',
      num_values: BigInt(rows),
      total_compressed_size: BigInt(writer.offset - start),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: dataOffset,
      ...(dictionaryOffset === undefined ? {} : { dictionary_page_offset: dictionaryOffset }),
      statistics: {
        null_count: BigInt(nulls),
        ...(min === undefined || max === undefined ? {} : { min_value: min, max_value: max }),
      },
      encoding_stats: [
        ...(dictionaryOffset === undefined
          ? []
          : [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }]),
        { page_type: 'DATA_PAGE_V2' as const, encoding, count: 1 },
      ],
    };
    return { meta_data, file_offset: BigInt(start) };
  }

  return {
    /** One row group, column by column. */
    writeGroup(group: readonly GroupColumnData[]): void {
      const start = writer.offset;
      const rows = group[0]?.indexes.length ?? 0;
      // A column handed over as an earlier one's very data (column-groups.ts: sameAs), with the
      // same schema, is that column's bytes again: converted, paged and compressed once.
      const written: Written[] = [];
      const columns = group.map((column, i) => {
        const twin = written.find((w) => w.data === column && encoders[w.at]!.shape === encoders[i]!.shape);
        if (twin) return copyColumn(i, twin);
        const from = writer.index;
        const chunk = writeColumn(i, column);
        written.push({ data: column, at: i, from, to: writer.index, chunk });
        return chunk;
      });
      let total = 0n;
      for (const { meta_data } of columns) total += meta_data!.total_uncompressed_size;
      rowGroups.push({
        columns,
        total_byte_size: total,
        num_rows: BigInt(rows),
        total_compressed_size: BigInt(writer.offset - start),
      });
      fileRows += BigInt(rows);
      writer.flush();
    },
    /** The footer: the schema and every row group's columns. */
    finish(): void {
      const metadata: Omit<FileMetaData, 'metadata_length'> = {
        version: 2,
        created_by: 'partner-usage',
        schema,
        num_rows: fileRows,
        row_groups: rowGroups,
      };
      // metadata_length is what a reader measures, not a field written (hyparquet-writer omits it too).
      writeMetadata(writer, metadata as FileMetaData);
      writer.appendUint32(0x31524150); // PAR1
      writer.finish();
    },
  };
}
