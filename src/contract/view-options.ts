// The options of our views — the customers view (issue #14), margins (issue #29) — in a module of
// their own without a schema library: the dashboard's URL state reads them too.

/** Columns the customers view sorts by. */
export const VIEW_SORTS = [
  'name',
  'plan',
  'currency',
  'totalCost',
  'usdTotalCost',
  'budget',
  'percentUsed',
  'forecast',
  'anomalies',
  'lastModified',
  'price',
  'margin',
  'marginPercent',
] as const;
export type ViewSort = (typeof VIEW_SORTS)[number];

/** Standings the customers view filters by (all given must hold). */
export const VIEW_FILTERS = ['over-budget', 'trending-over', 'no-budget', 'anomaly', 'negative-margin'] as const;
export type ViewFilter = (typeof VIEW_FILTERS)[number];

/** What margins are grouped by. */
export const MARGIN_GROUPS = ['customer', 'reseller', 'subscription', 'meterCategory', 'publisher'] as const;
export type MarginGroup = (typeof MARGIN_GROUPS)[number];

/** Columns the margins route sorts by. */
export const MARGIN_SORTS = [
  'group',
  'name',
  'currency',
  'cost',
  'price',
  'margin',
  'marginPercent',
  'pecEarned',
] as const;
export type MarginSort = (typeof MARGIN_SORTS)[number];
