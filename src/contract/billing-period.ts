/** Usage before Azure's commercial launch (February 2010) is no plausible billing period. */
export const FIRST_BILLING_PERIOD = '2010-01';

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * The part of the rule a JSON schema can state: YYYY-MM from 2010 on (the upper bound moves
 * with the clock, so the API's description says it in words).
 */
export const BILLING_PERIOD_PATTERN = '^(201\\d|20[2-9]\\d|2[1-9]\\d\\d|[3-9]\\d{3})-(0[1-9]|1[0-2])$';

/** The last period anything can be imported into: the month after `now`'s (a clock ahead, time zones). */
export function lastBillingPeriod(now = new Date()): string {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Why `text` is not a period the store can hold (not YYYY-MM, before 2010-01 or after the month
 * after this one: the importer's own bounds), or undefined when it is one. The API and the CLI
 * both apply it, so no route answers for a period no line can be in.
 */
export function billingPeriodProblem(text: string, now = new Date()): string | undefined {
  if (!PERIOD.test(text)) return 'is not a billing period (YYYY-MM)';
  const last = lastBillingPeriod(now);
  if (text < FIRST_BILLING_PERIOD || text > last)
    return `is outside the billing periods held (${FIRST_BILLING_PERIOD} to ${last})`;
  return undefined;
}
