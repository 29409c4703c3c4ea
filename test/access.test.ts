import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessOf, permits, roleFor, roleOf, ROLES } from '../src/contract/access.js';

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
