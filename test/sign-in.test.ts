import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { DEMO_GRANTEES, DEMO_PARTNER, DEMO_RESELLER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { createServer } from '../src/server/create-server.js';
import { authSettingsFromEnv, createServerAuth } from '../src/server/server-auth.js';
import type { Store } from '../src/storage/store.js';
import { openStore } from '../src/storage/open-store.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { launchChromium } from './helpers/browser.js';
import { REPO, tempDir } from './helpers/fixtures.js';
import { startOidcProvider, type TestOidcProvider } from './helpers/oidc-provider.js';
import { stopPostgres } from './helpers/postgres.js';

// Signing in to the dashboard with OpenID Connect (issue #30): a real provider (oidc-provider) in
// this process, the authorization code flow with PKCE in Chromium, the access token verified by the
// server through the provider's discovery document and keys — as with Entra ID. No mocked OIDC.

after(stopPostgres);

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

// PARTNER_USAGE_SCREENSHOTS=1: the README's pictures of a customer's and a reseller's screens.
const shoot = (backend: string, page: Page, name: string) =>
  process.env.PARTNER_USAGE_SCREENSHOTS === '1' && backend === 'sqlite'
    ? page.screenshot({ path: path.join(REPO, 'docs/screenshots', name), fullPage: true })
    : undefined;

declare const sessionStorage: { getItem(key: string): string | null };

for (const backend of BACKENDS) {
  describe(`signing in with an OpenID provider, on ${backend}`, () => {
    let idp: TestOidcProvider;
    let store: Store;
    let base: string;
    let close: () => Promise<void>;
    let browser: Browser;
    // What depends on the page and the provider alone (expiry, a forged return) runs on the first backend only.
    const pageOnly = backend === BACKENDS[0];

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      idp = await startOidcProvider({
        redirectUri: `${base}/signed-in`,
        users: {
          'ana@partner.example': { tenant: DEMO_PARTNER, role: 'admin' },
          'victor@partner.example': { tenant: DEMO_PARTNER, role: 'viewer' },
          'brief@partner.example': { tenant: DEMO_PARTNER, role: 'analyst', tokenSeconds: 6 },
          // Users of a customer's and of a reseller's own tenants: access grants, no app role.
          'cleo@modern-uk.example': { tenant: DEMO_GRANTEES.customer },
          'rita@reseller.example': { tenant: DEMO_GRANTEES.reseller },
        },
      });
      const db = await testDatabase(backend, tempDir(), 'sign-in');
      store = await openStore(db.location, alertEngine);
      await loadDemoData(store);
      const auth = await createServerAuth(
        store,
        authSettingsFromEnv({
          PARTNER_USAGE_OIDC_DISCOVERY: idp.discoveryUrl,
          PARTNER_USAGE_OIDC_CLIENT_ID: idp.clientId,
          PARTNER_USAGE_OIDC_SCOPE: 'user_impersonation',
          PARTNER_USAGE_OIDC_PROVIDER_NAME: 'Contoso ID',
        }),
      );
      assert.equal(auth.mode, 'oidc');
      const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens, signIn: auth.signIn });
      await app.listen({ host: '127.0.0.1', port });
      close = async () => {
        await app.close();
        await store.close();
        await idp.close();
      };
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await close?.();
    });

    /** Signs `user` in through the provider's own login and consent pages, from the dashboard's button. */
    async function signIn(user: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await page.getByRole('button', { name: 'Sign in with Contoso ID' }).click();
      await page.waitForURL((url) => url.origin === idp.issuer);
      await page.locator('input[name="login"]').fill(user);
      await page.locator('input[name="password"]').fill('any password');
      await page.locator('button[type="submit"]').click();
      // The provider's consent page: the user lets the dashboard act for it.
      await page.getByRole('heading', { name: 'Authorize' }).waitFor();
      await page.getByRole('button', { name: 'Continue' }).click();
      return page;
    }

    it('signs an admin in with the code flow and PKCE: no code or token left in the URL, the token in session storage only', async () => {
      const page = await signIn('ana@partner.example');
      await page.getByRole('table', { name: 'Customers' }).locator('tbody tr').first().waitFor();
      await page.getByText('ana@partner.example · admin').waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      assert.doesNotMatch(page.url(), /code=|state=|token/);
      const token = await page.evaluate(() => sessionStorage.getItem('partner-usage.token'));
      const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.iss, idp.issuer, "the provider's token, verified by the server through discovery");
      assert.equal(claims.tid, DEMO_PARTNER);
      assert.deepEqual(claims.roles, ['PartnerUsage.Admin']);
      assert.equal(await page.getByRole('button', { name: 'Download CSV' }).count(), 1);
      // The page may reach the provider's token endpoint, nothing else outside.
      const csp = (await (await fetch(`${base}/`)).headers.get('content-security-policy'))!;
      assert.match(csp, new RegExp(`connect-src 'self' ${idp.issuer.replace(/[.:/]/g, '\\$&')};`));
      await page.context().close();
    });

    it('a viewer signs in and sees no exports; the API refuses it a change, naming the role', async () => {
      const page = await signIn('victor@partner.example');
      await page.getByText('victor@partner.example · viewer').waitFor();
      await page.getByRole('table', { name: 'Customers' }).locator('tbody tr').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Download CSV' }).count(), 0);
      const token = (await page.evaluate(() => sessionStorage.getItem('partner-usage.token')))!;
      const r = await fetch(`${base}/v1/partnerusage/pricerules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ basis: 'cost' }),
      });
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { description: string }).description, /The viewer role may not do this/);
      await page.context().close();
    });

    it("a customer's user signs in with its own tenant and sees its own page at its prices: no margins, no alerts, no other customer", async () => {
      const page = await signIn('cleo@modern-uk.example');
      await page.getByText('cleo@modern-uk.example · viewer · your prices').waitFor();
      await page.getByRole('heading', { name: SEED_CUSTOMERS.modernUk.name }).waitFor();
      const token = (await page.evaluate(() => sessionStorage.getItem('partner-usage.token')))!;
      const summary = async (bearer: string) =>
        (await (
          await fetch(`${base}/v1/customers/${SEED_CUSTOMERS.modernUk.id}/usagesummary`, {
            headers: { authorization: `Bearer ${bearer}` },
          })
        ).json()) as { totalCost: number };
      // Its figure is its price (the demo's cost + 12 %), not the partner's cost.
      const spend = await page.locator('[data-figure="total"]').textContent();
      const price = (await summary(token)).totalCost;
      assert.ok(spend!.replace(/[^\d]/g, '').startsWith(String(Math.floor(price))), `${spend} shows ${price}`);
      for (const hidden of ['Margins', 'Alerts'])
        assert.equal(
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: hidden }).count(),
          0,
        );
      assert.equal(await page.getByRole('heading', { name: 'Cost, price and margin' }).count(), 0);
      await page.locator('[data-figure="total"]').waitFor();
      await shoot(backend, page, 'customer-own.png');
      await page.goto(`${base}/margins`);
      await page.getByRole('alert').filter({ hasText: 'This page is your partner’s own.' }).waitFor();
      await page.context().close();
    });

    it("a reseller's user sees its customers only, at prices, and may set their budgets", async () => {
      const page = await signIn('rita@reseller.example');
      await page.getByText(`rita@reseller.example · analyst · reseller ${DEMO_RESELLER}, at prices`).waitFor();
      const table = page.getByRole('table', { name: 'Customers' });
      await table.locator('tbody tr').first().waitFor();
      const token = (await page.evaluate(() => sessionStorage.getItem('partner-usage.token')))!;
      const view = (await (
        await fetch(`${base}/v1/partnerusage/customers?size=1`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { totalCount: number };
      const all = await store.customerCount(DEMO_PARTNER);
      assert.ok(view.totalCount > 10 && view.totalCount < all / 2, `${view.totalCount} of ${all}`);
      assert.equal(await page.locator('[data-count="customers"]').textContent(), String(view.totalCount));
      assert.equal(await table.getByText(SEED_CUSTOMERS.modernUk.name).count(), 0, 'a direct customer');
      for (const column of ['Price', 'Margin', 'Margin %'])
        assert.equal(await table.getByRole('columnheader', { name: column, exact: true }).count(), 0, column);
      // An analyst's grant: its customers' budgets may be set (the row checkboxes).
      assert.ok((await table.getByRole('checkbox').count()) > 0);
      await shoot(backend, page, 'reseller.png');
      await page.context().close();
    });

    if (pageOnly)
      it('says "signed out" when the token expires, and signs in again', async () => {
        const page = await signIn('brief@partner.example');
        await page.getByText('brief@partner.example · analyst').waitFor();
        await page
          .getByRole('alert')
          .filter({ hasText: 'Your session has expired: sign in again.' })
          .waitFor({ timeout: 20_000 });
        assert.equal(await page.evaluate(() => sessionStorage.getItem('partner-usage.token')), null);
        await page.getByRole('button', { name: 'Sign in with Contoso ID' }).waitFor();
        await page.context().close();
      });

    if (pageOnly)
      it('refuses a return from the provider that this tab did not start, saying so', async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${base}/signed-in?code=forged&state=forged`);
        await page.getByRole('alert').filter({ hasText: 'No sign-in was started in this tab' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/');
        await context.close();
      });
  });
}

describe('the sign-in settings', () => {
  it("name Entra ID's provider Microsoft, another by its host or its setting, and default to Partner Center's delegated scope", async () => {
    // Discovery documents as Entra ID and another provider publish them, served here.
    const documents: Record<string, object> = {
      '/entra': {
        issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
        jwks_uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        authorization_endpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
        token_endpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
      },
      '/other': {
        issuer: 'https://id.contoso.example',
        jwks_uri: 'https://id.contoso.example/jwks',
        authorization_endpoint: 'https://id.contoso.example/authorize',
        token_endpoint: 'https://id.contoso.example/token',
      },
      '/no-endpoints': { issuer: 'https://id.contoso.example', jwks_uri: 'https://id.contoso.example/jwks' },
    };
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(documents[req.url ?? ''] ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const store = await openStore(`${tempDir()}/settings.db`, alertEngine);
    try {
      const signIn = async (env: Record<string, string>) =>
        (await createServerAuth(store, authSettingsFromEnv(env))).signIn;
      const client = ' 11111111-2222-4333-8444-555555555555 ';
      assert.deepEqual(
        await signIn({ PARTNER_USAGE_OIDC_DISCOVERY: `${base}/entra`, PARTNER_USAGE_OIDC_CLIENT_ID: client }),
        {
          providerName: 'Microsoft',
          issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
          authorizationEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
          tokenEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
          clientId: '11111111-2222-4333-8444-555555555555',
          scope: 'https://api.partnercenter.microsoft.com/user_impersonation',
        },
      );
      const other = await signIn({ PARTNER_USAGE_OIDC_DISCOVERY: `${base}/other`, PARTNER_USAGE_OIDC_CLIENT_ID: 'c' });
      assert.equal(other?.providerName, 'id.contoso.example');
      const named = await signIn({
        PARTNER_USAGE_OIDC_DISCOVERY: `${base}/other`,
        PARTNER_USAGE_OIDC_CLIENT_ID: 'c',
        PARTNER_USAGE_OIDC_PROVIDER_NAME: 'Contoso ID',
        PARTNER_USAGE_OIDC_SCOPE: 'openid api://c/user_impersonation',
      });
      assert.deepEqual([named?.providerName, named?.scope], ['Contoso ID', 'openid api://c/user_impersonation']);
      // Without a client id the dashboard offers no provider (tokens are still verified through discovery).
      assert.equal(await signIn({ PARTNER_USAGE_OIDC_DISCOVERY: `${base}/other` }), undefined);
      await assert.rejects(
        signIn({ PARTNER_USAGE_OIDC_DISCOVERY: `${base}/no-endpoints`, PARTNER_USAGE_OIDC_CLIENT_ID: 'c' }),
        /the discovery document has no authorization or token endpoint/,
      );
    } finally {
      await store.close();
      server.close();
    }
  });
});
