/**
 * A Parquet export given up after its first row group: the sink aborted, nothing else done. The
 * process must then end by itself — the encoder thread stopped (exports.test.ts runs it).
 */
import fs from 'node:fs';
import { parquetSink } from '../../src/export/row-sinks.js';

const sink = parquetSink(fs.createWriteStream(process.argv[2]!), {
  columns: [{ name: 'Label', type: 'string', required: false }],
  decimals: [undefined],
});
for (let i = 0; i < 20_000; i++) await sink.write([`label ${i % 10}`]);
sink.abort();
process.stdout.write('aborted\n');
