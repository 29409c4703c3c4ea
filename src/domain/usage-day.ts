/** A usage day as the store keeps it: yyyymmdd, a UTC calendar day. */
export type UsageDay = number;

export const DAY_MS = 86_400_000;

/** The UTC midnight a usage day starts at, in epoch milliseconds. */
export const usageDayMs = (day: UsageDay): number =>
  Date.UTC(Math.floor(day / 10000), (Math.floor(day / 100) % 100) - 1, day % 100);

/** The usage day `days` days after `day` (before, when negative). */
export function addDays(day: UsageDay, days: number): UsageDay {
  const d = new Date(usageDayMs(day) + days * DAY_MS);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** The first day of a billing period (`YYYY-MM`), and the first day after it. */
export function periodDays(period: string): { first: UsageDay; end: UsageDay } {
  const first = Number(period.replace('-', '')) * 100 + 1;
  return { first, end: first + 100 };
}

/** The billing period (`YYYY-MM`) a usage day belongs to. */
export const periodOf = (day: UsageDay): string =>
  `${Math.floor(day / 10000)}-${String(Math.floor(day / 100) % 100).padStart(2, '0')}`;

/** A usage day as a date, `YYYY-MM-DD`. */
export const dayDate = (day: UsageDay): string => {
  const t = String(day);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`;
};
