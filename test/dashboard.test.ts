import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PARTNER, loadDemoData, SEED_CUSTOMERS } from '../src/demo/demo-data.js';
import { DASHBOARD_DIR } from '../src/server/routes/dashboard.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { launchChromium } from './helpers/browser.js';
import { REPO, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { serveProcess } from './helpers/serve-process.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

// The few browser globals the page functions below use (this file is compiled without the DOM library).
interface Element {
  readonly textContent: string | null;
  readonly tagName: string;
  getAttribute(name: string): string | null;
  readonly labels?: readonly Element[] | null;
}
declare const document: {
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): { readonly length: number };
  readonly activeElement: Element | null;
};
declare const sessionStorage: { getItem(key: string): string | null };

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// README's screenshots, taken on SQLite when asked (`npm run screenshots`), so that a test run
// leaves the checkout as it was.
const SCREENSHOTS = path.join(REPO, 'docs/screenshots');
const SHOOT = process.env.PARTNER_USAGE_SCREENSHOTS === '1';

/** Serious or critical accessibility violations axe-core finds on the page as it is. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string }[] }> } }
    ).axe;
    return (await axe.run()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  });
  return violations.map((v) => v.id);
}

/** Every control a keyboard can reach on the page as drawn (visible, not disabled), as a page expression. */
const FOCUSABLE = `Array.from(document.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), summary')).filter((e) => (e.getClientRects().length > 0 || e.classList.contains('skip')) && !(e.tagName === 'SUMMARY' ? e.parentElement.parentElement : e.parentElement).closest('details:not([open])'))`;

/** Presses Tab from the top until every control has had the focus (or twice their number of presses); the controls never reached. */
async function unreachedByTab(page: Page): Promise<string[]> {
  const total = (await page.evaluate(`(${FOCUSABLE}).length`)) as number;
  const reached = new Set<number>();
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  for (let i = 0; i < total * 2 && reached.size < total; i++) {
    await page.keyboard.press('Tab');
    const at = (await page.evaluate(`(${FOCUSABLE}).indexOf(document.activeElement)`)) as number;
    if (at >= 0) reached.add(at); // −1: the focus left the page on its way round
  }
  const names = (await page.evaluate(
    `(${FOCUSABLE}).map((e) => e.tagName + ' ' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 30))`,
  )) as string[];
  return names.filter((_, i) => !reached.has(i));
}

/** The table's customer names, in order. */
const names = (page: Page) =>
  page.getByRole('table', { name: 'Customers' }).locator('tbody th[scope=row] a').allTextContents();
/** Runs `action` and waits for the customers view it asks for to be answered and drawn. */
async function viewAfter(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/v1/partnerusage/customers?') && r.status() === 200),
    action(),
  ]);
  await page.waitForTimeout(150);
}
/** A browser context whose pages start signed in with `token` (in session storage, as the sign-in screen leaves it). */
async function signedInContext(browser: Browser, token: string, options: Parameters<Browser['newContext']>[0]) {
  const context = await browser.newContext(options);
  await context.addInitScript((t) => {
    (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
      'partner-usage.token',
      t,
    );
  }, token);
  return context;
}
const count = async (page: Page, which: string) => Number(await page.locator(`[data-count="${which}"]`).textContent());

for (const backend of BACKENDS) {
  describe(`the dashboard in Chromium, on ${backend}`, () => {
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    let db: TestDatabase;
    // What depends on the page and the server's code alone, not on the database, runs once (the first backend):
    // keyboard and axe, phone and languages, headers, the development token of `serve`.
    const pageOnly = backend === BACKENDS[0];

    before(async () => {
      assert.ok(fs.existsSync(path.join(DASHBOARD_DIR, 'index.html')), 'the dashboard is built (npm run build)');
      db = await testDatabase(backend, tempDir(), 'dashboard');
      const store = await db.open();
      await loadDemoData(store);
      await store.close();
      server = await startTestServer(db);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    it('signs in with an access token kept in session storage, never in the URL', async () => {
      await page.goto(`${server.baseUrl}/`);
      const token = await server.token({ tenant: DEMO_PARTNER, user: 'ana@partner.example' });
      await page.getByLabel('Access token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('table', { name: 'Customers' }).waitFor();
      assert.ok(!page.url().includes(token));
      assert.equal(await page.evaluate(() => sessionStorage.getItem('partner-usage.token')), token);
    });

    it('sorts by % used (default) and by any column; searches; filters; pages', async () => {
      const table = page.getByRole('table', { name: 'Customers' });
      const first = await names(page);
      assert.equal(first.length, 50, 'a page of 50');
      assert.ok(
        ([SEED_CUSTOMERS.modernSe.name, SEED_CUSTOMERS.modernUk.name] as string[]).includes(first[0]!),
        'the customers over budget first (highest % used)',
      );
      await table.getByRole('button', { name: 'Name' }).click();
      await page.waitForURL(/sort=name/);
      await page.waitForFunction((before) => document.querySelector('tbody th a')?.textContent !== before, first[0]);
      const byName = await names(page);
      assert.deepEqual(
        byName,
        [...byName].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
      );

      await page.getByRole('searchbox', { name: 'Search customers' }).fill('modern azure');
      await page.waitForFunction(() => document.querySelectorAll('tbody th a').length === 2);
      assert.deepEqual((await names(page)).sort(), [SEED_CUSTOMERS.modernSe.name, SEED_CUSTOMERS.modernUk.name].sort());
      await viewAfter(page, () => page.getByRole('searchbox', { name: 'Search customers' }).fill(''));
      await viewAfter(page, () => page.getByLabel('Over budget').check());
      assert.match(page.url(), /filter=over-budget/);
      assert.equal((await names(page)).length, await count(page, 'over-budget'));
      await viewAfter(page, () => page.getByLabel('Over budget').uncheck());
      assert.equal((await names(page)).length, 50);

      const pageOne = await names(page);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.waitForURL(/offset=50/);
      await page.waitForFunction((n) => document.querySelector('tbody th a')?.textContent !== n, pageOne[0]);
      const pageTwo = await names(page);
      assert.notDeepEqual(pageTwo, pageOne);
      assert.ok(pageTwo[0]!.toLowerCase() >= pageOne.at(-1)!.toLowerCase(), 'page two follows page one in name order');
      await page.goBack();
      await page.waitForFunction((n) => document.querySelector('tbody th a')?.textContent === n, pageOne[0]);
      if (SHOOT && backend === 'sqlite') {
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        await page.goto(`${server.baseUrl}/`);
        await page.getByRole('table', { name: 'Customers' }).waitFor();
        await page.screenshot({ path: path.join(SCREENSHOTS, 'customers.png') });
      }
    });

    it('sets a budget inline on the customer page and in bulk, with undo; % used and the header counts follow', async () => {
      await viewAfter(page, () => page.goto(`${server.baseUrl}/?filter=no-budget&sort=name&order=asc`));
      const over = await count(page, 'over-budget');
      const [name] = await names(page);
      await page.getByRole('link', { name: name!, exact: true }).click();
      await page.getByRole('heading', { name: name! }).waitFor();
      await page.getByLabel('Budget', { exact: true }).fill('0.01');
      await page.getByRole('button', { name: 'Set budget' }).click();
      await page.waitForFunction(() => document.querySelector('[data-figure="percent-used"]')?.textContent !== '—');
      assert.match((await page.locator('[data-figure="percent-used"]').textContent())!, /%/);
      await viewAfter(page, () => page.getByRole('link', { name: /All customers/ }).click());
      assert.equal(await count(page, 'over-budget'), over + 1, 'the header counts the new budget');

      await viewAfter(page, () => page.goto(`${server.baseUrl}/?filter=no-budget&sort=name&order=asc`));
      const noBudget = await count(page, 'over-budget');
      const [, a, b] = await names(page); // the first has a budget now
      await page.getByLabel(`Select ${a}`).check();
      await page.getByLabel(`Select ${b}`).check();
      await page.getByLabel('Budget for selected').fill('0.5');
      await viewAfter(page, () => page.getByRole('button', { name: 'Set budget' }).click());
      assert.equal(await count(page, 'over-budget'), noBudget + 2, 'both over their new budget');
      await viewAfter(page, () => page.getByRole('button', { name: 'Undo' }).click());
      assert.equal(await count(page, 'over-budget'), noBudget, 'undone');
    });

    it("drills down: a subscription's meter costs sum to its total; the period picker changes the figures", async () => {
      await page.goto(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}`);
      await page.getByRole('heading', { name: SEED_CUSTOMERS.modernUk.name }).waitFor();
      const subscription = page.getByRole('table', { name: 'Subscriptions' }).locator('tbody tr').first();
      const total = await subscription.locator('td.num').textContent();
      await subscription.getByRole('button').click();
      const metersTotal = page.locator('[data-meters-total]').first();
      await metersTotal.waitFor();
      assert.equal(await metersTotal.textContent(), total, 'the meters add up to the subscription, exactly');
      const token = await server.token({ tenant: DEMO_PARTNER, user: 'ana@partner.example' });
      const days = (await (
        await fetch(`${server.baseUrl}/v1/partnerusage/customers/${SEED_CUSTOMERS.modernUk.id}/days`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { totalCount: number; items: { day: string }[] };
      assert.equal(days.totalCount, 30, 'the last 30 days, into the month before');
      assert.equal(days.items.length, 30);
      if (SHOOT && backend === 'sqlite')
        await page.screenshot({ path: path.join(SCREENSHOTS, 'customer.png'), fullPage: true });

      await page.goto(`${server.baseUrl}/`);
      const before = await page.locator('.totals').textContent();
      const picker = page.getByLabel('Period');
      const periods = await picker.locator('option').evaluateAll((o) => o.map((x) => x.getAttribute('value')!));
      assert.ok(periods.length >= 2, 'the demo has more than one period');
      await picker.selectOption(periods[1]!);
      await page.waitForURL(new RegExp(`period=${periods[1]}`));
      await page.waitForFunction((t) => document.querySelector('.totals')?.textContent !== t, before);
    });

    if (pageOnly)
      it('is reachable by keyboard alone, and axe finds no serious violation', async () => {
        await page.goto(`${server.baseUrl}/`);
        await page.getByRole('table', { name: 'Customers' }).waitFor();
        assert.deepEqual(await unreachedByTab(page), [], 'every control of the customers screen');
        assert.deepEqual(await axeViolations(page), [], 'the customers screen');
        await page.goto(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}`);
        await page.getByRole('heading', { name: SEED_CUSTOMERS.modernUk.name }).waitFor();
        await page
          .getByRole('table', { name: 'Subscriptions' })
          .locator('tbody tr')
          .first()
          .getByRole('button')
          .click();
        await page.getByRole('table', { name: 'Resources' }).waitFor();
        assert.deepEqual(await unreachedByTab(page), [], "every control of a customer's page, its drill-down open");
        assert.deepEqual(await axeViolations(page), [], "a customer's page");
        await page.goto(`${server.baseUrl}/alerts`);
        await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
        assert.deepEqual(await axeViolations(page), [], 'the alerts page');
        await page.goto(`${server.baseUrl}/docs`);
        await page.locator('.operation').first().waitFor();
        assert.deepEqual(await axeViolations(page), [], 'the API reference');
      });

    it("shows an Azure plan's resources and downloads the view as CSV with exact amounts", async () => {
      await page.goto(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}`);
      await page.getByRole('heading', { name: SEED_CUSTOMERS.modernUk.name }).waitFor();
      await page.getByRole('table', { name: 'Subscriptions' }).locator('tbody tr').first().getByRole('button').click();
      const resources = page.getByRole('table', { name: 'Resources' });
      await resources.waitFor();
      assert.ok((await resources.locator('tbody tr').count()) >= 1);

      await viewAfter(page, () => page.goto(`${server.baseUrl}/?currency=GBP&sort=name&order=asc`));
      const all = await count(page, 'customers');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      const csv = fs
        .readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n');
      const header = csv[0]!.split(',');
      const rows = csv.slice(1).map((line) => line.split(','));
      assert.ok(rows.length > 0 && rows.length < all, 'the GBP customers only');
      assert.ok(rows.every((r) => r[header.indexOf('currency')] === 'GBP'));
      const uk = rows.find((r) => r[0] === SEED_CUSTOMERS.modernUk.id)!;
      const token = await server.token({ tenant: DEMO_PARTNER, user: 'ana@partner.example' });
      const api = await fetch(`${server.baseUrl}/v1/customers/${SEED_CUSTOMERS.modernUk.id}/usagesummary`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const exact = /"totalCost":([0-9.]+)/.exec(await api.text())![1];
      assert.equal(uk[header.indexOf('totalCost')], exact, 'every digit of the total');

      // The period's line items as FOCUS Parquet, streamed by the export route.
      const [focus] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'FOCUS export (Parquet)' }).click(),
      ]);
      assert.match(focus.suggestedFilename(), /^focus-.*\.parquet$/);
      const bytes = fs.readFileSync((await focus.path())!);
      assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
      assert.equal(bytes.subarray(-4).toString(), 'PAR1', 'a whole Parquet file');
    });

    if (pageOnly)
      it('is usable on a phone and in Korean and Traditional Chinese, keeping the names tests rely on', async () => {
        const token = await server.token({ tenant: DEMO_PARTNER, user: 'ana@partner.example' });
        const phone = await signedInContext(browser, token, { viewport: { width: 390, height: 844 }, locale: 'ko-KR' });
        const small = await phone.newPage();
        await small.goto(`${server.baseUrl}/`);
        await small.getByRole('table', { name: 'Customers' }).waitFor();
        await small.getByRole('heading', { name: '고객' }).waitFor();
        await small.getByRole('searchbox', { name: 'Search customers' }).waitFor();
        const [scroll, client] = await small.evaluate(() => {
          const d = (
            globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
          ).document.documentElement;
          return [d.scrollWidth, d.clientWidth];
        });
        assert.ok(scroll! <= client! + 1, `no sideways scrolling of the page: ${scroll} > ${client}`);
        if (SHOOT && backend === 'sqlite') await small.screenshot({ path: path.join(SCREENSHOTS, 'phone-ko.png') });
        await phone.close();
        const taiwan = await browser.newContext({ locale: 'zh-TW' });
        const zh = await taiwan.newPage();
        await zh.goto(`${server.baseUrl}/`);
        await zh.getByRole('heading', { name: '登入' }).waitFor();
        assert.ok(await zh.getByLabel('Access token').isVisible(), 'the stable name, translated beside it');
        await taiwan.close();
      });

    it('adds and removes a webhook endpoint on the alerts page, its secret shown once', async () => {
      await page.goto(`${server.baseUrl}/alerts`);
      await page.getByRole('heading', { name: 'Webhook endpoints' }).waitFor();
      await page.getByLabel('Endpoint URL').fill('https://hooks.example.test/partner-usage');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const status = page.getByRole('status');
      await status.waitFor();
      assert.match((await status.textContent())!, /whsec_/);
      const listed = await server.store.alerts.webhooks(DEMO_PARTNER);
      assert.deepEqual(
        listed.map((w) => w.url),
        ['https://hooks.example.test/partner-usage'],
      );
      await page.getByRole('button', { name: 'Remove https://hooks.example.test/partner-usage' }).click();
      await page.getByRole('button', { name: /^Remove / }).waitFor({ state: 'detached' });
      assert.deepEqual(await server.store.alerts.webhooks(DEMO_PARTNER), []);
    });

    if (pageOnly)
      it('serves the page with a strict CSP, hashed assets cached for a year (compressed), and keeps the API 404', async () => {
        const pageResponse = await fetch(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}?period=2026-10`);
        assert.equal(pageResponse.status, 200);
        assert.match(pageResponse.headers.get('content-type')!, /text\/html/);
        assert.match(pageResponse.headers.get('content-security-policy')!, /script-src 'self';/);
        assert.equal(pageResponse.headers.get('cache-control'), 'no-cache');
        const html = await pageResponse.text();
        assert.ok(!/<script>|<script type="module">/.test(html), 'no inline script');
        const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
        const script = await fetch(`${server.baseUrl}${asset}`, { headers: { 'accept-encoding': 'br' } });
        assert.equal(script.status, 200);
        assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.equal(script.headers.get('content-encoding'), 'br');
        const missing = await fetch(`${server.baseUrl}/v1/customers/nope/nothing`);
        assert.equal(missing.status, 404);
        assert.equal(((await missing.json()) as { source: string }).source, 'PartnerFD');
      });

    it("the view's routes: another partner learns nothing; a bad parameter gets the fault body; a page past the end is empty", async () => {
      const get = async (url: string, tenant: string) => {
        const token = await server.token({ tenant, user: 'someone@partner.example' });
        const r = await fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
        return { status: r.status, json: (await r.json()) as Record<string, unknown> };
      };
      const other = '22222222-aaaa-4bbb-8ccc-000000000002';
      const view = await get('/v1/partnerusage/customers?search=modern', other);
      assert.equal(view.status, 200);
      assert.equal(view.json.totalCount, 0);
      assert.deepEqual(view.json.counts, {
        customers: 0,
        overBudget: 0,
        trendingOver: 0,
        noBudget: 0,
        anomaly: 0,
        negativeMargin: 0,
      });
      assert.deepEqual(view.json.periods, []);
      const days = await get(`/v1/partnerusage/customers/${SEED_CUSTOMERS.modernUk.id}/days`, other);
      assert.equal(days.status, 404, "another partner's customer does not exist for it");
      const own = await get(`/v1/partnerusage/customers/${SEED_CUSTOMERS.modernUk.id}/days`, DEMO_PARTNER);
      assert.equal(own.json.totalCount, 30);
      const bad = await get('/v1/partnerusage/customers?sort=cost', DEMO_PARTNER);
      assert.equal(bad.status, 400);
      assert.match(bad.json.description as string, /The sort 'cost' is not one of name, /);
      const past = await get('/v1/partnerusage/customers?offset=100000', DEMO_PARTNER);
      assert.equal(past.status, 200);
      assert.deepEqual(past.json.items, []);
      assert.ok((past.json.totalCount as number) > 0);
    });

    it('shows each role only what it may do: a viewer reads, an analyst also exports, an admin also changes', async () => {
      for (const role of ['viewer', 'analyst', 'admin'] as const) {
        const token = await server.token({ tenant: DEMO_PARTNER, user: `${role}@partner.example`, role });
        const context = await signedInContext(browser, token, {
          viewport: { width: 1400, height: 900 },
          locale: 'en-US',
        });
        const as = await context.newPage();
        await as.goto(`${server.baseUrl}/`);
        await as.getByText(`${role}@partner.example · ${role}`).waitFor();
        const table = as.getByRole('table', { name: 'Customers' });
        await table.locator('tbody tr').first().waitFor();
        assert.equal(await as.getByRole('button', { name: 'Download CSV' }).count(), role === 'viewer' ? 0 : 1, role);
        assert.equal((await table.getByRole('checkbox').count()) > 0, role === 'admin', `${role}: bulk selection`);
        await as.goto(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}`);
        await as.getByRole('heading', { name: SEED_CUSTOMERS.modernUk.name }).waitFor();
        await as.getByRole('table', { name: 'Subscriptions' }).waitFor();
        assert.equal(await as.getByRole('button', { name: 'Set budget' }).count(), role === 'admin' ? 1 : 0, role);
        await as.goto(`${server.baseUrl}/alerts`);
        await as.getByRole('heading', { name: 'Webhook endpoints' }).waitFor();
        await as.getByRole('heading', { name: 'Deliveries' }).waitFor();
        assert.equal(await as.getByRole('button', { name: 'Add endpoint' }).count(), role === 'admin' ? 1 : 0, role);
        await context.close();
      }
    });

    it('shows price, margin and margin %, sorts and filters by them; the Margins screen; the customer page by subscription and category', async () => {
      const token = await server.token({ tenant: DEMO_PARTNER, user: 'ana@partner.example' });
      const api = async (method: string, url: string, body?: object) => {
        const r = await fetch(server.baseUrl + url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        assert.ok(r.ok, `${method} ${url}: ${r.status}`);
        return (await r.json()) as Record<string, unknown>;
      };
      // Cost + 15 % for everyone, one customer sold at a loss.
      const rules = [
        await api('POST', '/v1/partnerusage/pricerules', { basis: 'cost', adjust: '15', from: '2020-01' }),
        await api('POST', '/v1/partnerusage/pricerules', {
          basis: 'cost',
          adjust: '-10',
          customer: SEED_CUSTOMERS.modernUk.id,
          from: '2020-01',
        }),
      ];
      try {
        // The Margins screen: the route's rows (computing the period's price bases), largest price first, with a chart.
        await page.goto(`${server.baseUrl}/`);
        await page.getByRole('table', { name: 'Customers' }).waitFor();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Margins' }).click();
        const table = page.getByRole('table', { name: 'Margins' });
        await table.locator('tbody tr[data-group]').first().waitFor();
        await page.getByRole('img', { name: /Cost and price in USD of the first \d+ groups/ }).waitFor();
        const byPrice = (await api('GET', '/v1/partnerusage/margins?sort=price&order=desc&size=50')) as {
          items: { group: string; margin: number }[];
        };
        const groups = () =>
          table.locator('tbody tr[data-group]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group')));
        assert.deepEqual(
          await groups(),
          byPrice.items.map((r) => r.group),
        );
        // Sorted by margin, the loss comes first, shown as negative.
        await table.getByRole('button', { name: 'Margin', exact: true }).click();
        await page.waitForURL(/sort=margin/);
        assert.ok(
          !page.url().includes('order='),
          'a figure sorts largest first (the default order) on the first click',
        );
        await table.getByRole('button', { name: 'Margin', exact: true }).click();
        await page.waitForURL(/order=asc/);
        await page.waitForFunction(
          (id) => document.querySelector('table[aria-label="Margins"] tbody tr')?.getAttribute('data-group') === id,
          SEED_CUSTOMERS.modernUk.id,
        );
        assert.equal(await table.locator('tbody tr').first().locator('td.negative').count(), 1);
        // Grouped by meter category: the route's categories.
        await page.getByLabel('Group by').selectOption('meterCategory');
        await page.waitForURL(/groupBy=meterCategory/);
        await table.getByRole('columnheader', { name: /Meter category/ }).waitFor();
        const categories = (await api('GET', '/v1/partnerusage/margins?groupBy=meterCategory')) as {
          totalCount: number;
        };
        await page.waitForFunction(
          (n) => document.querySelectorAll('table[aria-label="Margins"] tbody tr[data-group]').length === n,
          Math.min(categories.totalCount, 50),
        );
        // One currency's rows, to compare like with like.
        await page.getByRole('combobox', { name: 'Currency' }).selectOption('GBP');
        await page.waitForURL(/currency=GBP/);
        const gbp = (await api('GET', '/v1/partnerusage/margins?groupBy=meterCategory&currency=GBP')) as {
          totalCount: number;
        };
        await page.waitForFunction(
          (n) => document.querySelectorAll('table[aria-label="Margins"] tbody tr[data-group]').length === n,
          gbp.totalCount,
        );
        assert.deepEqual(
          [...new Set(await table.locator('tbody tr[data-group] td:nth-child(2)').allTextContents())],
          ['GBP'],
        );
        if (SHOOT && backend === 'sqlite')
          await page.screenshot({ path: path.join(SCREENSHOTS, 'margins.png'), fullPage: true });
        if (pageOnly) {
          assert.deepEqual(await unreachedByTab(page), [], 'every control of the margins screen');
          assert.deepEqual(await axeViolations(page), [], 'the margins screen');
        }

        // The customers table: price, margin and margin % columns, sortable; the negative-margin filter.
        await viewAfter(page, () => page.goto(`${server.baseUrl}/?sort=margin&order=asc`));
        assert.equal((await names(page))[0], SEED_CUSTOMERS.modernUk.name);
        await viewAfter(page, () => page.getByRole('checkbox', { name: 'Negative margin' }).check());
        assert.deepEqual(await names(page), [SEED_CUSTOMERS.modernUk.name]);
        assert.equal(await count(page, 'negative-margin'), 1);
        await viewAfter(page, () =>
          page.getByRole('table', { name: 'Customers' }).getByRole('button', { name: 'Margin %' }).click(),
        );
        assert.match(page.url(), /sort=marginPercent/);
        const row = page.getByRole('table', { name: 'Customers' }).locator('tbody tr').first();
        assert.match((await row.textContent())!, /-\d+(\.\d+)? %/, 'margin % of a loss: -10 / 90');

        // The customer's page: cost, price and margin per subscription and per meter category, as the route says.
        await page.goto(`${server.baseUrl}/customers/${SEED_CUSTOMERS.modernUk.id}`);
        for (const [by, label] of [
          ['subscription', 'Subscription'],
          ['meterCategory', 'Meter category'],
        ] as const) {
          const mine = page.getByRole('table', { name: `Cost, price and margin: ${label}` });
          await mine.locator('tbody tr[data-group]').first().waitFor();
          const want = (await api(
            'GET',
            `/v1/partnerusage/margins?groupBy=${by}&customer=${SEED_CUSTOMERS.modernUk.id}`,
          )) as { totalCount: number };
          assert.equal(await mine.locator('tbody tr[data-group]').count(), want.totalCount, by);
          assert.equal(await mine.locator('td.negative').count(), want.totalCount, `${by}: every group at a loss`);
        }
        if (pageOnly) assert.deepEqual(await axeViolations(page), [], "a customer's page with its margins");
      } finally {
        for (const r of rules) await api('DELETE', `/v1/partnerusage/pricerules/${String(r.id)}`);
      }
    });

    if (pageOnly)
      it('"Use development token" signs in on `partner-usage serve` in embedded mode on this machine', async () => {
        const served = await serveProcess(db.location);
        try {
          const fresh = await browser.newPage();
          await fresh.goto(`${served.base}/`);
          await fresh.getByRole('button', { name: 'Use development token' }).click();
          await fresh.getByRole('table', { name: 'Customers' }).waitFor();
          assert.ok((await names(fresh)).length > 0);
          assert.ok(!fresh.url().includes('token'));
          await fresh.close();
        } finally {
          served.child.kill('SIGTERM');
        }
      });
  });
}
