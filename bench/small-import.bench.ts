/**
 * npm run bench:small-import — a small file (1,000 lines, under the importer's 1 MiB in-thread
 * limit) imported again and again into one SQLite database, parsed in the importer's thread
 * (`parsers: 0`, the default for such a file) beside the same import with one parse worker
 * (`parsers: 1`, the default before), alternating in the same run. The compiled build, in this
 * process, as `serve` runs an import. Re-importing replaces the file's lines by themselves, so
 * each round does the same work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchFile, median, ROOT } from './bench-file.js';
import type { importFile as ImportFile } from '../src/ingest/importer.js';
import type { alertEngine as AlertEngine } from '../src/alerts/alert-engine.js';
import type { openStore as OpenStore } from '../src/storage/open-store.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const file = benchFile(1_000);
const { importFile } = (await import(path.join(ROOT, 'dist/ingest/importer.js'))) as { importFile: typeof ImportFile };
const { openStore } = (await import(path.join(ROOT, 'dist/storage/open-store.js'))) as {
  openStore: typeof OpenStore;
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'small-import-'));
const { alertEngine } = (await import(path.join(ROOT, 'dist/alerts/alert-engine.js'))) as {
  alertEngine: typeof AlertEngine;
};
const store = await openStore(path.join(dir, 'small.db'), alertEngine);
const seconds: Record<0 | 1, number[]> = { 0: [], 1: [] };
try {
  await importFile(store, file, { parsers: 1 }); // the first import inserts; the rounds replace
  for (let round = 0; round < ROUNDS; round++) {
    for (const parsers of round % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      const start = performance.now();
      const summary = await importFile(store, file, { parsers });
      seconds[parsers].push((performance.now() - start) / 1000);
      if (summary.lines !== 1_000) throw new Error(`imported ${summary.lines} lines, not 1,000`);
    }
  }
} finally {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
const inThread = median(seconds[0]);
const worker = median(seconds[1]);
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
console.log(
  `median of ${ROUNDS} (${os.cpus().length} cores, node ${process.version}, ${path.basename(file)}, ` +
    `${(fs.statSync(file).size / 1024).toFixed(0)} KiB): in the importer's thread ${ms(inThread)}, ` +
    `with a parse worker ${ms(worker)}: ${(worker / inThread).toFixed(2)} × the in-thread time`,
);
