import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { CsvFormatError, CsvScanner, MAX_RECORD_BYTES } from '../src/ingest/csv-scanner.js';
import { ImportError, importFile } from '../src/ingest/importer.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { generate, tempDir } from './helpers/fixtures.js';
import { cli } from './helpers/cli-in-process.js';
import { stopPostgres } from './helpers/postgres.js';

/** The importer's limits (docs/ingest.md, "Structure errors and limits"), each with its answer. */
const dir = tempDir();
after(stopPostgres);

describe('the record limit', () => {
  const MiB = Buffer.alloc(1 << 20, 0x61); // a megabyte of "a", no newline

  it('refuses a line with no end as soon as it passes 1 MiB, carrying nothing after (strict)', async () => {
    const scanner = new CsvScanner(() => {}, { firstLine: 7 });
    scanner.push(MiB);
    assert.throws(
      () => scanner.push(MiB),
      (e: unknown) => e instanceof CsvFormatError && e.line === 7 && /longer than 1048576 bytes/.test(e.message),
    );
  });

  it('skips the rest of such a line without holding it, and reads the next line (skip-invalid)', async () => {
    const refused: number[] = [];
    const records: string[] = [];
    const scanner = new CsvScanner((rec) => records.push(rec.buf.toString('utf8', rec.start, rec.end)), {
      onInvalid: (e) => refused.push(e.line),
    });
    scanner.push(Buffer.from('first,line\n'));
    for (let i = 0; i < 64; i++) {
      scanner.push(MiB);
      // After the first megabyte nothing is carried: 64 MiB without a newline cost no memory.
      if (i > 1) assert.equal(scanner.midRecord, false);
    }
    scanner.push(Buffer.from('\nnext,line\n'));
    scanner.end();
    assert.deepEqual(refused, [2]);
    assert.deepEqual(records, ['first,line', 'next,line']);
    assert.equal(MAX_RECORD_BYTES, 1 << 20);
  });
});

for (const backend of BACKENDS) {
  describe(`${backend}: the file-size limit`, () => {
    it('refuses a plain file over --max-bytes before touching the database', async () => {
      const db = await testDatabase(backend, dir, 'max-plain');
      const gen = generate(dir, 'max-plain.csv', { rows: 300, customers: 3, period: '2026-10', seed: 95 });
      const store = await db.open();
      try {
        const before = await db.checksum();
        const size = fs.statSync(gen.file).size;
        await assert.rejects(
          importFile(store, gen.file, { maxBytes: size - 1 }),
          (e: unknown) =>
            e instanceof ImportError && new RegExp(`larger than ${size - 1} bytes, the import limit`).test(e.message),
        );
        assert.equal(await db.checksum(), before);
        const summary = await importFile(store, gen.file, { maxBytes: size });
        assert.equal(summary.lines, 300, 'a file of exactly the limit is imported');
      } finally {
        await store.close();
      }
    });

    it('stops a gzip file whose content inflates past the limit, the database unchanged', async () => {
      const db = await testDatabase(backend, dir, 'max-gzip');
      const gen = generate(dir, 'max-gzip.csv', { rows: 3000, customers: 3, period: '2026-10', seed: 96 });
      const inflated = fs.readFileSync(gen.file);
      const file = path.join(dir, 'max-gzip.csv.gz');
      fs.writeFileSync(file, zlib.gzipSync(inflated));
      const store = await db.open();
      try {
        const before = await db.checksum();
        const limit = Math.floor(inflated.length / 2);
        assert.ok(fs.statSync(file).size < limit, 'the compressed file is under the limit');
        await assert.rejects(
          importFile(store, file, { maxBytes: limit }),
          (e: unknown) =>
            e instanceof ImportError && /content is larger than .* bytes, the import limit/.test(e.message),
        );
        assert.equal(await db.checksum(), before);
      } finally {
        await store.close();
      }
    });
  });
}

describe('the file-size limit from the command line', () => {
  it('takes --max-bytes and PARTNER_USAGE_MAX_FILE_BYTES, and refuses a bad value of either clearly', async () => {
    const gen = generate(dir, 'max-cli.csv', { rows: 100, customers: 2, period: '2026-10', seed: 97 });
    const db = path.join(dir, 'max-cli.db');
    const flag = await cli(['import', gen.file, '--db', db, '--max-bytes', '1000']);
    assert.equal(flag.status, 1, flag.stderr);
    assert.match(flag.stderr, /larger than 1000 bytes, the import limit \(--max-bytes\)\nnothing was imported/);
    const env = await cli(['import', gen.file, '--db', db], { PARTNER_USAGE_MAX_FILE_BYTES: '2000' });
    assert.match(env.stderr, /larger than 2000 bytes/);
    assert.equal((await cli(['import', gen.file, '--db', db, '--max-bytes', 'lots'])).status, 2);
    const badEnv = await cli(['import', gen.file, '--db', db], { PARTNER_USAGE_MAX_FILE_BYTES: 'lots' });
    assert.equal(badEnv.status, 1);
    assert.match(badEnv.stderr, /PARTNER_USAGE_MAX_FILE_BYTES must be a whole number of bytes/);
    assert.equal((await cli(['import', gen.file, '--db', db])).status, 0);
  });
});
