import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO } from './fixtures.js';

/** The worker threads' modules, which spawn-worker.ts starts by name. */
const WORKERS = {
  'parse-worker': path.join(REPO, 'src/ingest/parse-worker.ts'),
  'encoder-worker': path.join(REPO, 'src/export/encoder-worker.ts'),
};

/**
 * A test script bundled into plain JavaScript (its node_modules imports left as they are), for a
 * test that starts it as a process many times: started through tsx, each start compiled the
 * sources again (~1.2 s); bundled, it starts as node does (~0.1 s), from the sources as they are
 * now (not a dist/ that may be stale). The parse worker is bundled beside it, where the importer
 * looks for it (spawn-worker.ts), and so is the exports' encoder. Returns the script's path.
 */
export async function bundled(script: string): Promise<string> {
  // Two levels below the project, as a module of src/<part>/ is: its package imports resolve as
  // the sources' do, and so does a file read beside it (create-server.ts reads ../../package.json).
  const parent = path.join(REPO, '.test-bundles');
  fs.mkdirSync(parent, { recursive: true });
  const outdir = fs.mkdtempSync(path.join(parent, 'bundle-'));
  fs.chmodSync(outdir, 0o755); // also for a test that runs it as another user
  process.once('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
  await build({
    entryPoints: {
      [path.basename(script, '.ts')]: path.join(REPO, script),
      ...WORKERS,
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    // The CLI's commands stay separate chunks, loaded when run, with the packages they import.
    splitting: true,
    logLevel: 'error',
  });
  return path.join(outdir, `${path.basename(script, '.ts')}.mjs`);
}

/**
 * The worker threads (the parse worker, the exports' encoder) bundled into plain JavaScript, in a
 * folder of their own, for spawn-worker.ts to start instead of the TypeScript sources
 * (PARTNER_USAGE_TEST_WORKERS: run-suite.ts bundles them once for the whole run). Started from the source, every worker registered tsx and compiled its modules
 * again: ~0.3 s of CPU a worker, two an import, a fifth of the suite's CPU.
 */
export async function bundledWorkers(): Promise<{ dir: string; remove: () => void }> {
  const parent = path.join(REPO, '.test-bundles');
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, 'workers-'));
  fs.chmodSync(dir, 0o755); // also for a test that runs the importer as another user
  await build({
    entryPoints: WORKERS,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
