import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  customersUrl,
  customersViewOf,
  customerUrl,
  DEFAULT_MARGINS,
  DEFAULT_VIEW,
  marginsUrl,
  readViewState,
  type CustomersView,
} from '../web/src/view-state.js';

// The dashboard's URL state (web/src/view-state.ts) alone; the browser tests (dashboard.test.ts)
// drive the same links through the page.

const CUSTOMER = '0b6c2b7e-96a4-4a3e-9d5c-1f2e3d4c5b6a';

describe('readViewState', () => {
  test('the root with no query is the customers view with every default', () => {
    assert.deepEqual(readViewState('/', ''), {
      page: 'customers',
      customerId: undefined,
      ...DEFAULT_VIEW,
      margins: DEFAULT_MARGINS,
    });
  });

  test('reads every setting of the customers view', () => {
    const s = readViewState(
      '/',
      '?period=2026-10&sort=name&order=asc&filter=over-budget,anomaly&plan=legacy&currency=eur&search=Con%20toso&offset=100',
    );
    assert.deepEqual(s, {
      page: 'customers',
      customerId: undefined,
      period: '2026-10',
      sort: 'name',
      order: 'asc',
      filter: ['over-budget', 'anomaly'],
      plan: 'legacy',
      currency: 'EUR',
      search: 'Con toso',
      offset: 100,
      margins: { ...DEFAULT_MARGINS, period: '2026-10' },
    });
  });

  test('pages: a customer (its id lower-cased), alerts, docs; anything else is the customers view', () => {
    const c = readViewState(`/customers/${CUSTOMER.toUpperCase()}/`, '?period=2026-09');
    assert.equal(c.page, 'customer');
    assert.equal(c.customerId, CUSTOMER);
    assert.equal(c.period, '2026-09');
    assert.equal(readViewState('/alerts', '').page, 'alerts');
    assert.equal(readViewState('/alerts/', '').page, 'alerts');
    assert.equal(readViewState('/docs', '').page, 'docs');
    assert.equal(readViewState('/margins/', '').page, 'margins');
    for (const path of ['/customers/not-a-guid', '/customers/', '/elsewhere', `/customers/${CUSTOMER}/x`]) {
      const s = readViewState(path, '');
      assert.equal(s.page, 'customers', path);
      assert.equal(s.customerId, undefined, path);
    }
    assert.equal(readViewState(`/customers/${CUSTOMER.replaceAll('-', 'x')}`, '').page, 'customers');
  });

  test('a value a hand-edited link gets wrong falls back to its default, the rest is kept', () => {
    const s = readViewState(
      '/',
      '?period=2026-13&sort=bogus&order=up&filter=over-budget,nope,over-budget&plan=csp&currency=euro&offset=-50&search=x',
    );
    assert.deepEqual(s, {
      page: 'customers',
      customerId: undefined,
      ...DEFAULT_VIEW,
      filter: ['over-budget'],
      search: 'x',
      margins: DEFAULT_MARGINS,
    });
    for (const offset of ['abc', '1.5', '1e12', '0', '9007199254740993']) {
      assert.equal(readViewState('/', `?offset=${offset}`).offset, 0, offset);
    }
    assert.equal(readViewState('/', '?offset=1000000000').offset, 1_000_000_000);
    assert.equal(readViewState('/', '?period=26-10').period, undefined);
    assert.equal(readViewState('/', '?period=2026-1').period, undefined);
    assert.equal(readViewState('/', '?period=2026-00').period, undefined);
    assert.equal(readViewState('/', '?period=2026-12').period, '2026-12');
    assert.equal(readViewState('/', '?currency=US').currency, undefined);
    assert.equal(readViewState('/', '?plan=azure-plan').plan, 'azure-plan');
    assert.equal(readViewState('/', '?order=desc').order, 'desc');
  });
});

describe('customersUrl', () => {
  test('the defaults are left out: the plain view is /', () => {
    assert.equal(customersUrl(), '/');
    assert.equal(customersUrl(DEFAULT_VIEW), '/');
    assert.equal(customersUrl({ period: '2026-10' }), '/?period=2026-10');
  });

  test('every setting that differs from its default is written, and reads back the same', () => {
    const view: CustomersView = {
      period: '2026-10',
      sort: 'budget',
      order: 'asc',
      filter: ['trending-over', 'no-budget'],
      plan: 'azure-plan',
      currency: 'GBP',
      search: 'a&b=c',
      offset: 50,
    };
    const url = customersUrl(view);
    assert.equal(
      url,
      '/?period=2026-10&sort=budget&order=asc&filter=trending-over%2Cno-budget&plan=azure-plan&currency=GBP&search=a%26b%3Dc&offset=50',
    );
    const back = readViewState('/', url.slice(1));
    assert.deepEqual(customersViewOf(back), view);
  });

  test('a sort or order that differs only from the other default is still written', () => {
    assert.equal(customersUrl({ sort: 'percentUsed', order: 'asc' }), '/?order=asc');
    assert.equal(customersUrl({ sort: 'name', order: 'desc' }), '/?sort=name');
  });
});

describe('marginsUrl', () => {
  test('the defaults are left out; every other setting is written and reads back the same', () => {
    assert.equal(marginsUrl(), '/margins');
    assert.equal(marginsUrl(DEFAULT_MARGINS), '/margins');
    const view = {
      period: '2026-10',
      groupBy: 'meterCategory',
      currency: 'EUR',
      sort: 'margin',
      order: 'asc',
      offset: 100,
    } as const;
    const url = marginsUrl(view);
    assert.equal(url, '/margins?period=2026-10&groupBy=meterCategory&currency=EUR&sort=margin&order=asc&offset=100');
    assert.deepEqual(readViewState('/margins', url.slice('/margins'.length)).margins, view);
  });

  test('a wrong grouping or sort falls back to its default; other pages keep only the period', () => {
    assert.deepEqual(readViewState('/margins', '?groupBy=planet&sort=budget&order=up').margins, DEFAULT_MARGINS);
    assert.deepEqual(readViewState('/', '?period=2026-09&groupBy=reseller&sort=margin').margins, {
      ...DEFAULT_MARGINS,
      period: '2026-09',
    });
  });
});

describe('customerUrl', () => {
  test("a customer's page, keeping the period", () => {
    assert.equal(customerUrl(CUSTOMER, undefined), `/customers/${CUSTOMER}`);
    assert.equal(customerUrl(CUSTOMER, '2026-10'), `/customers/${CUSTOMER}?period=2026-10`);
    assert.equal(readViewState(customerUrl(CUSTOMER, undefined), '').customerId, CUSTOMER);
  });
});

describe('customersViewOf', () => {
  test('keeps only the view settings of a state', () => {
    const state = readViewState(`/customers/${CUSTOMER}`, '?sort=name');
    assert.deepEqual(Object.keys(customersViewOf(state)).sort(), Object.keys(DEFAULT_VIEW).sort());
    assert.equal(customersViewOf(state).sort, 'name');
  });
});
