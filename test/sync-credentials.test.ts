import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { importX509, jwtVerify } from 'jose';
import selfsigned from 'selfsigned';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import type { Store } from '../src/storage/store.js';
import { CredentialVault, credentialsKey, type SyncCredential } from '../src/sync/credential-vault.js';
import { startSyncSchedule, validateCronExpression } from '../src/sync/sync-schedule.js';
import { syncStoredPartners } from '../src/sync/sync-stored.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const KEY = crypto.randomBytes(32);
const SECRET = 'pu~client-secret.value_1';

/** Entra ID's v2 token endpoint, for one app: a client secret or a certificate's assertion gets `token`. */
async function fakeEntra(clientId: string, certificatePem: string, token: () => Promise<string>) {
  const requests: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void (async () => {
        const form = new URLSearchParams(body);
        requests.push(form);
        const endpoint = `http://${req.headers.host}${req.url}`;
        let ok = form.get('grant_type') === 'client_credentials' && form.get('client_id') === clientId;
        if (form.has('client_secret')) ok &&= form.get('client_secret') === SECRET;
        else {
          const { payload, protectedHeader } = await jwtVerify(
            form.get('client_assertion') ?? '',
            await importX509(certificatePem, 'RS256'),
            { audience: endpoint, issuer: clientId, subject: clientId },
          ).catch(() => ({ payload: undefined, protectedHeader: undefined }));
          ok &&= payload !== undefined && typeof protectedHeader?.x5t === 'string';
        }
        res.setHeader('content-type', 'application/json');
        if (!ok) {
          res.statusCode = 401;
          res.end(
            JSON.stringify({
              error: 'invalid_client',
              error_description: 'AADSTS7000215: Invalid client secret provided.',
            }),
          );
          return;
        }
        res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: await token() }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

for (const backend of BACKENDS) {
  describe(`stored credentials and the sync schedule on ${backend}`, () => {
    const dir = tempDir();
    let server: TestServer;
    let expect: Expected;
    let b: TestDatabase;
    let storeB: Store;
    let entra: Awaited<ReturnType<typeof fakeEntra>>;
    let certificate: { private: string; cert: string };
    const clientId = crypto.randomUUID();

    before(async () => {
      let file: string;
      ({ file, expect } = generate(dir, 'a.csv', {
        rows: 400,
        customers: 4,
        period: currentBillingPeriod(),
        seed: 12,
      }));
      server = await startTestServer(await testDatabase(backend, dir, 'a'), {}, undefined, {
        settings: { runningPolls: 0 },
      });
      await importFile(server.store, file);
      certificate = await selfsigned.generate([{ name: 'commonName', value: 'partner-usage sync' }], { keySize: 2048 });
      entra = await fakeEntra(clientId, certificate.cert, () =>
        server.token({ tenant: expect.partnerId, graph: true }),
      );
      b = await testDatabase(backend, dir, 'b');
      storeB = await b.open();
    });
    after(async () => {
      await storeB.close();
      await entra.close();
      await server.close();
    });

    const credential = (secret: SyncCredential['secret']): SyncCredential => ({
      partnerTenantId: expect.partnerId,
      clientId,
      secret,
      source: 'graph',
      authorityUrl: entra.url,
      graphUrl: server.baseUrl,
      partnerCenterUrl: server.baseUrl,
      currencies: [...new Set(Object.values(expect.customers).map((c) => c.currency))],
    });

    it('keeps the secret encrypted: not in the database in the clear, unreadable with another key', async () => {
      const vault = new CredentialVault(storeB.sync, KEY);
      await vault.save(credential({ kind: 'client-secret', value: SECRET }));
      const rows = await b.query<{ settings: string; secret: string }>('SELECT settings, secret FROM sync_credentials');
      assert.equal(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(SECRET), 'the secret is not stored in the clear');
      assert.equal((await vault.list())[0]!.secret.kind, 'client-secret');
      await assert.rejects(new CredentialVault(storeB.sync, crypto.randomBytes(32)).list(), /cannot be decrypted/);
      assert.throws(() => credentialsKey({ PARTNER_USAGE_CREDENTIALS_KEY: 'short' }), /32-byte key/);
      assert.equal(credentialsKey({ PARTNER_USAGE_CREDENTIALS_KEY: KEY.toString('base64') }).length, 32);
    });

    it('signs in with the client secret (client credentials) and syncs every stored partner', async () => {
      const results = await syncStoredPartners(storeB, KEY, {
        period: 'current',
        http: { sleep: () => Promise.resolve() },
      });
      assert.equal(results.length, 1);
      assert.deepEqual(
        results[0]!.results.filter((r) => r.error).map((r) => r.error!.message),
        [],
      );
      const form = entra.requests.at(-1)!;
      assert.equal(form.get('scope'), 'https://graph.microsoft.com/.default');
      assert.equal(form.get('client_secret'), SECRET);
      const stored = await b.query<{ n: number }>('SELECT count(*) AS n FROM customers');
      assert.equal(Number(stored[0]!.n), Object.keys(expect.customers).length);
    });

    it('signs in with a certificate (a signed client assertion), and a wrong secret is a clear auth failure', async () => {
      const vault = new CredentialVault(storeB.sync, KEY);
      await vault.save(
        credential({ kind: 'certificate', privateKeyPem: certificate.private, certificatePem: certificate.cert }),
      );
      const ok = await syncStoredPartners(storeB, KEY, { period: 'current' });
      assert.ok(
        ok[0]!.results.every((r) => r.status === 'unchanged'),
        JSON.stringify(ok[0]!.results.map((r) => r.status)),
      );
      assert.equal(
        entra.requests.at(-1)!.get('client_assertion_type'),
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );

      await vault.save(credential({ kind: 'client-secret', value: 'wrong' }));
      const refused = await syncStoredPartners(storeB, KEY, { period: 'current' });
      const error = refused[0]!.results[0]!.error!;
      assert.equal(error.kind, 'auth');
      assert.match(error.message, /invalid_client: AADSTS7000215/);
    });

    it("serve's schedule runs the sync on its cron expression", async () => {
      assert.throws(() => validateCronExpression('every day'), /not a cron expression/);
      // Every known currency: the new customer's may be one the partner had none in.
      await new CredentialVault(storeB.sync, KEY).save({
        ...credential({ kind: 'client-secret', value: SECRET }),
        currencies: undefined,
      } as unknown as SyncCredential);
      await importFile(
        server.store,
        generate(dir, 'more.csv', {
          rows: 50,
          customers: 1,
          period: currentBillingPeriod(),
          seed: 99,
          partner: expect.partnerId,
        }).file,
      );
      const logged: string[] = [];
      const schedule = startSyncSchedule(storeB, KEY, '* * * * * *', {
        info: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`),
        error: (o, m) => logged.push(`${m} ${String((o as { err: Error }).err)}`),
      });
      try {
        assert.ok(schedule.next instanceof Date);
        for (let i = 0; i < 100 && !logged.some((l) => l.includes('"imported":["')); i++)
          await new Promise((r) => setTimeout(r, 100));
      } finally {
        schedule.stop();
      }
      const run = logged.find((l) => l.includes('"imported":["'));
      assert.ok(run, logged.join('\n'));
      assert.match(run, /"imported":\["[A-Z]{3}"/, "the new customer's currency was imported");
      const stored = await b.query<{ n: number }>('SELECT count(*) AS n FROM customers');
      assert.equal(Number(stored[0]!.n), Object.keys(expect.customers).length + 1);
    });
  });
}
