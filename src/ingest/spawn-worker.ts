import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

// A small young generation: V8's default let a parse worker's short-lived garbage pile up to over
// 100 MB before collecting; the workers now make little garbage, and 4 MB measured no slower
// than 8 MB and a few MB less peak memory (docs/benchmarks.md).
// A bounded old generation: what a worker promotes (the strings of new entries, a batch's while it
// is built) is soon garbage, and V8 collected it only past ~25 MB a worker; bounded, it collects
// sooner (peak RSS of the million-line import −40 MB, docs/benchmarks.md). The live heap stays far
// below: a batch is taken once 4 MiB of its records brought entries or were refused (parse-task.ts),
// and a file of a million new resources imported with a bound of 24 MB.
const LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 };

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
