import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { bundled } from './bundled.js';
import { REPO } from './fixtures.js';

/** The CLI bundled once for this test process (bundled.ts). */
let bundledCli: Promise<string> | undefined;

/**
 * A `partner-usage serve --no-demo` process on a database, on a free port of 127.0.0.1; resolves
 * with its base URL once it listens. `from`: the sources through tsx (the default: the dashboard
 * is served, from dist/web), the sources bundled (bundled.ts: a start without tsx's compilation,
 * no dashboard), or bin/ (dist/). `env` adds to the environment (e.g. the delivery worker's settings).
 */
export async function serveProcess(
  location: string,
  from: 'sources' | 'bundled' | 'compiled' = 'sources',
  env: NodeJS.ProcessEnv = {},
): Promise<{ base: string; child: ChildProcess }> {
  const entry =
    from === 'compiled'
      ? [path.join(REPO, 'bin/partner-usage.js')]
      : from === 'bundled'
        ? [await (bundledCli ??= bundled('src/cli/main.ts'))]
        : ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
  const child = spawn(process.execPath, [...entry, 'serve', '--no-demo', '--port', '0', '--db', location], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stderr);
      if (match) resolve({ base: match[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
