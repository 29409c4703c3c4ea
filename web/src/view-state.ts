import {
  MARGIN_GROUPS,
  MARGIN_SORTS,
  VIEW_FILTERS,
  VIEW_SORTS,
  type MarginGroup,
  type MarginSort,
  type ViewFilter,
  type ViewSort,
} from '../../src/contract/view-options.js';

// The dashboard's state lives in its URL (a view can be shared, Back works): which page, which
// customer, the customers view's period, sort, order, filters, plan, currency, search and page, and
// the margins screen's period, grouping, sort, order and page.
// This module is the one place that reads and writes it — pure, tested alone (test/view-state.test.ts).

export type Page = 'customers' | 'customer' | 'margins' | 'alerts' | 'docs';

/** The customers view's state; each value has a default the URL leaves out. */
export interface CustomersView {
  readonly period: string | undefined;
  readonly sort: ViewSort;
  readonly order: 'asc' | 'desc';
  readonly filter: readonly ViewFilter[];
  readonly plan: 'azure-plan' | 'legacy' | undefined;
  readonly currency: string | undefined;
  readonly search: string;
  /** The first row shown (a multiple of the page size). */
  readonly offset: number;
}

/** The margins screen's state (issue #29). */
export interface MarginsView {
  readonly period: string | undefined;
  readonly groupBy: MarginGroup;
  /** One billing currency's rows (amounts of different currencies sort by their numbers otherwise). */
  readonly currency: string | undefined;
  readonly sort: MarginSort;
  readonly order: 'asc' | 'desc';
  readonly offset: number;
}

/** Where the dashboard is: the page, its customer (the customer page) and every view setting. */
export interface ViewState extends CustomersView {
  readonly page: Page;
  readonly customerId: string | undefined;
  /** The margins screen's settings (its defaults on every other page). */
  readonly margins: MarginsView;
}

export const DEFAULT_VIEW: CustomersView = {
  period: undefined,
  sort: 'percentUsed',
  order: 'desc',
  filter: [],
  plan: undefined,
  currency: undefined,
  search: '',
  offset: 0,
};

/** The largest groups first. */
export const DEFAULT_MARGINS: MarginsView = {
  period: undefined,
  groupBy: 'customer',
  currency: undefined,
  sort: 'price',
  order: 'desc',
  offset: 0,
};

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_OFFSET = 1_000_000_000;

const oneOf = <T extends string>(values: readonly T[], raw: string | null): T | undefined =>
  raw !== null && values.includes(raw as T) ? (raw as T) : undefined;

/**
 * The state a URL says. What a hand-edited or outdated link gets wrong falls back to its default
 * (an unknown sort, a bad period, a negative page), so that it still opens a view rather than an error.
 */
export function readViewState(pathname: string, search: string): ViewState {
  const q = new URLSearchParams(search);
  const customer = /^\/customers\/([0-9a-f-]{36})\/?$/i.exec(pathname);
  const page: Page =
    customer?.[1] && GUID.test(customer[1])
      ? 'customer'
      : /^\/margins\/?$/.test(pathname)
        ? 'margins'
        : /^\/alerts\/?$/.test(pathname)
          ? 'alerts'
          : /^\/docs\/?$/.test(pathname)
            ? 'docs'
            : 'customers';
  const rawPeriod = q.get('period') ?? '';
  const period = PERIOD.test(rawPeriod) ? rawPeriod : undefined;
  const rawOffset = Number(q.get('offset') ?? '0');
  const offset = Number.isSafeInteger(rawOffset) && rawOffset > 0 && rawOffset <= MAX_OFFSET ? rawOffset : 0;
  const currency = /^[A-Za-z]{3}$/.test(q.get('currency') ?? '') ? q.get('currency')!.toUpperCase() : undefined;
  const filters = (q.get('filter') ?? '')
    .split(',')
    .filter((f): f is ViewFilter => oneOf(VIEW_FILTERS, f) !== undefined);
  return {
    page,
    customerId: page === 'customer' ? customer![1]!.toLowerCase() : undefined,
    period,
    sort: oneOf(VIEW_SORTS, q.get('sort')) ?? DEFAULT_VIEW.sort,
    order: oneOf(['asc', 'desc'] as const, q.get('order')) ?? DEFAULT_VIEW.order,
    filter: [...new Set(filters)],
    plan: oneOf(['azure-plan', 'legacy'] as const, q.get('plan')),
    currency,
    search: q.get('search') ?? '',
    offset,
    margins:
      page === 'margins'
        ? {
            period,
            groupBy: oneOf(MARGIN_GROUPS, q.get('groupBy')) ?? DEFAULT_MARGINS.groupBy,
            currency,
            sort: oneOf(MARGIN_SORTS, q.get('sort')) ?? DEFAULT_MARGINS.sort,
            order: oneOf(['asc', 'desc'] as const, q.get('order')) ?? DEFAULT_MARGINS.order,
            offset,
          }
        : { ...DEFAULT_MARGINS, period },
  };
}

/** The URL of the margins screen in `view`, leaving out defaults. */
export function marginsUrl(view: Partial<MarginsView> = {}): string {
  const v = { ...DEFAULT_MARGINS, ...view };
  return withQuery('/margins', {
    period: v.period,
    groupBy: v.groupBy === DEFAULT_MARGINS.groupBy ? undefined : v.groupBy,
    currency: v.currency,
    sort: v.sort === DEFAULT_MARGINS.sort ? undefined : v.sort,
    order: v.order === DEFAULT_MARGINS.order ? undefined : v.order,
    offset: v.offset > 0 ? String(v.offset) : undefined,
  });
}

/** The customers view's settings of a state (what the view's query takes). */
export const customersViewOf = ({
  period,
  sort,
  order,
  filter,
  plan,
  currency,
  search,
  offset,
}: CustomersView): CustomersView => ({
  period,
  sort,
  order,
  filter,
  plan,
  currency,
  search,
  offset,
});

/** The URL of the customers view in `view`, leaving out defaults (the shortest link to it). */
export function customersUrl(view: Partial<CustomersView> = {}): string {
  const v = { ...DEFAULT_VIEW, ...view };
  return withQuery('/', {
    period: v.period,
    sort: v.sort === DEFAULT_VIEW.sort ? undefined : v.sort,
    order: v.order === DEFAULT_VIEW.order ? undefined : v.order,
    filter: v.filter.join(','),
    plan: v.plan,
    currency: v.currency,
    search: v.search,
    offset: v.offset > 0 ? String(v.offset) : undefined,
  });
}

/** A customer's page in a period. */
export const customerUrl = (customerId: string, period: string | undefined): string =>
  withQuery(`/customers/${encodeURIComponent(customerId)}`, { period });

function withQuery(path: string, values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  return q.size > 0 ? `${path}?${q.toString()}` : path;
}
