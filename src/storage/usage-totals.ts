/**
 * A usage total read through a LEFT JOIN: null where the customer or subscription has no usage
 * in the period, which is spend of zero. Decimal columns come back as strings (SQLite's text,
 * PostgreSQL's numeric): String() keeps every digit.
 */
export function decimalOrZero(value: string | number | null): string {
  return value === null ? '0' : String(value);
}

/** A row's billing and USD totals, zero where it has none. */
export function totalsOrZero(row: {
  readonly billing_total: string | number | null;
  readonly usd_total: string | number | null;
}): { billingTotal: string; usdTotal: string } {
  return { billingTotal: decimalOrZero(row.billing_total), usdTotal: decimalOrZero(row.usd_total) };
}
