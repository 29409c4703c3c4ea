import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessOf, grantedOf, permits } from '../src/contract/access.js';
import { operations, type Operation } from '../src/contract/operations.js';
import { importFile } from '../src/ingest/importer.js';
import { PartnerCenter } from '../src/sdk/partner-center.js';
import { BACKENDS, testDatabase, type TestDatabase } from './helpers/backends.js';
import { cli } from './helpers/cli-in-process.js';
import { generate, tempDir, type Generated } from './helpers/fixtures.js';
import { usageLine, writeDailyRated } from './helpers/daily-rated-lines.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { alertEngine } from '../src/alerts/alert-engine.js';
import { GrantViews } from '../src/server/grant-views.js';
import { openStore } from '../src/storage/open-store.js';

// Views of their own (issue #30): a customer's or a tier-2 reseller's tenant given an access grant
// sees only its scope, at prices, on every route of the operations table. Generated from the table:
// every operation × {partner admin, partner viewer, reseller, customer, a tenant without a grant},
// so a new route is covered without a test of its own.

after(stopPostgres);

const PERIOD = '2026-11';
const ZERO_ID = '0'.repeat(32);
const CUSTOMER_TENANT = 'c0c0c0c0-0000-4000-8000-000000000001';
const RESELLER_TENANT = 'e5e5e5e5-0000-4000-8000-000000000002';
const STRANGER_TENANT = 'f0f0f0f0-0000-4000-8000-000000000003';

type Who = 'admin' | 'viewer' | 'reseller' | 'customer' | 'stranger';

/** The rich file's customers with their reseller, costs and subscriptions (its --expect). */
interface World {
  readonly gen: Generated;
  readonly partner: string;
  /** The customer granted, one of the reseller's. */
  readonly customer: string;
  readonly reseller: string;
  readonly subscription: string;
  readonly resellerCustomers: string[];
}

function worldOf(dir: string): World {
  const gen = generate(dir, 'rich.csv', {
    rich: true,
    rows: 2500,
    customers: 10,
    resellers: 2,
    period: PERIOD,
    seed: 11,
  });
  const customers = gen.expect.customers as Record<string, { tier2MpnId?: string; name: string }>;
  const [customer, c] = Object.entries(customers).find(([, v]) => v.tier2MpnId)!;
  const reseller = c.tier2MpnId!;
  const resellerCustomers = Object.keys(customers).filter((id) => customers[id]!.tier2MpnId === reseller);
  return { gen, partner: gen.expect.partnerId, customer, reseller, subscription: '', resellerCustomers };
}

/** An operation's request: its path with in-scope values, the query it needs, a body for changes. */
function requestOf(o: Operation, w: World & { subscription: string; currency: string }) {
  const values: Record<string, string> = {
    'customer-tenant-id': w.customer,
    'subscription-id': w.subscription,
    'webhook-id': `ep_${ZERO_ID}`,
    'rule-id': `pr_${ZERO_ID}`,
    'delivery-id': `msg_${ZERO_ID}`,
    'tenant-id': STRANGER_TENANT,
    format: 'csv',
    file: 'focus.csv',
  };
  const path = o.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'x');
  const query = new URLSearchParams();
  for (const p of o.parameters) if (p.in === 'query' && p.name === 'period') query.set('period', PERIOD);
  if (o.path.includes('utilizations')) {
    query.set('start_time', `${PERIOD}-01T00:00:00Z`);
    query.set('end_time', `${PERIOD}-30T00:00:00Z`);
  }
  if (o.path.includes('unbilled')) {
    for (const [k, v] of Object.entries({
      provider: 'onetime',
      invoicelineitemtype: 'usagelineitems',
      currencycode: w.currency,
      period: 'previous',
    }))
      query.set(k, v);
  }
  const body = o.path.endsWith('usagebudget') ? '{"amount": 4321.5}' : '{}';
  return { url: `${path}${query.size ? `?${query}` : ''}`, body };
}

for (const backend of BACKENDS) {
  describe(`access grants on ${backend}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    let w: World & { subscription: string; currency: string };
    const tokens = new Map<Who, string>();

    before(async () => {
      const dir = tempDir();
      const world = worldOf(dir);
      db = await testDatabase(backend, dir, 'grants');
      const store = await db.open();
      await importFile(store, world.gen.file);
      const none = { customer: null, reseller: null, category: null, publisher: null, from: '2026-01' };
      await store.prices.set(world.partner, { ...none, basis: 'cost', adjust: '10' }, 'cli');
      await store.prices.set(world.partner, { ...none, basis: 'cost', adjust: '5', reseller: world.reseller }, 'cli');
      const [subscription] = (await store.subscriptionIds(world.partner, world.customer))!;
      const currency = world.gen.expect.customers[world.customer]!.currency;
      w = { ...world, subscription: subscription!, currency };
      await store.close();
      const env = { PARTNER_USAGE_DB: db.location };
      const added = await cli(['access', 'add', '--tenant', CUSTOMER_TENANT, '--customer', w.customer], env);
      assert.equal(added.status, 0, added.stderr);
      assert.match(added.stdout, new RegExp(`tenant ${CUSTOMER_TENANT} sees customer ${w.customer} as viewer`));
      const reseller = await cli(
        ['access', 'add', '--tenant', RESELLER_TENANT, '--reseller', w.reseller, '--role', 'analyst', '--json'],
        env,
      );
      assert.equal(reseller.status, 0, reseller.stderr);
      assert.equal(JSON.parse(reseller.stdout).reseller, w.reseller);
      server = await startTestServer(db);
      const partnerToken = (role: 'admin' | 'viewer') =>
        server.token({ tenant: w.partner, user: `${role}@partner.example`, role });
      tokens.set('admin', await partnerToken('admin'));
      tokens.set('viewer', await partnerToken('viewer'));
      tokens.set('reseller', await server.token({ tenant: RESELLER_TENANT, user: 'ann@reseller.example' }));
      tokens.set('customer', await server.token({ tenant: CUSTOMER_TENANT, user: 'bo@customer.example' }));
      tokens.set('stranger', await server.token({ tenant: STRANGER_TENANT, user: 'eve@stranger.example' }));
    });
    after(() => server?.close());

    const call = (who: Who, method: string, url: string, body?: string) =>
      fetch(server.baseUrl + url, {
        method,
        headers: {
          authorization: `Bearer ${tokens.get(who)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      });

    it('every operation × every principal: the allowed answer, and nothing of another customer or of cost', async () => {
      const customers = w.gen.expect.customers;
      const outside: Record<Who, string[]> = {
        admin: [],
        viewer: [],
        customer: Object.keys(customers).filter((id) => id !== w.customer),
        reseller: Object.keys(customers).filter((id) => !w.resellerCustomers.includes(id)),
        stranger: Object.keys(customers),
      };
      // The partner's cost, exact, of the customers a grantee sees: never in a grantee's answer.
      const costs = (ids: string[]) =>
        ids
          .flatMap((id) => [customers[id]!.billing, customers[id]!.usd])
          .filter((v) => v.replace(/\D/g, '').length > 6);
      const secret: Record<Who, string[]> = {
        admin: [],
        viewer: [],
        customer: costs([w.customer]),
        reseller: costs(w.resellerCustomers),
        stranger: costs(Object.keys(customers)),
      };
      let served = 0;
      for (const [id, o] of Object.entries(operations) as [string, Operation][]) {
        // Changes last, so the reads see the data as imported.
        if (o.method !== 'GET') continue;
        for (const who of tokens.keys()) {
          const { url } = requestOf(o, w);
          const r = await call(who, o.method, url);
          const text = await r.text();
          const at = `${id} as ${who}: ${r.status} ${text.slice(0, 300)}`;
          assert.ok(r.status < 500, at);
          const grantee = who === 'customer' || who === 'reseller';
          if (grantee && grantedOf(o) === 'none') {
            assert.equal(r.status, 404, at);
            assert.equal(JSON.parse(text).code, 1000, at);
            continue;
          }
          const role = who === 'viewer' || who === 'customer' ? 'viewer' : who === 'reseller' ? 'analyst' : 'admin';
          if (!permits(role, accessOf(o))) {
            assert.equal(r.status, 403, at);
            continue;
          }
          // The legacy route answers an Azure plan's subscription 400, whoever asks.
          const legacyOnly = r.status === 400 && JSON.parse(text).code === 800002;
          if (who === 'stranger') assert.ok([200, 204, 404].includes(r.status), at);
          else assert.ok([200, 204].includes(r.status) || legacyOnly, at);
          if (r.status === 200) served++;
          // A 404 may name the customer the request named: nothing else.
          const answer = r.status === 404 ? text.replaceAll(w.customer, '') : text;
          for (const other of outside[who]) {
            assert.ok(!answer.includes(other), `${at}: shows customer ${other}`);
            assert.ok(!answer.includes(customers[other]!.name), `${at}: shows ${customers[other]!.name}`);
          }
          for (const cost of secret[who]) assert.ok(!answer.includes(cost), `${at}: shows the cost ${cost}`);
          if (grantee) assert.doesNotMatch(text, /"rateOfPartnerEarnedCredit":\s*[1-9]/, at);
        }
      }
      assert.ok(served >= 50, `${served} answers served`);
    });

    it("a grantee's figures are its prices, exact: the reseller's rule over the partner's", async () => {
      const cost = w.gen.expect.customers[w.customer]!.billing;
      const summary = (who: Who) =>
        new PartnerCenter({ baseUrl: server.baseUrl, credential: tokens.get(who)!, maxRetries: 0 }).customers
          .byId(w.customer)
          .usageSummary.get({ period: PERIOD });
      const partnerView = await summary('admin');
      assert.equal(String(partnerView.totalCost), cost);
      // cost + 5 % (the reseller's rule wins over the partner's 10 %), exactly.
      const [whole, fraction = ''] = cost.split('.');
      const units = BigInt(`${whole}${fraction}`) * 105n;
      const scale = fraction.length + 2;
      const text = units.toString().padStart(scale + 1, '0');
      const expected = `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '');
      for (const who of ['customer', 'reseller'] as const)
        assert.equal(String((await summary(who)).totalCost), expected);
      const list = await (await call('reseller', 'GET', `/v1/customers/usagerecords?period=${PERIOD}`)).json();
      assert.deepEqual(
        (list as { items: { id: string }[] }).items.map((i) => i.id).sort(),
        [...w.resellerCustomers].sort(),
      );
    });

    it("budgets: a customer reads its own; a reseller analyst sets its customers'; changes are audited with the user", async () => {
      const budget = `/v1/customers/${w.customer}/usagebudget`;
      const patch = (who: Who, url = budget) => call(who, 'PATCH', url, '{"amount": 900.25}');
      assert.equal((await patch('customer')).status, 403);
      assert.equal((await patch('reseller')).status, 200);
      const read = await call('customer', 'GET', budget);
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { amount: number }).amount, 900.25);
      const notTheirs = Object.keys(w.gen.expect.customers).find((id) => !w.resellerCustomers.includes(id))!;
      const refused = await patch('reseller', `/v1/customers/${notTheirs}/usagebudget`);
      assert.equal(refused.status, 404);
      assert.equal(((await refused.json()) as { code: number }).code, 60003);
      const audit = await server.store.alerts.audit(w.partner);
      assert.equal(audit[0]!.actor, `ann@reseller.example (tenant ${RESELLER_TENANT})`);
      assert.equal(audit[0]!.newValue, '900.25');
    });

    it('views in use are rebuilt ahead of their next request after a change, and dropped with their grant', async () => {
      const views = new GrantViews(server.store, (file) => openStore(file, alertEngine));
      try {
        const grant = (await views.grantOf(RESELLER_TENANT))!;
        let first = await views.viewOf(grant);
        // PostgreSQL's store notices its own last write once more when it polls the shared version: settle.
        for (let i = 0; i < 20 && (await views.refresh()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
        first = await views.viewOf(grant);
        assert.equal(await views.refresh(), 0, 'nothing changed');
        await server.store.setBudget(w.partner, w.customer, '777', 'test');
        assert.equal(await views.refresh(), 1);
        const rebuilt = await views.viewOf(grant);
        assert.notEqual(rebuilt, first, 'a new view, built by refresh');
        assert.equal((await rebuilt.customerUsage(w.partner, PERIOD, undefined, w.customer))[0]!.budget, '777');
        assert.equal(views.viewOf(grant), views.viewOf(grant), 'the next requests find it built');
        await server.store.access.remove(w.partner, RESELLER_TENANT, 'test');
        assert.equal(await views.refresh(), 0, 'a view whose grant is gone is dropped, not rebuilt');
        await server.store.access.add(
          w.partner,
          { tenantId: RESELLER_TENANT, scope: 'reseller', id: w.reseller, role: 'analyst' },
          'test',
        );
      } finally {
        await views.close();
      }
    });

    it('grants through the API: admin only; a grantee and a partner viewer are refused; the CLI lists and removes them', async () => {
      const grant = JSON.stringify({ tenantId: STRANGER_TENANT, customer: w.customer, role: 'viewer' });
      assert.equal((await call('viewer', 'POST', '/v1/partnerusage/access', grant)).status, 403);
      assert.equal((await call('viewer', 'GET', '/v1/partnerusage/access')).status, 403);
      assert.equal((await call('customer', 'POST', '/v1/partnerusage/access', grant)).status, 404);
      const created = await call('admin', 'POST', '/v1/partnerusage/access', grant);
      assert.equal(created.status, 200, await created.clone().text());
      // The stranger now sees the customer, as a viewer.
      const seen = await call('stranger', 'GET', `/v1/customers/usagerecords?period=${PERIOD}`);
      assert.deepEqual(
        ((await seen.json()) as { items: { id: string }[] }).items.map((i) => i.id),
        [w.customer],
      );
      const bad = await call(
        'admin',
        'POST',
        '/v1/partnerusage/access',
        JSON.stringify({ tenantId: w.partner, customer: w.customer }),
      );
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { description: string }).description, /a partner's own tenant/);
      const unknown = await call(
        'admin',
        'POST',
        '/v1/partnerusage/access',
        JSON.stringify({
          tenantId: STRANGER_TENANT,
          customer: ZERO_ID.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
        }),
      );
      assert.equal(unknown.status, 400);
      const env = { PARTNER_USAGE_DB: db.location };
      const listed = JSON.parse((await cli(['access', 'list', '--json'], env)).stdout) as { tenantId: string }[];
      assert.deepEqual(
        listed.map((g) => g.tenantId).sort(),
        [CUSTOMER_TENANT, RESELLER_TENANT, STRANGER_TENANT].sort(),
      );
      const removed = await cli(['access', 'remove', '--tenant', STRANGER_TENANT], env);
      assert.equal(removed.status, 0, removed.stderr);
      // Another process's change shows once the store polls its data version (every 200 ms).
      let status = 0;
      for (let tries = 0; tries < 40 && status !== 404; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await call('stranger', 'GET', `/v1/customers/${w.customer}/usagesummary?period=${PERIOD}`)).status;
      }
      assert.equal(status, 404);
      const again = await cli(['access', 'remove', '--tenant', STRANGER_TENANT], env);
      assert.notEqual(again.status, 0);
      assert.match(again.stderr, /no access grant for tenant/);
      const both = await cli(
        ['access', 'add', '--tenant', STRANGER_TENANT, '--customer', w.customer, '--reseller', '1'],
        env,
      );
      assert.equal(both.status, 2);
      assert.match(both.stderr, /one of --customer and --reseller/);
      const audit = await server.store.alerts.audit(w.partner);
      assert.deepEqual(
        audit
          .filter((a) => a.action.startsWith('access.'))
          .map((a) => [a.action, a.actor])
          .slice(0, 2),
        [
          ['access.remove', 'cli'],
          ['access.add', 'admin@partner.example'],
        ],
      );
    });

    it('a grant whose scope has no lines sees an empty partner: no customer, every customer 404', async () => {
      const tenant = 'efefefef-0000-4000-8000-0000000000e1';
      await server.store.access.add(
        w.partner,
        { tenantId: tenant, scope: 'reseller', id: '9999999', role: 'viewer' },
        'test',
      );
      try {
        const token = await server.token({ tenant, user: 'nobody@reseller.example' });
        const get = (url: string) => fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
        const list = await get(`/v1/customers/usagerecords?period=${PERIOD}`);
        assert.equal(list.status, 200);
        assert.deepEqual(((await list.json()) as { items: unknown[] }).items, []);
        const view = (await (await get(`/v1/partnerusage/customers?period=${PERIOD}`)).json()) as {
          totalCount: number;
        };
        assert.equal(view.totalCount, 0);
        const one = await get(`/v1/customers/${w.customer}/usagesummary?period=${PERIOD}`);
        assert.equal(one.status, 404);
        assert.equal(((await one.json()) as { code: number }).code, 60003);
      } finally {
        await server.store.access.remove(w.partner, tenant, 'test');
      }
    });

    // Last: it adds a second partner to the database (the CLI then needs --partner).
    it("a grantee's tenant that becomes a partner (its own lines imported) is that partner, not a grantee", async () => {
      const tenant = 'abababab-0000-4000-8000-0000000000f1';
      await server.store.access.add(
        w.partner,
        { tenantId: tenant, scope: 'customer', id: w.customer, role: 'viewer' },
        'test',
      );
      const views = new GrantViews(server.store, (file) => openStore(file, alertEngine));
      try {
        assert.equal((await views.grantOf(tenant))?.partnerTenantId, w.partner);
        const file = path.join(tempDir(), 'own.csv');
        writeDailyRated(file, [usageLine(tenant, 'cdcdcdcd-0000-4000-8000-0000000000f2', { BillingCurrency: 'EUR' })]);
        await importFile(server.store, file);
        assert.equal(await views.grantOf(tenant), undefined);
      } finally {
        await views.close();
        await server.store.access.remove(w.partner, tenant, 'test');
      }
    });
  });
}
