import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

// A small young generation: parse workers make short-lived garbage fast, and V8's default lets
// it pile up to over 100 MB per worker before collecting (measured: peak RSS, docs/ingest.md).
const LIMITS = { maxYoungGenerationSizeMb: 8 };

/**
 * Starts a worker from a module beside the caller. Compiled, that is a .js file; run from the
 * TypeScript sources (tests, `npm run dev`), the worker registers tsx first, since Node 20
 * workers do not inherit the loader hooks of `--import tsx`.
 */
export function spawnWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const ext = path.extname(fileURLToPath(callerUrl));
  const url = new URL(`./${name}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(url, { workerData, resourceLimits: LIMITS });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits: LIMITS });
}
