// The bare parse of a file, alone in its own process (see bareParse in bench-file.ts); prints JSON.
// Two loops, both quote-aware (RFC 4180: commas, doubled quotes and newlines inside quotes):
// - `split`: the textbook bare parse the import issue's target is stated against: the file as
//   UTF-8 text, split into an array of field strings per record;
// - `scan`: this project's byte scanner (csv-scanner.ts), finding every field's bounds, creating
//   no string: the least any parse can do, and the import's own first step.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CsvScanner } from '../src/ingest/csv-scanner.js';

const [file, mode] = process.argv.slice(2) as [string, 'scan' | 'split'];
const started = performance.now();
let lines = -1; // the header
let fields = 0; // split: the fields made, printed so that the work is not optimised away
const chunks = fs.createReadStream(file, { highWaterMark: 1 << 20 });
if (mode === 'scan') {
  const scanner = new CsvScanner(() => {
    lines++;
  });
  for await (const chunk of chunks) scanner.push(chunk as Buffer);
  scanner.end();
} else {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const record = (values: string[]) => {
    lines++;
    fields += values.length;
  };
  for await (const chunk of chunks) rest = splitRecords(rest + decoder.write(chunk as Buffer), record, false);
  splitRecords(rest + decoder.end(), record, true);
}
console.log(
  JSON.stringify({
    lines,
    fields: mode === 'scan' ? undefined : fields,
    seconds: (performance.now() - started) / 1000,
  }),
);

/** Hands each whole record of `text` to `record` as field strings; returns the incomplete rest. */
function splitRecords(text: string, record: (fields: string[]) => void, last: boolean): string {
  let start = 0; // of the current record
  let p = 0;
  let fields: string[] = [];
  const n = text.length;
  let comma = -1;
  let newline = -1;
  while (p < n) {
    let value: string;
    if (text.charCodeAt(p) === 0x22) {
      // Quoted: up to the quote not followed by another; doubled quotes stand for one.
      let q = p + 1;
      let doubled = false;
      for (;;) {
        q = text.indexOf('"', q);
        if (q < 0) return last ? '' : text.slice(start); // the closing quote is in a later chunk
        if (q + 1 >= n && !last) return text.slice(start); // a doubled quote may go on there
        if (text.charCodeAt(q + 1) !== 0x22) break;
        doubled = true;
        q += 2;
      }
      value = text.slice(p + 1, q);
      if (doubled) value = value.replaceAll('""', '"');
      p = q + 1;
    } else {
      if (comma < p) comma = text.indexOf(',', p);
      if (newline < p) newline = text.indexOf('\n', p);
      if (comma < 0) comma = n;
      if (newline < 0) newline = n;
      let q = comma < newline ? comma : newline;
      if (q > p && text.charCodeAt(q - 1) === 0x0d && q === newline) q--;
      if (q === n && !last) return text.slice(start);
      value = text.slice(p, q);
      p = q;
    }
    fields.push(value);
    const c = text.charCodeAt(p);
    if (c === 0x2c) {
      p++;
      continue;
    }
    // End of record: CRLF or LF (or the end of the text).
    if (c === 0x0d) p++;
    if (p < n && text.charCodeAt(p) === 0x0a) p++;
    else if (p >= n && !last) return text.slice(start);
    record(fields);
    fields = [];
    start = p;
  }
  if (!last) return text.slice(start); // the text ended after a comma: the record goes on
  if (fields.length > 0) record(fields);
  return '';
}
