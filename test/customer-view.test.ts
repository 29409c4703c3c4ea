import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewCustomers, type ViewQuery, type ViewRow } from '../src/domain/customer-view.js';

const row = (id: string, name: string, extra: Partial<ViewRow> = {}): ViewRow => ({
  id,
  name,
  plan: 'azure-plan',
  currency: 'EUR',
  currencyLocale: null,
  totalCost: '0',
  usdTotalCost: '0',
  budget: null,
  percentUsed: '0',
  forecast: '0',
  overBudget: false,
  trendingOver: false,
  anomalies: 0,
  lastModified: null,
  price: null,
  margin: null,
  marginPercent: null,
  ...extra,
});

const query = (q: Partial<ViewQuery> = {}): ViewQuery => ({
  sort: 'percentUsed',
  order: 'desc',
  filters: [],
  offset: 0,
  size: 50,
  ...q,
});

const ids = (rows: readonly ViewRow[]) => rows.map((r) => r.id);

describe('the customers view (sort, filter, search, page)', () => {
  it('compares money exactly: a difference in the 19th decimal place orders two rows', () => {
    const rows = [
      row('a', 'A', { totalCost: '0.1000000000000000001' }),
      row('b', 'B', { totalCost: '0.1' }),
      row('c', 'C', { totalCost: '0.10000000000000000011' }),
    ];
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'totalCost' })).items), ['c', 'a', 'b']);
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'totalCost', order: 'asc' })).items), ['b', 'a', 'c']);
  });

  it('orders values a double cannot tell apart exactly, among others it can, and negatives below zero', () => {
    const rows = [
      row('big', 'E', { margin: '123456789012345678901.000000000000000002' }),
      row('big-less', 'F', { margin: '123456789012345678901.000000000000000001' }),
      row('tiny-more', 'B', { margin: '0.100000000000000000002' }),
      row('tiny', 'C', { margin: '0.100000000000000000001' }),
      row('loss', 'D', { margin: '-5' }),
      row('none', 'G'),
      row('zero', 'A', { margin: '0' }),
    ];
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'margin', order: 'asc' })).items), [
      'loss',
      'zero',
      'tiny',
      'tiny-more',
      'big-less',
      'big',
      'none',
    ]);
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'margin', order: 'desc' })).items), [
      'big',
      'big-less',
      'tiny-more',
      'tiny',
      'zero',
      'loss',
      'none',
    ]);
    // The same list asked again, in another order and filtered: from the orders sorted once.
    assert.deepEqual(
      ids(viewCustomers(rows, query({ sort: 'margin', order: 'asc', filters: ['negative-margin'] })).items),
      ['loss'],
    );
  });

  it('sorts customers without a budget last in either order, and ties by name, then id', () => {
    const rows = [
      row('x2', 'Same', { budget: '10' }),
      row('n', 'No budget'),
      row('x1', 'Same', { budget: '10' }),
      row('big', 'Big', { budget: '900' }),
    ];
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'budget', order: 'asc' })).items), ['x1', 'x2', 'big', 'n']);
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'budget', order: 'desc' })).items), [
      'big',
      'x1',
      'x2',
      'n',
    ]);
  });

  it('sorts names without regard to case', () => {
    const rows = [row('1', 'beta'), row('2', 'Alpha'), row('3', 'gamma')];
    assert.deepEqual(ids(viewCustomers(rows, query({ sort: 'name', order: 'asc' })).items), ['2', '1', '3']);
  });

  it('keeps rows for which every filter holds, and filters by plan and currency', () => {
    const rows = [
      row('over', 'O', { overBudget: true, budget: '1', anomalies: 2 }),
      row('trend', 'T', { trendingOver: true, budget: '5', currency: 'USD' }),
      row('none', 'N', { plan: 'legacy' }),
    ];
    assert.deepEqual(ids(viewCustomers(rows, query({ filters: ['over-budget'] })).items), ['over']);
    assert.deepEqual(ids(viewCustomers(rows, query({ filters: ['over-budget', 'anomaly'] })).items), ['over']);
    assert.deepEqual(ids(viewCustomers(rows, query({ filters: ['over-budget', 'trending-over'] })).items), []);
    assert.deepEqual(ids(viewCustomers(rows, query({ filters: ['no-budget'] })).items), ['none']);
    assert.deepEqual(ids(viewCustomers(rows, query({ plan: 'legacy' })).items), ['none']);
    assert.deepEqual(ids(viewCustomers(rows, query({ currency: 'USD' })).items), ['trend']);
  });

  it('searches names (contains, any case) and tenant ids (starts with)', () => {
    const rows = [
      row('c0ffee00-0000-4000-8000-000000000001', 'Contoso Ltd'),
      row('ab000000-0000-4000-8000-000000000002', 'Fabrikam'),
    ];
    assert.deepEqual(ids(viewCustomers(rows, query({ search: 'toso' })).items), [rows[0]!.id]);
    assert.deepEqual(ids(viewCustomers(rows, query({ search: 'ab00' })).items), [rows[1]!.id]);
    assert.deepEqual(ids(viewCustomers(rows, query({ search: '0000-4000' })).items), [], 'not the middle of an id');
  });

  it('pages without overlap, and counts what matches before paging', () => {
    const rows = Array.from({ length: 7 }, (_, i) => row(`id${i}`, `Customer ${i}`, { totalCost: String(i) }));
    const first = viewCustomers(rows, query({ sort: 'totalCost', size: 3 }));
    const second = viewCustomers(rows, query({ sort: 'totalCost', size: 3, offset: 3 }));
    const last = viewCustomers(rows, query({ sort: 'totalCost', size: 3, offset: 6 }));
    assert.equal(first.totalCount, 7);
    assert.deepEqual(
      [...ids(first.items), ...ids(second.items), ...ids(last.items)],
      ['id6', 'id5', 'id4', 'id3', 'id2', 'id1', 'id0'],
    );
  });
});
