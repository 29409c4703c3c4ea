/**
 * npm run bench:postgres — on an embedded PostgreSQL 18 server:
 * 1. importing the 1M-line file with the CLI (`partner-usage import --db postgres://…`, in its
 *    own process) into a new database, beside the bare parses of the same file (see
 *    bench-file.ts: the split into strings the target is stated against, and the byte scan),
 *    three rounds;
 * 2. the API with one `serve` process, then two, then one again, on the same database (wrk in its
 *    own processes, 25 connections on each server), with each server's CPU time:
 *    first with the servers sharing the machine's cores with wrk, then with each server capped at
 *    half a core (a cgroup CPU quota), as API nodes of a fixed size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alertEngine } from '../dist/alerts/alert-engine.js';
import { importFile } from '../dist/ingest/importer.js';
import { PostgresStore } from '../dist/storage/postgres/postgres-store.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../src/server/auth/local-keys.js';
import { newPostgresDatabase, stopPostgres } from '../test/helpers/postgres.js';
import { serveProcess } from '../test/helpers/serve-process.js';
import { capCpu, cpuSeconds, wrk, writeCustomersFile, type Load } from './api-load.js';
import { benchFile, cliImport, median, thousands, withBareParse } from './bench-file.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// The same concurrency on each server whether one or two run: with 50 connections on one and
// 25 on each of two, one capped server served 10% fewer requests per CPU-second.
const CONNECTIONS_PER_SERVER = 25;
// The CPU of one API node in the capped runs (see capCpu).
const NODE_CORES = 0.5;
const ROUNDS = 3;
const file = benchFile(Number(process.env.BENCH_ROWS ?? 1_000_000));
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

/** Load on each server at once; with the CPU seconds each server process used meanwhile. */
async function loadEach(
  servers: { base: string; pid: number }[],
  path: string,
  token: string,
  connections: number,
): Promise<{ loads: Load[]; cpu: number[] }> {
  const before = servers.map((s) => cpuSeconds(s.pid));
  const loads = await Promise.all(servers.map((s) => wrk(`${s.base}${path}`, token, SECONDS, connections)));
  return { loads, cpu: servers.map((s, i) => cpuSeconds(s.pid) - before[i]!) };
}

/**
 * One server under load, then two at once, then the other one alone, each server under
 * CONNECTIONS_PER_SERVER (the machine's speed drifts, so the one-process figure is the mean of
 * a run before and one after).
 */
async function scaling(
  label: string,
  [a, b]: [{ base: string; pid: number }, { base: string; pid: number }],
  route: string,
  token: string,
): Promise<void> {
  const oneBefore = await loadEach([a], route, token, CONNECTIONS_PER_SERVER);
  const two = await loadEach([a, b], route, token, CONNECTIONS_PER_SERVER);
  const oneAfter = await loadEach([b], route, token, CONNECTIONS_PER_SERVER);
  const one = { loads: [...oneBefore.loads, ...oneAfter.loads], cpu: [...oneBefore.cpu, ...oneAfter.cpu] };
  const oneRps = (oneBefore.loads[0]!.rps + oneAfter.loads[0]!.rps) / 2;
  const twoRps = two.loads[0]!.rps + two.loads[1]!.rps;
  const perCpu = (loads: Load[], cpu: number[]) =>
    rate((loads.reduce((n, l) => n + l.rps, 0) * SECONDS) / cpu.reduce((n, c) => n + c, 0));
  console.log(
    `API on PostgreSQL, 1,000 customers, servers ${label}: one process ${rate(oneRps)} req/s (mean of ` +
      `${rate(oneBefore.loads[0]!.rps)} before and ${rate(oneAfter.loads[0]!.rps)} after; ` +
      `p99 ${Math.max(...one.loads.map((l) => l.p99))} ms, server CPU ${one.cpu.map((c) => c.toFixed(1)).join(', ')} s ` +
      `of ${SECONDS} s) | two processes ${rate(twoRps)} req/s ` +
      `(p99 ${Math.max(...two.loads.map((l) => l.p99))} ms, server CPU ${two.cpu.map((c) => c.toFixed(1)).join(' + ')} s) | ` +
      `ratio ${(twoRps / oneRps).toFixed(2)} (target ≥ 1.6) | ` +
      `requests per server CPU-second: one ${perCpu(one.loads, one.cpu)}, two ${perCpu(two.loads, two.cpu)}`,
  );
}

try {
  // 1. Import.
  const ratios: { split: number; scan: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const url = await newPostgresDatabase();
    const base = withBareParse(file, () => cliImport(file, url));
    const summary = base.result;
    const lines = summary.lines / summary.seconds;
    ratios.push({ split: lines / base.split, scan: lines / base.scan });
    console.log(
      `round ${round}: import into PostgreSQL ${rate(lines)} lines/s (${summary.seconds.toFixed(2)} s) | ` +
        `bare split ${rate(base.split)} lines/s (${thousands(base.runs.split)} before and after), ` +
        `bare scan ${rate(base.scan)} (${thousands(base.runs.scan)}) | ` +
        `ratio to the split ${(lines / base.split).toFixed(2)}, to the scan ${(lines / base.scan).toFixed(2)}`,
    );
  }
  console.log(
    `import: median ratio to the bare split ${median(ratios.map((r) => r.split)).toFixed(2)} (target ≥ 0.3), ` +
      `to the bare scan ${median(ratios.map((r) => r.scan)).toFixed(2)}`,
  );

  // 2. One API process, then two, on one database.
  const partner = '3c5b9a32-7d61-4b8e-9a4c-1f2e3d4c5b6a';
  const apiUrl = await newPostgresDatabase();
  const apiStore = await PostgresStore.open({ url: apiUrl, alerts: alertEngine });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pu-bench-'));
  await importFile(apiStore, writeCustomersFile(dir, 1000, partner));
  const token = await issueLocalToken(await loadOrCreateLocalKeys(apiStore), { tenant: partner });
  await apiStore.close();
  const route = '/v1/customers/usagerecords?size=100&period=2026-10';
  const servers = [await serveProcess(apiUrl, 'compiled'), await serveProcess(apiUrl, 'compiled')];
  try {
    const [a, b] = servers.map((s) => ({ base: s.base, pid: s.child.pid! })) as [
      { base: string; pid: number },
      { base: string; pid: number },
    ];
    for (const s of [a, b]) await wrk(`${s.base}${route}`, token, 2); // warm-up
    await scaling(`sharing the ${os.cpus().length} cores with wrk`, [a, b], route, token);
    // Each server capped at half a core, as API nodes of a fixed size: the two then take a core
    // between them, and wrk has the other, which it needs (above) for the load of two servers.
    const lifts = [a, b].map((s) => capCpu(s.pid, NODE_CORES));
    try {
      if (lifts.every((lift) => lift !== undefined)) {
        await scaling(`each capped at ${NODE_CORES} core`, [a, b], route, token);
      } else {
        console.log('API with each process capped: not measured (needs root to write cgroups)');
      }
    } finally {
      for (const lift of lifts) lift?.();
    }
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await stopPostgres();
}
