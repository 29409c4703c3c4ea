import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessOf, grantedOf, permits, roleFor, roleOf, ROLES } from '../src/contract/access.js';
import { accessGrantProblem, describeGrant, grantJson, scopeFields } from '../src/domain/access-grant.js';

// The role rule alone (issue #30); test/roles.test.ts drives it through every route of the server.

describe('roleOf', () => {
  it('takes the highest role named, by app role or by name; none without one', () => {
    assert.equal(roleOf([]), undefined);
    assert.equal(roleOf(['Other.Role', 'user_impersonation']), undefined);
    assert.equal(roleOf(['PartnerUsage.Viewer']), 'viewer');
    assert.equal(roleOf(['PartnerUsage.Analyst']), 'analyst');
    assert.equal(roleOf(['PartnerUsage.Admin']), 'admin');
    assert.equal(roleOf(['PartnerUsage.Admin', 'PartnerUsage.Viewer']), 'admin');
    assert.equal(roleOf(['PartnerUsage.Viewer', 'PartnerUsage.Analyst']), 'analyst');
    assert.equal(roleOf(['viewer', 'admin']), 'admin', 'mapped groups give role names');
    assert.equal(roleOf(['partnerusage.admin']), undefined, 'app role values are exact');
  });
});

describe('accessOf', () => {
  it('a GET reads, a GET answering a file exports, any other method changes; the table may say otherwise', () => {
    assert.equal(accessOf({ method: 'GET' }), 'read');
    assert.equal(accessOf({ method: 'GET', download: true }), 'export');
    assert.equal(accessOf({ method: 'GET', download: false }), 'read');
    for (const method of ['POST', 'PATCH', 'DELETE']) assert.equal(accessOf({ method }), 'change');
    assert.equal(accessOf({ method: 'POST', access: 'ingest' }), 'ingest');
    assert.equal(accessOf({ method: 'GET', download: true, access: 'read' }), 'read');
  });
});

describe('permits and roleFor', () => {
  it('viewers read, analysts also export, admins also change; no role and ingestion are not the roles’ to refuse', () => {
    const table = {
      viewer: { read: true, export: false, change: false, ingest: true },
      analyst: { read: true, export: true, change: false, ingest: true },
      admin: { read: true, export: true, change: true, ingest: true },
    } as const;
    for (const role of ROLES)
      for (const [access, allowed] of Object.entries(table[role]))
        assert.equal(permits(role, access as keyof (typeof table)['admin']), allowed, `${role} ${access}`);
    for (const access of ['read', 'export', 'change', 'ingest'] as const)
      assert.equal(permits(undefined, access), true);
  });

  it('names the least role that may', () => {
    assert.equal(roleFor('change'), 'admin');
    assert.equal(roleFor('export'), 'analyst');
    assert.equal(roleFor('read'), 'viewer');
    assert.equal(roleFor('ingest'), 'viewer');
  });
});

describe('grantedOf', () => {
  it('a grantee gets reads and exports from its view, no change, unless the table says otherwise', () => {
    assert.equal(grantedOf({ method: 'GET' }), 'view');
    assert.equal(grantedOf({ method: 'GET', download: true }), 'view');
    for (const method of ['POST', 'PATCH', 'DELETE']) assert.equal(grantedOf({ method }), 'none');
    assert.equal(grantedOf({ method: 'POST', access: 'ingest' }), 'none');
    assert.equal(grantedOf({ method: 'GET', access: 'change' }), 'none', 'an admin-only read');
    assert.equal(grantedOf({ method: 'GET', granted: 'none' }), 'none');
    assert.equal(grantedOf({ method: 'PATCH', granted: 'own' }), 'own');
  });
});

describe('accessGrantProblem', () => {
  const tenant = 'c0c0c0c0-0000-4000-8000-000000000001';
  const customer = 'D3D3D3D3-EEEE-FFFF-AAAA-B4B4B4B4B4B4';
  it('takes a tenant with one customer (a GUID in any case) or one reseller (digits), as viewer or analyst', () => {
    assert.equal(accessGrantProblem({ tenantId: tenant, scope: 'customer', id: customer, role: 'viewer' }), undefined);
    assert.equal(
      accessGrantProblem({ tenantId: tenant, scope: 'reseller', id: '7654321', role: 'analyst' }),
      undefined,
    );
  });
  it('says what is wrong with any other', () => {
    const problem = (g: Partial<Parameters<typeof accessGrantProblem>[0]>) =>
      accessGrantProblem({ tenantId: tenant, scope: 'customer', id: customer, role: 'viewer', ...g });
    assert.equal(problem({ tenantId: 'contoso' }), 'names tenant "contoso": a tenant id (GUID)');
    assert.equal(problem({ tenantId: `${tenant}0` }), `names tenant "${tenant}0": a tenant id (GUID)`);
    assert.equal(problem({ id: '7654321' }), `names customer "7654321": a customer's tenant id (GUID)`);
    assert.equal(problem({ scope: 'reseller', id: customer }), `names reseller "${customer}": an MPN id (digits)`);
    assert.equal(problem({ scope: 'reseller', id: '12a' }), 'names reseller "12a": an MPN id (digits)');
    assert.equal(
      problem({ scope: 'reseller', id: '1234567890123' }),
      'names reseller "1234567890123": an MPN id (digits)',
    );
    assert.equal(problem({ scope: 'reseller', id: '1' }), undefined);
    assert.equal(problem({ scope: 'tenant' as 'customer' }), 'has no scope: a customer or a reseller');
    assert.equal(problem({ role: 'admin' as 'viewer' }), 'gives role "admin": viewer or analyst');
  });
  it('describes a grant for the audit log', () => {
    assert.equal(describeGrant({ scope: 'reseller', id: '7654321', role: 'analyst' }), 'reseller 7654321 (analyst)');
  });
  it('gives a grant as the API does: its scope as customer or reseller, the other null', () => {
    const at = '2026-12-07T00:00:00.000Z';
    assert.deepEqual(
      grantJson({ tenantId: tenant, scope: 'reseller', id: '7654321', role: 'analyst', createdAt: at }),
      {
        tenantId: tenant,
        customer: null,
        reseller: '7654321',
        role: 'analyst',
        createdAt: at,
      },
    );
    assert.deepEqual(scopeFields({ scope: 'customer', id: tenant }), { customer: tenant, reseller: null });
  });
});
