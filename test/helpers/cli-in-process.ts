import { format } from 'node:util';
import { runCli } from '../../src/cli/run-cli.js';

/** What a CLI run gives: its exit code and what it wrote. */
export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs a CLI command line in this process, what it prints captured and `env` set for it: what a
 * spawned CLI gives, without a process start (~1 s each through tsx, most of a CLI test's time).
 * For the tests where a process of its own adds nothing; signals, crashes, memory limits and
 * other users still spawn the CLI. One run at a time: stdout, stderr and the environment are the
 * process's own.
 */
export function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  const run = queue.then(() => runCaptured(args, env));
  queue = run.catch(() => undefined);
  return run;
}

async function runCaptured(args: readonly string[], env: Readonly<Record<string, string>>): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  // The console, not process.stdout: a test file's own results go to the test runner through stdout.
  const line =
    (into: string[]) =>
    (...values: unknown[]) => {
      into.push(`${format(...values)}\n`);
    };
  const saved = { log: console.log, info: console.info, error: console.error, warn: console.warn };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  console.log = console.info = line(out);
  console.error = console.warn = line(err);
  try {
    const status = await runCli(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, saved);
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}
