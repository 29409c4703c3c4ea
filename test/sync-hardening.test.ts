/**
 * Issue #26's sync classes against a hostile Graph / Partner Center on 127.0.0.1: downloads that
 * break off, blobs that inflate or drip, answers that never come, manifests too large, endless
 * operations, a Location on another host, lines without a customer, refused lines, stale pages,
 * snapshots whose lines straddle months, currencies that are not currencies.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { currentBillingPeriod, previousBillingPeriod } from '../src/domain/usage-model.js';
import type { Store } from '../src/storage/store.js';
import { syncPartner, type SyncOptions } from '../src/sync/sync-run.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { cli } from './helpers/cli-in-process.js';
import { stopPostgres } from './helpers/postgres.js';

after(stopPostgres);

const PERIOD = currentBillingPeriod();
type Item = Record<string, string>;
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => unknown;

/** A server on 127.0.0.1 whose every answer the test writes; it records each request. */
async function hostile(): Promise<{
  url: string;
  requests: { method: string; url: string; auth: string | undefined }[];
  handle: (h: Handler) => void;
  close: () => Promise<void>;
}> {
  let handler: Handler = (_req, res) => res.writeHead(404).end();
  const requests: { method: string; url: string; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
      void Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    handle: (h) => (handler = h),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const gz = (items: readonly object[]) => zlib.gzipSync(items.map((i) => JSON.stringify(i)).join('\n') + '\n');

/** A Graph export whose manifest lists `blobs`, each answered by `blob(i, res)`. */
function graphFlow(
  base: string,
  blobs: number,
  blob: (i: number, res: http.ServerResponse) => unknown,
  etag = 'etag-1',
): Handler {
  return (req, res) => {
    const url = req.url!;
    if (req.method === 'POST' && url.includes('/usage/unbilled/export')) {
      res.writeHead(202, { Location: `${base}/v1.0/operations/op-1` }).end();
    } else if (url.startsWith('/v1.0/operations/op-1')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          status: 'succeeded',
          resourceLocation: {
            eTag: etag,
            rootDirectory: `${base}/blobs/root`,
            sasToken: 'sv=2021&sig=SECRETSIGNATURE',
            blobs: Array.from({ length: blobs }, (_, i) => ({ name: `part-${i}.json.gz` })),
          },
        }),
      );
    } else if (url.startsWith('/blobs/root/part-')) {
      return blob(Number(/part-(\d+)/.exec(url)![1]), res);
    } else res.writeHead(404).end();
  };
}

const ownFolders = () =>
  fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith('partner-usage-sync-'))
    .filter((n) => {
      try {
        return fs.readFileSync(path.join(os.tmpdir(), n, 'owner.pid'), 'utf8') === String(process.pid);
      } catch {
        return false;
      }
    });

/** Customer totals stored for a period: "tenant → billing total". */
async function periodTotals(db: TestDatabase, period: string): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; billing: string }>(
    `SELECT c.tenant_id AS id, u.billing_total AS billing FROM customer_usage u
     JOIN customers c ON c.customer_key = u.customer_key WHERE u.period = '${period}'`,
  );
  return new Map(rows.map((r) => [r.id, String(r.billing)]));
}

for (const backend of BACKENDS) {
  describe(`sync hardening on ${backend}`, () => {
    const dir = tempDir();
    let server: Awaited<ReturnType<typeof hostile>>;
    let other: Awaited<ReturnType<typeof hostile>>;
    let db: TestDatabase;
    let store: Store;
    let items: Item[];
    let expect: Expected;
    const waits: number[] = [];

    before(async () => {
      let file: string;
      ({ file, expect } = generate(dir, 'a.csv', { rows: 60, customers: 3, period: PERIOD, seed: 7 }));
      items = Papa.parse<Item>(fs.readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true }).data;
      server = await hostile();
      other = await hostile();
      db = await testDatabase(backend, dir, 'h');
      store = await db.open();
    });
    after(async () => {
      await store.close();
      await server.close();
      await other.close();
    });

    const currencyOf = () => items[0]!.BillingCurrency!;
    const ofCurrency = () => items.filter((i) => i.BillingCurrency === currencyOf());
    const sync = (overrides: Partial<SyncOptions> = {}) =>
      syncPartner(store, {
        source: 'graph',
        partnerTenantId: expect.partnerId,
        period: 'current',
        currencies: [currencyOf()],
        token: () => Promise.resolve('the-graph-token'),
        graphUrl: `${server.url}/v1.0`,
        partnerCenterUrl: `${server.url}/v1`,
        rejectsDir: path.join(dir, 'rejected'),
        ...overrides,
        http: {
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
          ...overrides.http,
        },
      });

    it('a connection reset in the middle of a blob is one failed snapshot: the process lives, its folder is gone, a stale one too', async () => {
      // A folder left by a killed run: its owner process no longer exists.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      const stale = fs.mkdtempSync(path.join(os.tmpdir(), 'partner-usage-sync-'));
      fs.writeFileSync(path.join(stale, 'owner.pid'), dead);
      fs.writeFileSync(path.join(stale, 'lineitems.csv'), 'x'.repeat(1000));
      // Another sync starting this instant: its owner file still empty. Not stale: it is left alone.
      const starting = fs.mkdtempSync(path.join(os.tmpdir(), 'partner-usage-sync-'));
      fs.writeFileSync(path.join(starting, 'owner.pid'), '');
      const before = await db.checksum();
      const many = Array.from({ length: 400 }, (_, i) => ({
        ...ofCurrency()[i % ofCurrency().length]!,
        Tags: `{"n":"${i}"}`,
      }));
      const body = gz(many);
      server.handle(
        graphFlow(server.url, 3, (_i, res) => {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
          // A first blob whose connection is reset halfway through, many lines already read.
          res.write(body.subarray(0, body.length / 2));
          setTimeout(() => res.socket?.resetAndDestroy(), 50);
        }),
      );
      const [result] = await sync();
      assert.equal(result!.status, 'failed');
      assert.equal(result!.error!.kind, 'blob', result!.error!.message);
      assert.match(result!.error!.message, /broke off|cut short|not a valid gzip/);
      assert.equal(await db.checksum(), before, 'nothing of it was stored');
      assert.deepEqual(ownFolders(), [], "the snapshot's temporary folder was removed");
      assert.equal(fs.existsSync(stale), false, "a killed run's folder is removed at the next start");
      assert.equal(fs.existsSync(starting), true, 'a folder whose owner file is being written is not');
      fs.rmSync(starting, { recursive: true, force: true });
      // Still alive, and able to sync: a later good blob imports.
      server.handle(graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(gz(ofCurrency())), 'etag-good'));
      const [again] = await sync();
      assert.equal(again!.status, 'imported', again!.error?.message);
    });

    it('a small blob inflating to one endless line, or past --max-bytes, fails naming the limit', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(40 << 20, 'a')); // 40 MiB of one line in ~40 KB
      assert.ok(bomb.length < 100_000);
      server.handle(graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(bomb), 'etag-bomb'));
      const [line] = await sync();
      assert.equal(line!.status, 'failed');
      assert.match(line!.error!.message, /line 1 is longer than 1048576 bytes \(the importer's line limit\)/);
      server.handle(graphFlow(server.url, 2, (_i, res) => res.writeHead(200).end(gz(ofCurrency())), 'etag-big'));
      const [bytes] = await sync({ maxBytes: gz(ofCurrency()).length + 100 });
      assert.equal(bytes!.status, 'failed');
      assert.match(bytes!.error!.message, /inflates past \d+ bytes \(the import limit, --max-bytes\)/);
      assert.deepEqual(ownFolders(), []);
    });

    it('a blob dripping bytes fails by the minimum transfer rate; an answer that never comes by the request timeout', async () => {
      const body = gz(ofCurrency());
      server.handle(
        graphFlow(
          server.url,
          1,
          (_i, res) => {
            res.writeHead(200);
            let sent = 0;
            const drip = setInterval(() => {
              if (res.destroyed || sent >= body.length) return clearInterval(drip);
              res.write(body.subarray(sent, ++sent));
            }, 200);
            res.on('close', () => clearInterval(drip));
          },
          'etag-drip',
        ),
      );
      const started = Date.now();
      const [drip] = await sync({ http: { rateWindowSeconds: 1, minBytesPerSecond: 100 } });
      assert.equal(drip!.status, 'failed');
      assert.match(drip!.error!.message, /slowed below 100 bytes a second over 1 s \(the minimum transfer rate\)/);
      assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);

      server.handle((req, res) => {
        if (req.method === 'POST') res.writeHead(202, { Location: `${server.url}/v1.0/operations/hang` }).end();
        // The operation never answers.
      });
      const [hang] = await sync({ http: { requestTimeoutSeconds: 1 } });
      assert.equal(hang!.status, 'failed');
      assert.match(hang!.error!.message, /no answer from http:\/\/127\.0\.0\.1:\d+ within 1 s \(the request timeout\)/);
      assert.deepEqual(ownFolders(), []);
    });

    it('manifests are capped in blobs and bytes; polls in number, with no wait after the last; Retry-After is capped', async () => {
      server.handle(graphFlow(server.url, 5, (_i, res) => res.writeHead(200).end(gz([])), 'etag-many'));
      const [many] = await sync({ maxBlobs: 3 });
      assert.match(many!.error!.message, /the manifest lists 5 blobs, over the limit of 3/);
      const [large] = await sync({ maxManifestBytes: 100 });
      assert.match(large!.error!.message, /larger than 100 bytes \(its limit\)/);

      let polls = 0;
      server.handle((req, res) => {
        if (req.method === 'POST') return res.writeHead(202, { Location: `${server.url}/v1.0/operations/slow` }).end();
        polls++;
        res.writeHead(200, { 'Retry-After': '86400' }).end(JSON.stringify({ status: 'running' }));
      });
      waits.length = 0;
      const [endless] = await sync({ maxPolls: 3, http: { maxWaitSeconds: 7 } });
      assert.match(endless!.error!.message, /had not finished after 3 polls \(the poll limit, --max-polls\)/);
      assert.equal(polls, 3);
      assert.deepEqual(waits, [7000, 7000], 'Retry-After capped, and no wait after the last poll');
    });

    it('the token goes only to Graph: a Location on another host gets none, and its error body is not echoed; no SAS in messages', async () => {
      other.requests.length = 0;
      other.handle((_req, res) =>
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal secret: db password hunter2'),
      );
      server.handle((req, res) => {
        if (req.method === 'POST') res.writeHead(202, { Location: `${other.url}/v1.0/operations/elsewhere` }).end();
      });
      const [moved] = await sync();
      assert.equal(moved!.status, 'failed');
      assert.equal(other.requests.length, 1);
      assert.equal(other.requests[0]!.auth, undefined, 'no Authorization sent to another origin');
      assert.doesNotMatch(moved!.error!.message, /hunter2|secret/);
      assert.match(moved!.error!.message, /answered 500/);

      server.handle(
        graphFlow(server.url, 1, (_i, res) =>
          res
            .writeHead(404, { 'Content-Type': 'application/xml' })
            .end('<Error><Code>BlobNotFound</Code><Message>private detail sig=SECRETSIGNATURE</Message></Error>'),
        ),
      );
      const [missing] = await sync();
      assert.match(missing!.error!.message, /404 BlobNotFound/);
      assert.doesNotMatch(missing!.error!.message, /SECRETSIGNATURE|private detail/);
    });

    it('lines without a customer are set aside, not a blocked snapshot; --skip-invalid stores the good lines and reports the rest', async () => {
      const lines = ofCurrency();
      const marketplace = { ...lines[0]!, CustomerId: '', ProductName: 'A marketplace offer' };
      server.handle(
        graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(gz([...lines, marketplace])), 'etag-mkt'),
      );
      const [setAside] = await sync();
      assert.equal(setAside!.status, 'imported', setAside!.error?.message);
      assert.equal(setAside!.lines, lines.length);
      assert.equal(setAside!.rejected, 1);
      const kept = fs.readFileSync(setAside!.rejectsFile!, 'utf8');
      assert.match(kept, /CustomerId is empty/);
      assert.match(kept, /A marketplace offer/);

      const bad = { ...lines[1]!, UsageDate: '2026-13-45' };
      server.handle(graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(gz([...lines, bad])), 'etag-bad'));
      const [strict] = await sync();
      assert.equal(strict!.status, 'failed');
      assert.equal(strict!.error!.kind, 'import');
      const [skipping] = await sync({ skipInvalid: true });
      assert.equal(skipping!.status, 'imported', skipping!.error?.message);
      assert.equal(skipping!.lines, lines.length);
      assert.equal(skipping!.rejected, 1);
      const refused = Papa.parse<Record<string, string>>(fs.readFileSync(skipping!.rejectsFile!, 'utf8'), {
        header: true,
      }).data.filter((r) => r.line);
      assert.equal(refused.length, 1);
      assert.equal(refused[0]!.column, 'UsageDate');
      assert.equal(refused[0]!.value, '2026-13-45');
      assert.ok(refused[0]!.reason!.length > 0);
    });

    it('a snapshot owns all its lines: lines in another month are replaced by the next snapshot too', async () => {
      const previous = previousBillingPeriod(PERIOD);
      const lines = ofCurrency();
      const moved = lines.map((l, i) =>
        i % 2 === 0 ? { ...l, UsageDate: `${previous}-28T00:00:00Z`, ChargeStartDate: `${previous}-01T00:00:00Z` } : l,
      );
      server.handle(graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(gz(moved)), 'etag-straddle-1'));
      const [first] = await sync();
      assert.equal(first!.status, 'imported', first!.error?.message);
      assert.ok((await periodTotals(db, previous)).size > 0, 'lines stored in the month before');
      // The next snapshot has no line in the month before: its lines there are gone.
      const onlyCurrent = lines.filter((_l, i) => i % 2 === 1);
      server.handle(graphFlow(server.url, 1, (_i, res) => res.writeHead(200).end(gz(onlyCurrent)), 'etag-straddle-2'));
      const [second] = await sync();
      assert.equal(second!.status, 'imported', second!.error?.message);
      assert.equal((await periodTotals(db, previous)).size, 0, 'no line of the earlier snapshot is left behind');
    });

    it('a line-item download whose import fails is fetched afresh next time, not re-imported from stored pages', async () => {
      let pages = 0;
      let broken = true;
      server.handle((req, res) => {
        if (!req.url!.startsWith('/v1/invoices/unbilled/lineitems')) return res.writeHead(404).end();
        pages++;
        const lines = ofCurrency().map((l, i) => (broken && i === 0 ? { ...l, UsageDate: 'not a date' } : l));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ items: lines }));
      });
      const [failed] = await sync({ source: 'partner-center' });
      assert.equal(failed!.status, 'failed');
      assert.equal(pages, 1);
      broken = false;
      const [fixed] = await sync({ source: 'partner-center' });
      assert.equal(fixed!.status, 'imported', fixed!.error?.message);
      assert.equal(pages, 2, 'Microsoft was asked again');
      const staged = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM sync_pages');
      assert.equal(Number(staged[0]!.n), 0);
    });
  });
}

describe('sync currencies are ISO 4217', () => {
  it('refuses XXX and ABC in sync --currency, before asking anyone', async () => {
    for (const code of ['XXX', 'ABC']) {
      const args = ['sync', '--token', 'x.e30.x', '--partner', '11111111-1111-1111-1111-111111111111'];
      const run = await cli([...args, '--currency', `USD,${code}`, '--db', path.join(tempDir(), 'c.db')]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`${code} is not one`));
    }
  });
});
