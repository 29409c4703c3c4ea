import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDatabase } from './helpers/backends.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { bundled } from './helpers/bundled.js';
import { generate, REPO, tempDir } from './helpers/fixtures.js';

// The CLI bundled once (bundled.ts): a real process each time (other users, full disks), without tsx's start.
const CLI = await bundled('src/cli/main.ts');
const NOBODY = 65534;

function cli(args: string[], options: { env?: Record<string, string>; uid?: number } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One clear line (or two, for an import), never a stack trace. */
function assertClear(stderr: string, message: RegExp): void {
  assert.match(stderr, message);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
  assert.ok(stderr.trim().split('\n').length <= 2, stderr);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('the CLI when the machine says no', () => {
  const dir = tempDir();
  const mounts: string[] = [];
  before(() => {
    // These tests mount small file systems and run the CLI as another user: they need root, as CI
    // and this project's machines have; elsewhere they fail rather than pass without checking.
    assert.equal(process.getuid?.(), 0, 'these tests need root (mount, setuid)');
    fs.chmodSync(dir, 0o755);
  });
  after(() => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  });
  const mount = (name: string, size: string) => {
    const at = path.join(dir, name);
    fs.mkdirSync(at);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
    mounts.push(at);
    return at;
  };

  it('says the port is in use (exit 4) instead of printing EADDRINUSE', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as net.AddressInfo;
    try {
      const db = path.join(dir, 'port.db');
      const result = cli(['serve', '--port', String(port), '--db', db]);
      assert.equal(result.status, 4, result.stderr);
      assertClear(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
      // Found before anything is created or loaded: no database, no demo data (#26).
      assert.equal(fs.existsSync(db), false, 'no database file was written');
    } finally {
      busy.close();
    }
  });

  it('listens where PORT and HOST say, as hosting platforms set them', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--no-demo', '--db', path.join(dir, 'env.db')], {
      cwd: REPO,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const serving = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /serving (http:\/\/[^/]+)\/v1/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      assert.equal(serving, `http://127.0.0.1:${port}`);
      assert.equal((await fetch(`${serving}/healthz`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(cli(['serve', '--no-demo', '--db', path.join(dir, 'env.db')], { env: { PORT: 'eighty' } }).status, 2);
  });

  it('says the disk is full (exit 3) and leaves the database as it was', async () => {
    const at = mount('full', '1m'); // the migrations' own WAL is ~0.75 MB
    const db = await testDatabase('sqlite', at, 'full');
    const small = generate(dir, 'small.csv', { rows: 50, customers: 2, period: '2026-10', seed: 3 });
    const large = generate(dir, 'large.csv', { rows: 20000, customers: 30, period: '2026-10', seed: 4 });
    assert.equal(cli(['import', small.file, '--db', db.location]).status, 0);
    const before = await db.checksum();
    const result = cli(['import', large.file, '--db', db.location]);
    assert.equal(result.status, 3, result.stderr);
    assertClear(
      result.stderr,
      /large\.csv: the disk is full\nnothing was imported from .*large\.csv; the database is unchanged/,
    );
    assert.equal(await db.checksum(), before);
  });

  it('says an export or an archive ran out of disk (exit 1), leaves no partial file and the database as it was', async () => {
    const at = mount('full-out', '64k');
    const db = await testDatabase('sqlite', dir, 'export-full');
    const lines = generate(dir, 'export-full.csv', { rows: 3000, customers: 10, period: '2026-09', seed: 6 });
    assert.equal(cli(['import', lines.file, '--db', db.location]).status, 0);
    const before = await db.checksum();
    const exported = cli([
      'export',
      '--format',
      'csv',
      '--period',
      '2026-09',
      '--out',
      path.join(at, 'x.csv'),
      '--db',
      db.location,
    ]);
    assert.equal(exported.status, 1, exported.stderr);
    assertClear(exported.stderr, /cannot write .*x\.csv\.partial: ENOSPC: no space left on device/);
    const archived = cli(['archive', '--before', '2026-10', '--out', path.join(at, 'a.parquet'), '--db', db.location]);
    assert.equal(archived.status, 1, archived.stderr);
    assertClear(archived.stderr, /cannot write .*a\.parquet\.partial: ENOSPC/);
    assert.deepEqual(fs.readdirSync(at), [], 'a failed export left a file');
    assert.equal(await db.checksum(), before, 'a failed archive changed the database');
  });

  it('says the database is read-only (exit 3) and changes nothing', async () => {
    const at = mount('readonly', '4m');
    const db = await testDatabase('sqlite', at, 'ro');
    const small = generate(dir, 'ro.csv', { rows: 50, customers: 2, period: '2026-10', seed: 5 });
    assert.equal(cli(['import', small.file, '--db', db.location]).status, 0);
    const before = await db.checksum();
    execFileSync('mount', ['-o', 'remount,ro', at]);
    const result = cli(['budget', 'set', Object.keys(small.expect.customers)[0]!, '10', '--db', db.location]);
    assert.equal(result.status, 3, result.stderr);
    assertClear(result.stderr, /read-only/);
    assert.equal(await db.checksum(), before);
  });

  it('says a database in a folder this user may not read cannot be opened (exit 3)', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o700 });
    const result = cli(['customers', '--db', path.join(locked, 'x.db')], { uid: NOBODY });
    assert.equal(result.status, 3, result.stderr);
    assertClear(
      result.stderr,
      /cannot open the database .*locked\/x\.db: the database file cannot be opened: check that its folder exists/,
    );
  });

  it('prints names holding control characters escaped, never as terminal escapes', () => {
    const file = path.join(dir, 'escapes.csv');
    writeDailyRated(file, [
      {
        PartnerId: '0f1e2d3c-4b5a-4697-8877-665544332211',
        CustomerId: 'a1b2c3d4-0000-4000-8000-000000000001',
        CustomerName: 'Evil\u001b[2J\u001b]0;owned\u0007 Corp\u202e',
        SubscriptionId: 'b1b2c3d4-0000-4000-8000-000000000002',
        MeterId: 'd1b2c3d4-0000-4000-8000-00000000000e',
        UsageDate: '2026-10-03T00:00:00Z',
        BillingPreTaxTotal: '1',
        BillingCurrency: 'USD',
        PricingPreTaxTotal: '1',
      },
    ]);
    const db = path.join(dir, 'escapes.db');
    assert.equal(cli(['import', file, '--db', db]).status, 0);
    const result = cli(['customers', '--period', '2026-10', '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Evil\\x1b\[2J\\x1b\]0;owned\\x07 Corp\\u202e/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(result.stdout, /[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
  });
});
