import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { ImportError, importFile, type ImportOptions } from '../src/ingest/importer.js';
import type { Store } from '../src/storage/store.js';
import type { CorpusCase } from './corpus/make-bad-input.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { contents } from './helpers/contents.js';
import { REPO, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';

/**
 * The bad-input corpus (test/corpus/bad-input, made by make-bad-input.ts): every file refused with
 * its expected error, line and column, the database unchanged; with --skip-invalid exactly its
 * bad lines rejected and the rest stored exactly as its clean base alone.
 */
const CORPUS = path.join(REPO, 'test/corpus/bad-input');
const CASES = JSON.parse(fs.readFileSync(path.join(CORPUS, 'cases.json'), 'utf8')) as CorpusCase[];
const OPTIONS: ImportOptions = { now: () => new Date('2026-10-20T00:00:00Z') };
const dir = tempDir();
after(stopPostgres);

const TABLES = [
  'line_blocks',
  'line_dictionaries',
  'customer_usage',
  'subscription_usage',
  'meter_usage',
  'resource_usage',
  'import_batches',
  'resources',
  'entitlements',
  'subscriptions',
  'customers',
  'meters',
  'partners',
];

async function reset(db: TestDatabase): Promise<void> {
  await db.execute(TABLES.map((table) => `DELETE FROM ${table};`).join('\n'));
}

describe('the bad-input corpus', () => {
  it('holds at least 60 files across every category', () => {
    assert.ok(CASES.length >= 60, `${CASES.length} cases`);
    assert.deepEqual([...new Set(CASES.map((c) => c.category))].sort(), [
      'dates',
      'encoding',
      'gzip',
      'ids',
      'numbers',
      'sizes',
      'structure',
    ]);
  });

  for (const backend of BACKENDS) {
    describe(backend, () => {
      let loaded: TestDatabase;
      let loadedStore: Store;
      let scratch: TestDatabase;
      let scratchStore: Store;
      let checksum: string;
      const clean = new Map<string, string>();

      before(async () => {
        scratch = await testDatabase(backend, dir, `scratch-${backend}`);
        scratchStore = await scratch.open();
        for (const base of new Set(CASES.map((c) => c.base))) {
          await reset(scratch);
          await importFile(scratchStore, path.join(CORPUS, `base-${base}.csv`), OPTIONS);
          clean.set(base, await contents(scratch));
        }
        // The refusals run against a database that already holds both bases.
        loaded = await testDatabase(backend, dir, `loaded-${backend}`);
        loadedStore = await loaded.open();
        await importFile(loadedStore, path.join(CORPUS, 'base-daily-rated.csv'), OPTIONS);
        await importFile(loadedStore, path.join(CORPUS, 'base-legacy.csv'), OPTIONS);
        checksum = await loaded.checksum();
      });
      after(async () => {
        await loadedStore.close();
        await scratchStore.close();
      });

      for (const c of CASES) {
        it(`${c.category}/${c.name}: refused${c.error.line ? ` at line ${c.error.line}` : ''}, nothing changed${c.rejectedLines ? '; skipped alone with --skip-invalid' : ''}`, async () => {
          const file = path.join(CORPUS, c.file);
          const error = await importFile(loadedStore, file, OPTIONS).then(
            () => assert.fail('imported a bad file'),
            (e: unknown) => e,
          );
          assert.ok(error instanceof ImportError, String(error));
          assert.match(error.message, new RegExp(c.error.message));
          assert.equal(error.line, c.error.line, error.message);
          assert.equal(error.column, c.error.column, error.message);
          assert.equal(await loaded.checksum(), checksum, 'the database changed');

          if (c.rejectedLines === null) return;
          await reset(scratch);
          const rejectsFile = path.join(dir, `${backend}-${c.name}.rejected.csv`);
          const summary = await importFile(scratchStore, file, { ...OPTIONS, skipInvalid: true, rejectsFile });
          const rejected = Papa.parse<{ line: string; reason: string }>(fs.readFileSync(rejectsFile, 'utf8'), {
            header: true,
            skipEmptyLines: true,
          }).data;
          assert.deepEqual(
            rejected.map((r) => Number(r.line)),
            c.rejectedLines,
          );
          assert.match(rejected[0]!.reason, new RegExp(c.error.message));
          assert.equal(summary.rejected, c.rejectedLines.length);
          assert.equal(await contents(scratch), clean.get(c.base), 'stored something besides the clean lines');
        });
      }
    });
  }
});
