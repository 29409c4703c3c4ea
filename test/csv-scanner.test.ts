import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvFormatError, CsvScanner } from '../src/ingest/csv-scanner.js';

/** Scans `text` fed in chunks of `size` bytes; returns [line, fields] per record. */
function scan(text: string, size = Infinity): [number, string[]][] {
  const out: [number, string[]][] = [];
  const scanner = new CsvScanner((rec) => {
    const fields: string[] = [];
    for (let i = 0; i < rec.count; i++) {
      const s = rec.buf.toString('utf8', rec.starts[i], rec.ends[i]);
      fields.push(rec.escaped[i] ? s.replaceAll('""', '"') : s);
    }
    out.push([rec.line, fields]);
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size === Infinity ? bytes.length : size) {
    scanner.push(bytes.subarray(i, i + (size === Infinity ? bytes.length : size)));
  }
  scanner.end();
  return out;
}

const SAMPLE = 'a,b,c\r\n"x, y","say ""hi""","multi\nline"\n,,\nlast,"é",end';
const EXPECTED: [number, string[]][] = [
  [1, ['a', 'b', 'c']],
  [2, ['x, y', 'say "hi"', 'multi\nline']],
  [4, ['', '', '']],
  [5, ['last', 'é', 'end']],
];

describe('CsvScanner', () => {
  it('reads RFC 4180 quoting, CRLF and LF, and numbers physical lines', () => {
    assert.deepEqual(scan(SAMPLE), EXPECTED);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 5, 7, 11, 64]) assert.deepEqual(scan(SAMPLE, size), EXPECTED, `chunks of ${size}`);
  });

  it('skips blank lines', () => {
    assert.deepEqual(scan('a,b\n\nc,d\n'), [
      [1, ['a', 'b']],
      [3, ['c', 'd']],
    ]);
  });

  it('names the line of an unclosed quote or of text after a closing quote', () => {
    assert.throws(
      () => scan('a,b\n"open,b\n'),
      (e: unknown) => e instanceof CsvFormatError && e.line === 2,
    );
    assert.throws(() => scan('a,b\nc,"d"x\n'), /unexpected character after a closing quote/);
  });
});
