import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// A small young generation: V8's default let a parse worker's short-lived garbage pile up to over
// 100 MB before collecting; the workers now make little garbage, and 4 MB measured no slower
// than 8 MB and a few MB less peak memory (docs/benchmarks.md).
const YOUNG_GENERATION_MB = 4;

/**
 * Starts a worker from a module beside the caller, its old generation bounded at `oldGenerationMb`
 * when given, its young generation at `youngGenerationMb` (4 MB unless said). Compiled, that is a
 * .js file; run from the TypeScript sources (tests, `npm run dev`), the worker registers tsx first,
 * since Node 20 workers do not inherit the loader hooks of `--import tsx` — unless
 * PARTNER_USAGE_TEST_WORKERS names a folder holding the worker bundled (`<name>.mjs`: the test suite
 * bundles it once a run, test/helpers/bundled.ts, rather than have every worker compile the sources
 * again).
 */
export function spawnWorker(
  callerUrl: string,
  name: string,
  workerData: unknown,
  oldGenerationMb?: number,
  youngGenerationMb = YOUNG_GENERATION_MB,
): Worker {
  const resourceLimits = {
    maxYoungGenerationSizeMb: youngGenerationMb,
    ...(oldGenerationMb === undefined ? {} : { maxOldGenerationSizeMb: oldGenerationMb }),
  };
  const ext = path.extname(fileURLToPath(callerUrl));
  const url = new URL(`./${name}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(url, { workerData, resourceLimits });
  const bundles = process.env.PARTNER_USAGE_TEST_WORKERS;
  const bundled = bundles ? path.join(bundles, `${name}.mjs`) : undefined;
  if (bundled && fs.existsSync(bundled)) return new Worker(pathToFileURL(bundled), { workerData, resourceLimits });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
