import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { accessOf, permits, ROLES, type Role } from '../src/contract/access.js';
import { operations, type Operation } from '../src/contract/operations.js';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { PARTNER_CENTER_AUDIENCE } from '../src/server/auth/token-settings.js';
import { TokenVerifier } from '../src/server/auth/token-verifier.js';
import { authSettingsFromEnv } from '../src/server/server-auth.js';
import { PartnerCenter } from '../src/sdk/partner-center.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { cli } from './helpers/cli-in-process.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

// Roles (issue #30): every operation of the table × every role, generated from the table, so that a
// new route is covered without a test of its own: a role that may not do what the operation does
// gets 403 with the fault body before anything else is looked at; one that may is never refused
// for its role (its answer may still be 400 or 404: the requests below name made-up things).

after(stopPostgres);

const ZERO_ID = '0'.repeat(32);
const PATH_VALUES: Record<string, string> = {
  'customer-tenant-id': SEED_CUSTOMERS.modernUk.id,
  'subscription-id': 'd3d3d3d3-0000-4000-8000-000000000001',
  'webhook-id': `ep_${ZERO_ID}`,
  'rule-id': `pr_${ZERO_ID}`,
  'delivery-id': `msg_${ZERO_ID}`,
  format: 'csv',
  file: 'focus.csv',
};

const urlOf = (o: Operation) => o.path.replace(/\{([^}]+)\}/g, (_, name: string) => PATH_VALUES[name] ?? 'x');

for (const backend of BACKENDS) {
  describe(`roles on ${backend}`, () => {
    let server: TestServer;
    const tokens = new Map<Role | 'none', string>();

    before(async () => {
      const db = await testDatabase(backend, tempDir(), 'roles');
      const store = await db.open();
      await loadDemoData(store);
      await store.close();
      server = await startTestServer(db);
      tokens.set('none', await server.token({ tenant: DEMO_PARTNER, user: 'pc@partner.example' }));
      for (const role of ROLES)
        tokens.set(role, await server.token({ tenant: DEMO_PARTNER, user: `${role}@partner.example`, role }));
    });
    after(() => server?.close());

    it('every operation × every role: 403 with the fault body exactly where the role may not', async () => {
      let refused = 0;
      for (const [id, o] of Object.entries(operations) as [string, Operation][]) {
        for (const [who, token] of tokens) {
          const role = who === 'none' ? undefined : who;
          const r = await fetch(server.baseUrl + urlOf(o), {
            method: o.method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(o.method === 'GET' ? {} : { 'content-type': 'application/json' }),
            },
            ...(o.method === 'GET' ? {} : { body: '{}' }),
          });
          const text = await r.text();
          const byRole = r.status === 403 && /role may not do this/.test(text);
          const allowed = permits(role, accessOf(o));
          assert.equal(byRole, !allowed, `${id} as ${who}: ${r.status} ${text.slice(0, 200)}`);
          if (!allowed) {
            refused++;
            const fault = JSON.parse(text) as { code: number; description: string; source: string };
            assert.equal(fault.code, 900150);
            assert.equal(fault.source, 'PartnerFD');
            assert.match(
              fault.description,
              new RegExp(`^The ${who} role may not do this: it needs the (admin|analyst) role\\.$`),
            );
          }
        }
      }
      // Viewers are refused every change and export, analysts every change, admins and role-less tokens nothing.
      const ops = Object.values(operations) as Operation[];
      const changes = ops.filter((o) => accessOf(o) === 'change').length;
      const exports = ops.filter((o) => accessOf(o) === 'export').length;
      assert.ok(changes >= 6 && exports >= 2, `${changes} changes, ${exports} exports`);
      assert.equal(refused, changes * 2 + exports);
    });

    it('GET /v1/partnerusage/me says who the caller is and what it may do; a change by an admin is audited with its user', async () => {
      const me = (token: string) =>
        new PartnerCenter({ baseUrl: server.baseUrl, credential: token, maxRetries: 0 }).partnerUsage.me();
      assert.deepEqual(await me(tokens.get('viewer')!), {
        tenantId: DEMO_PARTNER,
        partnerTenantId: DEMO_PARTNER,
        grant: null,
        user: 'viewer@partner.example',
        role: 'viewer',
        may: { read: true, export: false, change: false },
      });
      assert.deepEqual((await me(tokens.get('analyst')!)).may, { read: true, export: true, change: false });
      assert.deepEqual((await me(tokens.get('admin')!)).may, { read: true, export: true, change: true });
      assert.deepEqual(await me(tokens.get('none')!), {
        tenantId: DEMO_PARTNER,
        partnerTenantId: DEMO_PARTNER,
        grant: null,
        user: 'pc@partner.example',
        role: null,
        may: { read: true, export: true, change: true },
      });
      const budget = (token: string) =>
        fetch(`${server.baseUrl}/v1/customers/${SEED_CUSTOMERS.modernUk.id}/usagebudget`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 123.45 }),
        });
      assert.equal((await budget(tokens.get('analyst')!)).status, 403);
      assert.equal((await budget(tokens.get('admin')!)).status, 200);
      const audit = await server.store.alerts.audit(DEMO_PARTNER);
      assert.equal(audit[0]!.actor, 'admin@partner.example');
      assert.equal(audit[0]!.newValue, '123.45');
    });
  });
}

describe('where a role comes from', () => {
  it('the app roles, the highest of them; else the groups the setting maps; else none', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const tenant = '3a6b8f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ tid: tenant, scp: 'user_impersonation', idtyp: 'user', upn: 'u@x.example', ...claims })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(`https://issuer.test/${tenant}/`)
        .setAudience(PARTNER_CENTER_AUDIENCE)
        .setExpirationTime('1h')
        .sign(privateKey);
    const groups = authSettingsFromEnv({
      PARTNER_USAGE_ROLE_GROUPS:
        'AAAA0000-0000-4000-8000-000000000001=admin, aaaa0000-0000-4000-8000-000000000002=Viewer',
    }).roleGroups;
    const verifier = new TokenVerifier({
      keys: publicKey,
      issuers: ['https://issuer.test/{tid}/'],
      roleGroups: groups!,
    });
    const role = async (claims: Record<string, unknown>) =>
      (await verifier.verify(`Bearer ${await sign(claims)}`)).role;
    assert.equal(await role({}), undefined);
    assert.equal(await role({ roles: ['PartnerUsage.Viewer'] }), 'viewer');
    assert.equal(await role({ roles: ['PartnerUsage.Viewer', 'PartnerUsage.Admin', 'Other.Role'] }), 'admin');
    assert.equal(await role({ roles: ['Other.Role'] }), undefined);
    assert.equal(await role({ groups: ['aaaa0000-0000-4000-8000-000000000002'] }), 'viewer');
    assert.equal(await role({ groups: ['aaaa0000-0000-4000-8000-000000000001', 'x'] }), 'admin');
    assert.equal(await role({ groups: ['bbbb0000-0000-4000-8000-000000000001'] }), undefined);
    assert.throws(
      () => authSettingsFromEnv({ PARTNER_USAGE_ROLE_GROUPS: 'aaaa=owner' }),
      /PARTNER_USAGE_ROLE_GROUPS: 'aaaa=owner' is not <group id>=admin\|analyst\|viewer/,
    );
  });

  it('partner-usage token --role gives a token of that role; a wrong one is refused', async () => {
    const dir = tempDir();
    const db = `${dir}/t.db`;
    const ok = await cli(['token', '--tenant', DEMO_PARTNER, '--role', 'analyst', '--db', db]);
    assert.equal(ok.status, 0, ok.stderr);
    const payload = JSON.parse(Buffer.from(ok.stdout.trim().split('.')[1]!, 'base64url').toString()) as {
      roles: string[];
    };
    assert.deepEqual(payload.roles, ['PartnerUsage.Analyst']);
    const bad = await cli(['token', '--tenant', DEMO_PARTNER, '--role', 'owner', '--db', db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--role must be admin, analyst or viewer, got "owner"/);
  });
});
