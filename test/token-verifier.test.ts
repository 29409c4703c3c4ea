import assert from 'node:assert/strict';
import { afterEach, before, describe, it, mock } from 'node:test';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../src/contract/api-errors.js';
import { authorizeAppUser } from '../src/server/auth/authorize.js';
import { PARTNER_CENTER_AUDIENCE } from '../src/server/auth/token-settings.js';
import { discoverJwks, TokenVerifier } from '../src/server/auth/token-verifier.js';
import type { FastifyRequest } from 'fastify';

const TENANT = '3a6b8f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const ISSUER = 'https://issuer.test/{tid}/';

let privateKey: CryptoKey;
let publicKey: CryptoKey;

before(async () => {
  ({ privateKey, publicKey } = await generateKeyPair('RS256'));
});
afterEach(() => mock.timers.reset());

/** A token signed with the test key: delegated claims unless `claims` say otherwise. */
async function token(
  claims: Record<string, unknown> = {},
  options: { expiresIn?: number; alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    tid: TENANT,
    iss: ISSUER.replace('{tid}', TENANT),
    aud: PARTNER_CENTER_AUDIENCE,
    scp: 'user_impersonation',
    idtyp: 'user',
    upn: 'admin@contoso.example',
    iat: now,
    nbf: now,
    exp: now + (options.expiresIn ?? 3600),
    ...claims,
  })
    .setProtectedHeader({ alg: options.alg ?? 'RS256' })
    .sign(privateKey);
}

const verifier = (extra: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}) =>
  new TokenVerifier({ keys: publicKey, issuers: [ISSUER], ...extra });

/** The description of the 401 a header gets. */
async function refusal(v: TokenVerifier, header: string | undefined): Promise<string> {
  try {
    await v.verify(header);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 401);
    assert.match(error.headers['WWW-Authenticate']!, /^Bearer realm=/);
    return error.message;
  }
  assert.fail(`${header} was accepted`);
}

describe('token verifier: who is calling', () => {
  it('takes a delegated token (scp user_impersonation) as App+User, with its user and lower-case tenant', async () => {
    const caller = await verifier().verify(
      `Bearer ${await token({ tid: TENANT.toUpperCase(), iss: ISSUER.replace('{tid}', TENANT) })}`,
    );
    assert.deepEqual(caller, {
      partnerTenantId: TENANT,
      appOnly: false,
      user: 'admin@contoso.example',
      canIngest: false,
      canReadBilling: false,
      role: undefined,
    });
  });

  it('grants sending line items only with the PartnerUsage.Ingest role (app) or scope (user)', async () => {
    const v = verifier();
    const role = await v.verify(
      `Bearer ${await token({ scp: undefined, roles: ['Partner.Read.All', 'PartnerUsage.Ingest'], idtyp: 'app' })}`,
    );
    assert.equal(role.canIngest, true);
    const scope = await v.verify(`Bearer ${await token({ scp: 'user_impersonation PartnerUsage.Ingest' })}`);
    assert.equal(scope.canIngest, true);
    const reader = await v.verify(`Bearer ${await token({ scp: undefined, roles: ['Partner.Read.All'] })}`);
    assert.equal(reader.canIngest, false);
  });

  it("grants Graph's billing exports only with PartnerBilling.Read.All (role or scope)", async () => {
    const v = verifier();
    const role = await v.verify(
      `Bearer ${await token({ scp: undefined, roles: ['PartnerBilling.Read.All'], idtyp: 'app' })}`,
    );
    assert.equal(role.canReadBilling, true);
    const scope = await v.verify(`Bearer ${await token({ scp: 'user_impersonation PartnerBilling.Read.All' })}`);
    assert.equal(scope.canReadBilling, true);
    const ingest = await v.verify(`Bearer ${await token({ scp: undefined, roles: ['PartnerUsage.Ingest'] })}`);
    assert.equal(ingest.canReadBilling, false);
  });

  it('takes a token with roles and no scope as app-only, whatever its idtyp', async () => {
    const v = verifier();
    const app = await v.verify(
      `Bearer ${await token({ scp: undefined, roles: ['Partner.Read.All'], idtyp: undefined })}`,
    );
    assert.equal(app.appOnly, true);
    const appTyped = await v.verify(`Bearer ${await token({ scp: undefined, roles: ['x'], idtyp: 'user' })}`);
    assert.equal(appTyped.appOnly, true);
  });

  it('takes idtyp app as app-only even with a scope, and a scope list holding user_impersonation as delegated', async () => {
    const v = verifier();
    assert.equal((await v.verify(`Bearer ${await token({ idtyp: 'app' })}`)).appOnly, true);
    const listed = await v.verify(`Bearer ${await token({ scp: 'openid user_impersonation profile' })}`);
    assert.equal(listed.appOnly, false);
    const other = await v.verify(`Bearer ${await token({ scp: 'user_impersonation_x' })}`);
    assert.equal(other.appOnly, true, 'a scope that only begins with the name is not it');
  });

  it("reads partner-usage's role from the app roles (the highest), else from the mapped groups; none without either", async () => {
    const groups = new Map([
      ['aaaa0000-0000-4000-8000-000000000001', 'admin' as const],
      ['aaaa0000-0000-4000-8000-000000000002', 'viewer' as const],
    ]);
    const v = verifier({ roleGroups: groups });
    const role = async (claims: Record<string, unknown>) => (await v.verify(`Bearer ${await token(claims)}`)).role;
    assert.equal(await role({}), undefined);
    assert.equal(await role({ roles: ['PartnerUsage.Analyst'] }), 'analyst');
    assert.equal(await role({ roles: ['PartnerUsage.Viewer', 'PartnerUsage.Admin'] }), 'admin');
    assert.equal(
      await role({ roles: [42, null, 'PartnerUsage.Viewer'] }),
      'viewer',
      'entries that are not text are passed over',
    );
    assert.equal(await role({ roles: 'PartnerUsage.Admin' }), undefined, 'roles is a list');
    assert.equal(await role({ groups: ['AAAA0000-0000-4000-8000-000000000002'] }), 'viewer', 'group ids in any case');
    assert.equal(await role({ groups: [7, 'aaaa0000-0000-4000-8000-000000000001'] }), 'admin');
    assert.equal(await role({ groups: 'aaaa0000-0000-4000-8000-000000000001' }), undefined, 'groups is a list');
    assert.equal(await role({ groups: ['bbbb0000-0000-4000-8000-000000000001'] }), undefined);
    assert.equal(
      await role({ roles: ['PartnerUsage.Viewer'], groups: ['aaaa0000-0000-4000-8000-000000000001'] }),
      'admin',
    );
    assert.equal(
      (await verifier().verify(`Bearer ${await token({ groups: ['aaaa0000-0000-4000-8000-000000000001'] })}`)).role,
      undefined,
      'no mapping: groups give nothing',
    );
  });

  it('names the user from upn, else unique_name, else preferred_username', async () => {
    const v = verifier();
    const user = async (claims: Record<string, unknown>) => (await v.verify(`Bearer ${await token(claims)}`)).user;
    assert.equal(await user({ upn: undefined, unique_name: 'u@x', preferred_username: 'p@x' }), 'u@x');
    assert.equal(await user({ upn: undefined, preferred_username: 'p@x' }), 'p@x');
    assert.equal(await user({ upn: undefined }), undefined);
  });

  it('answers 403 on an App+User route for an app-only caller, and the caller otherwise', async () => {
    const v = verifier();
    const request = (t: string) => ({ headers: { authorization: `Bearer ${t}` } }) as FastifyRequest;
    const app = await token({ scp: undefined, roles: ['Partner.Read.All'] });
    await assert.rejects(
      authorizeAppUser(v, request(app)),
      (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === 900150,
    );
    assert.equal((await authorizeAppUser(v, request(await token()))).partnerTenantId, TENANT);
  });
});

describe('token verifier: what it refuses', () => {
  it('refuses a missing header with 800001, and a header that is not one Bearer token', async () => {
    const v = verifier();
    await assert.rejects(
      v.verify(undefined),
      (e: unknown) => e instanceof ApiError && e.code === 800001 && e.status === 401,
    );
    await assert.rejects(v.verify(''), (e: unknown) => e instanceof ApiError && e.code === 800001);
    const good = await token();
    for (const header of [`Basic ${good}`, `Bearer`, `Bearer ${good} extra`, `xBearer ${good}`]) {
      assert.match(await refusal(v, header), /not a Bearer token/, header);
    }
    assert.equal((await v.verify(`bearer   ${good}  `)).partnerTenantId, TENANT, 'the scheme is case-insensitive');
  });

  it('says why a token is refused: expiry, not yet valid, audience, signature, algorithm, form', async () => {
    const v = verifier();
    const now = Math.floor(Date.now() / 1000);
    assert.match(await refusal(v, `Bearer ${await token({ exp: now - 61 })}`), /the token has expired/);
    assert.match(await refusal(v, `Bearer ${await token({ nbf: now + 120 })}`), /not valid yet/);
    assert.match(
      await refusal(v, `Bearer ${await token({ aud: 'https://graph.microsoft.com' })}`),
      /not for this audience/,
    );
    const good = await token();
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
    assert.match(await refusal(v, `Bearer ${forged}`), /signature is not valid/);
    const { privateKey: hmacish } = await generateKeyPair('PS256');
    const ps = await new SignJWT({
      tid: TENANT,
      iss: ISSUER.replace('{tid}', TENANT),
      aud: PARTNER_CENTER_AUDIENCE,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'PS256' })
      .sign(hmacish);
    assert.match(await refusal(v, `Bearer ${ps}`), /algorithm is not accepted/);
    assert.match(await refusal(v, 'Bearer abc.def.ghi'), /the token is malformed/);
    assert.match(
      await refusal(v, `Bearer ${await token({ iss: undefined })}`),
      /claim iss is not valid|malformed|missing/,
    );
  });

  it('accepts a token 60 s past its expiry (clock skew) and not 61 s', async () => {
    const v = verifier();
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await v.verify(`Bearer ${await token({ exp: now - 50 })}`)).partnerTenantId, TENANT);
    assert.match(await refusal(v, `Bearer ${await token({ exp: now - 70 })}`), /expired/);
  });

  it('refuses an issuer off the list, a tid that is not a GUID, and a tenant not served', async () => {
    const v = verifier();
    assert.match(await refusal(v, `Bearer ${await token({ iss: 'https://evil.test/' })}`), /issuer is not accepted/);
    const otherTenant = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
    assert.match(
      await refusal(v, `Bearer ${await token({ tid: otherTenant })}`),
      /issuer is not accepted/,
      "the issuer must name the token's own tenant",
    );
    assert.match(
      await refusal(v, `Bearer ${await token({ tid: 'not-a-guid', iss: ISSUER.replace('{tid}', 'not-a-guid') })}`),
      /no tenant/,
    );
    assert.match(await refusal(v, `Bearer ${await token({ tid: 42 })}`), /no tenant/);
    const served = verifier({ allowedTenants: [otherTenant] });
    assert.match(await refusal(served, `Bearer ${await token()}`), /tenant is not served here/);
    const both = verifier({ allowedTenants: [otherTenant, TENANT], issuers: ['https://a.test/', ISSUER] });
    assert.equal((await both.verify(`Bearer ${await token()}`)).partnerTenantId, TENANT);
  });

  it('checks the audience it is given instead of Partner Center’s', async () => {
    const v = verifier({ audience: 'api://partner-usage' });
    assert.match(await refusal(v, `Bearer ${await token()}`), /not for this audience/);
    assert.equal((await v.verify(`Bearer ${await token({ aud: 'api://partner-usage' })}`)).appOnly, false);
  });
});

describe('token verifier: the verified-token cache', () => {
  it('verifies a repeated token once, through a key-set function too', async () => {
    let lookups = 0;
    const keys: JWTVerifyGetKey = async () => {
      lookups++;
      return publicKey;
    };
    const v = verifier({ keys });
    const t = await token();
    await v.verify(`Bearer ${t}`);
    await v.verify(`Bearer ${t}`);
    assert.equal(lookups, 1);
    const other = await token({ upn: 'b@x' });
    assert.equal((await v.verify(`Bearer ${other}`)).user, 'b@x');
    assert.equal(lookups, 2);
    // Every token verified is remembered, not only the last: clients taking turns verify once each.
    assert.equal((await v.verify(`Bearer ${t}`)).user, 'admin@contoso.example', 'the first token again, after another');
    assert.equal((await v.verify(`bearer  ${other} `)).user, 'b@x', 'the second, spelled otherwise');
    assert.equal(lookups, 2);
  });

  it('stops serving a remembered token once it expires (with the 60 s of skew)', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const v = verifier();
    const t = await token({}, { expiresIn: 120 });
    assert.equal((await v.verify(`Bearer ${t}`)).partnerTenantId, TENANT);
    mock.timers.tick(170_000); // past exp, within the skew: still good
    assert.equal((await v.verify(`Bearer ${t}`)).partnerTenantId, TENANT);
    mock.timers.tick(20_000); // 190 s: past exp + 60 s
    assert.match(await refusal(v, `Bearer ${t}`), /the token has expired/);
    assert.match(await refusal(v, `Bearer ${t}`), /the token has expired/, 'and it stays refused');
  });

  it('serves a remembered token without verifying it again until 60 s past its expiry, and not at that instant', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    mock.timers.enable({ apis: ['Date'], now: start });
    let lookups = 0;
    const keys: JWTVerifyGetKey = async () => {
      lookups++;
      return publicKey;
    };
    const v = verifier({ keys });
    const t = await token({}, { expiresIn: 120 });
    await v.verify(`Bearer ${t}`);
    mock.timers.tick(150_000); // 30 s past exp: within the skew
    await v.verify(`Bearer ${t}`);
    assert.equal(lookups, 1, 'served from the cache');
    mock.timers.tick(30_000); // exactly exp + 60 s
    assert.match(await refusal(v, `Bearer ${t}`), /expired/);
    assert.equal(lookups, 2, 'verified again, and refused');
  });
});

describe('token verifier: keys', () => {
  it('accepts ES256 as well as RS256', async () => {
    const ec = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const es = await new SignJWT({
      tid: TENANT,
      iss: ISSUER.replace('{tid}', TENANT),
      aud: PARTNER_CENTER_AUDIENCE,
      scp: 'user_impersonation',
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(ec.privateKey);
    assert.equal(
      (await new TokenVerifier({ keys: ec.publicKey, issuers: [ISSUER] }).verify(`Bearer ${es}`)).appOnly,
      false,
    );
  });

  it('says a token was signed by an unknown key when its kid is not in the key set', async () => {
    const other = await generateKeyPair('RS256');
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(other.publicKey)), kid: 'other', alg: 'RS256' }] });
    const v = verifier({ keys: jwks });
    const t = await new SignJWT({
      tid: TENANT,
      iss: ISSUER.replace('{tid}', TENANT),
      aud: PARTNER_CENTER_AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 60,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'mine' })
      .sign(privateKey);
    assert.match(await refusal(v, `Bearer ${t}`), /signed by an unknown key/);
  });

  it("finds an issuer's keys by OpenID Connect discovery, and says what is wrong with a bad document", async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const documents: Record<string, unknown> = {};
    const server = http.createServer((req, res) => {
      const body = documents[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(body === undefined ? '{}' : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      documents['/keys'] = { keys: [jwk] };
      documents['/good'] = {
        issuer: 'https://login.test/{tenantid}/v2.0',
        jwks_uri: `${base}/keys`,
        authorization_endpoint: 'https://login.test/authorize',
        token_endpoint: 'https://login.test/token',
      };
      documents['/no-keys'] = { issuer: 'https://login.test/' };
      documents['/no-issuer'] = { jwks_uri: `${base}/keys` };
      const found = await discoverJwks(`${base}/good`);
      assert.equal(found.issuer, 'https://login.test/{tenantid}/v2.0');
      assert.equal(found.authorizationEndpoint, 'https://login.test/authorize');
      assert.equal(found.tokenEndpoint, 'https://login.test/token');
      const v = new TokenVerifier({ keys: found.keys, issuers: [ISSUER] });
      const t = await new SignJWT({
        tid: TENANT,
        iss: ISSUER.replace('{tid}', TENANT),
        aud: PARTNER_CENTER_AUDIENCE,
        scp: 'user_impersonation',
        exp: Math.floor(Date.now() / 1000) + 60,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(privateKey);
      assert.equal((await v.verify(`Bearer ${t}`)).partnerTenantId, TENANT);
      await assert.rejects(
        discoverJwks(`${base}/missing`),
        new RegExp(`OIDC discovery at ${base}/missing answered 404`),
      );
      await assert.rejects(discoverJwks(`${base}/no-keys`), /has no jwks_uri or issuer/);
      await assert.rejects(discoverJwks(`${base}/no-issuer`), /has no jwks_uri or issuer/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
