/**
 * npm run bench:import — imports a 1M-line file and prints, from the same run, the import's
 * lines/s beside the bare parse rate of the same file (a loop that only finds the quoted CSV
 * fields, creating no strings), their ratio, and the import's peak RSS. Three rounds, alternating.
 * The import is the CLI a user runs (`partner-usage import --json`, compiled), in its own process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchFile, cliImport, median, ROOT, withBareParse } from './bench-file.js';

const ROUNDS = 3;
const file = benchFile(Number(process.env.BENCH_ROWS ?? 1_000_000));
const db = path.join(ROOT, '.bench', 'import-bench.db');

const rows: { bare: number; imp: number; ratio: number; rss: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const {
    bare,
    bares,
    result: imp,
  } = withBareParse(file, () => {
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
    return cliImport(file, db);
  });
  const r = { bare, imp: imp.lines / imp.seconds, ratio: 0, rss: imp.peakRssMB };
  r.ratio = r.imp / r.bare;
  rows.push(r);
  console.log(
    `round ${round}: bare parse ${Math.round(r.bare).toLocaleString('en-US')} lines/s ` +
      `(${bares.map((b) => Math.round(b / 1000)).join('k, ')}k before and after) | ` +
      `import ${Math.round(r.imp).toLocaleString('en-US')} lines/s (${imp.seconds.toFixed(2)} s; ` +
      `CLI process ${imp.processSeconds.toFixed(2)} s) | ratio ${r.ratio.toFixed(2)} | import peak RSS ${r.rss} MB`,
  );
}
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
console.log(
  `median of ${ROUNDS} (${os.cpus().length} cores, node ${process.version}, ${path.basename(file)}): ` +
    `bare parse ${Math.round(median(rows.map((r) => r.bare))).toLocaleString('en-US')} lines/s, ` +
    `import ${Math.round(median(rows.map((r) => r.imp))).toLocaleString('en-US')} lines/s, ` +
    `ratio ${median(rows.map((r) => r.ratio)).toFixed(2)} (target ≥ 0.5), ` +
    `peak RSS ${median(rows.map((r) => r.rss))} MB (target ≤ 300)`,
);
