/**
 * `npm test`'s static checks (types, lint, format, the production audit), two at a time: run one
 * after another they kept one of this machine's two cores idle for ~35 s of every `npm test`
 * (docs/reliability.md). Each check's output is printed whole when it ends, never interleaved;
 * every check runs even when one fails, and the exit code says whether all passed.
 */
import { spawn } from 'node:child_process';

const CHECKS = ['typecheck', 'lint', 'format:check', 'audit'];
const LANES = 2;

interface Outcome {
  readonly name: string;
  readonly ok: boolean;
  readonly output: string;
  readonly seconds: number;
}

function run(name: string): Promise<Outcome> {
  const started = performance.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    const end = (ok: boolean, extra = '') =>
      resolve({
        name,
        ok,
        output: Buffer.concat(chunks).toString() + extra,
        seconds: (performance.now() - started) / 1000,
      });
    child.on('error', (error) => end(false, String(error)));
    child.on('close', (code) => end(code === 0));
  });
}

const queue = [...CHECKS];
const outcomes: Outcome[] = [];
await Promise.all(
  Array.from({ length: LANES }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const outcome = await run(name);
      outcomes.push(outcome);
      process.stdout.write(`> ${name}: ${outcome.ok ? 'passed' : 'FAILED'} (${outcome.seconds.toFixed(1)} s)\n`);
      if (outcome.output.trim() !== '') process.stdout.write(outcome.output.replace(/\n?$/, '\n'));
    }
  }),
);
const failed = outcomes.filter((o) => !o.ok).map((o) => o.name);
if (failed.length > 0) {
  process.stderr.write(`static checks failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
