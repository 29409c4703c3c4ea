/**
 * An import in a process of its own, to be killed: prints "writing" once its transaction holds
 * lines (the first batch written) and "committed" when it is done. Used by crash-safety.test.ts.
 */
import { importFile } from '../../src/ingest/importer.js';
import { openStore } from '../../src/storage/open-store.js';
import { alertEngine } from '../../src/alerts/alert-engine.js';

const [location, file] = process.argv.slice(2) as [string, string];
const store = await openStore(location, alertEngine);
let writing = false;
await importFile(store, file, {
  now: () => new Date('2026-10-20T00:00:00Z'),
  onProgress: () => {
    if (!writing) process.stdout.write('writing\n');
    writing = true;
  },
});
process.stdout.write('committed\n');
await store.close();
