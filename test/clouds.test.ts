/**
 * National clouds (issue #32): the SDK, `sync`, stored credentials and token validation know the
 * US Government and 21Vianet endpoints and audiences — against a server started with that cloud
 * and a stand-in for Entra ID on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CLOUDS, cloudNamed } from '../src/contract/clouds.js';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { importFile } from '../src/ingest/importer.js';
import { clientCredentialsCredential, PartnerCenter, PARTNER_CENTER_CHINA_URL } from '../src/sdk/index.js';
import { CredentialVault } from '../src/sync/credential-vault.js';
import { cli } from './helpers/cli-in-process.js';
import { testDatabase } from './helpers/backends.js';
import { generate, tempDir, type Expected } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const KEY = crypto.randomBytes(32);

describe('national clouds: --cloud global|usgov|china', () => {
  it('names each cloud’s Partner Center, Graph and Entra ID, and refuses an unknown one', () => {
    assert.equal(CLOUDS.china.partnerCenter, 'https://partner.partnercenterapi.microsoftonline.cn');
    assert.equal(PARTNER_CENTER_CHINA_URL, CLOUDS.china.partnerCenter);
    assert.equal(CLOUDS.usgov.graph, 'https://graph.microsoft.us');
    assert.equal(CLOUDS.usgov.authority, 'https://login.microsoftonline.us');
    assert.equal(CLOUDS.china.authority, 'https://login.chinacloudapi.cn');
    assert.equal(cloudNamed('USGov').name, 'usgov');
    assert.equal(cloudNamed(undefined).name, 'global');
    assert.throws(() => cloudNamed('germany'), /global, usgov, china/);
  });

  it('the SDK calls the cloud’s Partner Center, and asks the cloud’s Entra ID for its scope', async () => {
    const urls: string[] = [];
    const spy: typeof fetch = (input) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return Promise.resolve(Response.json({ totalCount: 0, items: [], attributes: { objectType: 'Collection' } }));
    };
    for (const cloud of ['china', 'usgov'] as const) {
      await new PartnerCenter({ cloud, credential: 't', fetch: spy }).customers.usageRecords.get();
    }
    assert.deepEqual(urls, [
      'https://partner.partnercenterapi.microsoftonline.cn/v1/customers/usagerecords',
      'https://api.partnercenter.microsoft.com/v1/customers/usagerecords',
    ]);
    assert.throws(
      () => new PartnerCenter({ cloud: 'mars' as 'china', credential: 't' }),
      /cloud must be global, usgov, china/,
    );

    const seen: { authority: string; scopes: string[] }[] = [];
    class ConfidentialClientApplication {
      constructor(private readonly config: { auth: { authority: string } }) {}
      acquireTokenByClientCredential(request: { scopes: string[] }) {
        seen.push({ authority: this.config.auth.authority, scopes: request.scopes });
        return Promise.resolve({ accessToken: 'x', expiresOn: new Date(Date.now() + 3_600_000) });
      }
      acquireTokenByRefreshToken() {
        return Promise.resolve(null);
      }
    }
    const msal = { ConfidentialClientApplication };
    await clientCredentialsCredential({ tenantId: 't1', clientId: 'c', clientSecret: 's', cloud: 'china', msal })();
    await clientCredentialsCredential({ tenantId: 't1', clientId: 'c', clientSecret: 's', cloud: 'usgov', msal })();
    assert.deepEqual(seen, [
      {
        authority: 'https://login.chinacloudapi.cn/t1',
        scopes: ['https://partner.partnercenterapi.microsoftonline.cn/.default'],
      },
      {
        authority: 'https://login.microsoftonline.us/t1',
        scopes: ['https://api.partnercenter.microsoft.com/.default'],
      },
    ]);
  });

  describe('a server started with --cloud', () => {
    const dir = tempDir();
    let server: TestServer;
    let expect: Expected;
    let entra: http.Server;
    let entraUrl: string;
    const scopes: string[] = [];

    before(async () => {
      let file: string;
      ({ file, expect } = generate(dir, 'a.csv', { rows: 200, customers: 2, period: currentBillingPeriod(), seed: 3 }));
      server = await startTestServer(await testDatabase('sqlite', dir, 'usgov'), { cloud: CLOUDS.usgov }, undefined, {
        settings: { runningPolls: 0 },
      });
      await importFile(server.store, file);
      // Entra ID's token endpoint: records the scope asked for, answers a Graph token of the US Government cloud.
      entra = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          scopes.push(new URLSearchParams(body).get('scope') ?? '');
          void server.token({ tenant: expect.partnerId, graph: true, cloud: 'usgov' }).then((token) => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: token }));
          });
        });
      });
      await new Promise<void>((resolve) => entra.listen(0, '127.0.0.1', resolve));
      entraUrl = `http://127.0.0.1:${(entra.address() as { port: number }).port}`;
    });
    after(async () => {
      await new Promise((resolve) => entra.close(resolve));
      await server.close();
    });

    it('accepts tokens for its cloud’s audience and refuses the global one’s', async () => {
      const call = async (token: string) =>
        (await fetch(`${server.baseUrl}/v1/customers/usagerecords`, { headers: { authorization: `Bearer ${token}` } }))
          .status;
      assert.equal(await call(await server.token({ tenant: expect.partnerId, cloud: 'usgov' })), 200);
      const china = await call(await server.token({ tenant: expect.partnerId, cloud: 'china' }));
      assert.equal(china, 401, 'a 21Vianet token is not for this server');
      // The US Government cloud shares Partner Center's global API, and so its audience.
      assert.equal(await call(await server.token({ tenant: expect.partnerId })), 200);
      await assert.rejects(
        server.auth.graphVerifier.verify(`Bearer ${await server.token({ tenant: expect.partnerId, graph: true })}`),
        /audience|aud/,
      );
    });

    it('credentials add --cloud usgov stores the cloud’s endpoints; sync asks its Entra ID for its Graph scope', async () => {
      const db = await testDatabase('sqlite', dir, 'copy');
      const env = { PARTNER_USAGE_CREDENTIALS_KEY: KEY.toString('base64') };
      const defaults = await cli(
        ['credentials', 'add', '--tenant', expect.partnerId, '--client-id', crypto.randomUUID(), '--cloud', 'usgov'],
        { ...env, PARTNER_USAGE_CLIENT_SECRET: 's', PARTNER_USAGE_DB: db.location },
      );
      assert.equal(defaults.status, 0, defaults.stderr);
      const store = await db.open();
      try {
        const [stored] = await new CredentialVault(store.sync, KEY).list();
        assert.equal(stored!.cloud, 'usgov');
        assert.equal(stored!.authorityUrl, 'https://login.microsoftonline.us');
        assert.equal(stored!.graphUrl, 'https://graph.microsoft.us');
        assert.equal(stored!.partnerCenterUrl, 'https://api.partnercenter.microsoft.com');
      } finally {
        await store.close();
      }
      // The same partner, pointed at this machine's Entra ID and Graph: the scope is the cloud's.
      const added = await cli(
        [
          'credentials',
          'add',
          '--tenant',
          expect.partnerId,
          '--client-id',
          crypto.randomUUID(),
          '--cloud',
          'usgov',
          '--authority-url',
          entraUrl,
          '--graph-url',
          server.baseUrl,
          '--currency',
          [...new Set(Object.values(expect.customers).map((c) => c.currency))].join(','),
        ],
        { ...env, PARTNER_USAGE_CLIENT_SECRET: 's', PARTNER_USAGE_DB: db.location },
      );
      assert.equal(added.status, 0, added.stderr);
      const synced = await cli(['sync', '--json', '--db', db.location], env);
      assert.equal(synced.status, 0, synced.stderr);
      assert.deepEqual([...new Set(scopes)], ['https://graph.microsoft.us/.default']);
      const customers = await db.query<{ n: number }>('SELECT count(*) AS n FROM customers');
      assert.equal(Number(customers[0]!.n), Object.keys(expect.customers).length);
    });

    it('an unknown --cloud is a usage mistake, for serve, sync and token alike; --cloud without --token too', async () => {
      for (const args of [
        ['serve', '--cloud', 'germany', '--in-memory', '--port', '0'],
        ['sync', '--cloud', 'germany', '--token', 'x'],
        ['token', '--tenant', expect.partnerId, '--cloud', 'germany'],
      ]) {
        const res = await cli(args);
        assert.equal(res.status, 2, `${args[0]}: ${res.stderr}`);
        assert.match(res.stderr, /--cloud: the cloud must be global, usgov, china/);
      }
      // Without --token, sync reads stored credentials, which carry their own cloud: --cloud would be ignored.
      const stored = await cli(['sync', '--cloud', 'china'], { PARTNER_USAGE_CREDENTIALS_KEY: KEY.toString('base64') });
      assert.equal(stored.status, 2);
      assert.match(stored.stderr, /--cloud is for --token/);
    });
  });
});
