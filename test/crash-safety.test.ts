import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { importFile } from '../src/ingest/importer.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { bundled } from './helpers/bundled.js';
import { contents } from './helpers/contents.js';
import { generate, REPO, tempDir, type Generated } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';

/**
 * An import killed with SIGKILL at random points while its transaction holds lines: every time
 * the database opens again it holds exactly the state before the import or after it, and
 * importing the file again ends exact. PARTNER_USAGE_CRASH_POINTS sets the points per backend.
 */
const POINTS = Number(process.env.PARTNER_USAGE_CRASH_POINTS ?? 8);
const dir = tempDir();
after(stopPostgres);

let seed = 20261201;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

/** The import child, bundled once: 40 starts through tsx were most of this file's time. */
let importChild: string;

/** Runs the import in a child; kills it `afterMs` after it starts writing (never, if undefined). */
function importInChild(
  location: string,
  file: string,
  afterMs?: number,
): Promise<{ wrote: boolean; committed: boolean; ms: number }> {
  const child = spawn(process.execPath, [importChild, location, file], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let started = 0;
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (started === 0 && out.includes('writing')) {
        started = performance.now();
        if (afterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.on('exit', () =>
      resolve({
        wrote: out.includes('writing'),
        committed: out.includes('committed'),
        ms: performance.now() - started,
      }),
    );
  });
}

/** Runs statements on the PostgreSQL server of `db` as its admin, outside `db` itself. */
async function asAdmin(db: TestDatabase, statements: string[]): Promise<void> {
  const url = new URL(db.location);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.end();
  }
}

const databaseName = (db: TestDatabase) => new URL(db.location).pathname.slice(1);

/** A copy of the database as it is (SQLite: a file; PostgreSQL: a template database). */
async function snapshot(db: TestDatabase): Promise<string> {
  if (db.backend === 'sqlite') {
    fs.copyFileSync(db.location, `${db.location}.pristine`);
    return `${db.location}.pristine`;
  }
  const copy = `${databaseName(db)}_pristine`;
  await asAdmin(db, [`CREATE DATABASE "${copy}" TEMPLATE "${databaseName(db)}"`]);
  return copy;
}

/** Puts a database back to its snapshot. */
async function restore(db: TestDatabase, pristine: string): Promise<void> {
  if (db.backend === 'sqlite') {
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${db.location}${suffix}`, { force: true });
    fs.copyFileSync(pristine, db.location);
    return;
  }
  const name = databaseName(db);
  await asAdmin(db, [`DROP DATABASE "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}" TEMPLATE "${pristine}"`]);
}

describe('crash safety', () => {
  let older: Generated;
  let newer: Generated;
  before(async () => {
    importChild = await bundled('test/helpers/import-child.ts');
    // A newer download of the same month: it replaces the older one's lines and adds others.
    const flags = { customers: 30, meters: 40, period: '2026-10', seed: 81 };
    older = generate(dir, 'older.csv', { ...flags, rows: 6000, days: 5 });
    newer = generate(dir, 'newer.csv', { ...flags, rows: 16000, days: 12 });
  });

  for (const backend of BACKENDS) {
    it(
      `${backend}: ${POINTS} imports killed mid-transaction each leave the state before or after, exactly`,
      { timeout: 900_000 },
      async () => {
        const db = await testDatabase(backend, dir, `crash-${backend}`);
        const store = await db.open();
        await importFile(store, older.file, { now: () => new Date('2026-10-20T00:00:00Z') });
        await store.close();
        const beforeState = await contents(db);
        const pristine = await snapshot(db);
        // The state after, and how long the transaction takes, from one import left to finish.
        const calibration = await importInChild(db.location, newer.file);
        assert.ok(calibration.committed);
        const afterState = await contents(db);
        assert.notEqual(afterState, beforeState);
        await restore(db, pristine);

        let midTransaction = 0;
        for (let point = 0; point < POINTS; point++) {
          // Mostly inside the transaction as the calibration timed it; the machine's speed varies.
          const delay = Math.floor(random() * calibration.ms * 0.9);
          const run = await importInChild(db.location, newer.file, delay);
          assert.ok(run.wrote, 'the import began writing before it was killed');
          if (!run.committed) midTransaction++;
          const state = await contents(db); // opens the database afresh
          assert.ok(
            state === beforeState || state === afterState,
            `kill ${point + 1} at ${delay} ms left a third state`,
          );
          if (state === afterState) await restore(db, pristine);
        }
        assert.ok(
          midTransaction >= POINTS / 4,
          `only ${midTransaction} of ${POINTS} kills landed inside the transaction`,
        );
        // After every kill, importing the file again ends exact.
        const reopened = await db.open();
        try {
          await importFile(reopened, newer.file, { now: () => new Date('2026-10-20T00:00:00Z') });
        } finally {
          await reopened.close();
        }
        assert.equal(await contents(db), afterState);
      },
    );
  }
});
