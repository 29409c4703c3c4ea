// One import in its own process, so that its peak RSS is its own. Uses the compiled dist/.
import fs from 'node:fs';
import { importFile } from '../dist/ingest/importer.js';
import { openStore } from '../dist/storage/open-store.js';

const [file, db] = process.argv.slice(2) as [string, string];
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
const store = await openStore(db);
const summary = await importFile(store, file);
await store.close();
console.log(
  JSON.stringify({
    lines: summary.lines,
    seconds: summary.seconds,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
