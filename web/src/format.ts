import type { JsonDecimal } from '../../src/contract/exact-json.js';

/** The browser's languages, for everything but a customer's money. */
export const uiLocale = (): string => navigator.language || 'en-US';

const cache = new Map<string, Intl.NumberFormat>();

/**
 * Money in the customer's currency: an Azure plan's currency code in the browser's locale, a legacy
 * customer's culture (currencyLocale) for its own. Intl formats the exact decimal text, never a
 * float.
 */
export function money(
  amount: JsonDecimal | string | null | undefined,
  currency: { currencyCode?: string | undefined; currencyLocale?: string | undefined },
  code?: string,
): string {
  if (amount === null || amount === undefined) return '—';
  const text = typeof amount === 'string' ? amount : amount.text;
  const currencyCode = code ?? currency.currencyCode;
  const locale = currency.currencyLocale ?? uiLocale();
  const key = `${locale}|${currencyCode ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    f = currencyCode
      ? new Intl.NumberFormat(locale, { style: 'currency', currency: currencyCode })
      : new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    cache.set(key, f);
  }
  return f.format(text as `${number}`);
}

export const usd = (amount: JsonDecimal | string | null | undefined): string => money(amount, { currencyCode: 'USD' });

export function percent(amount: JsonDecimal | string): string {
  const text = typeof amount === 'string' ? amount : amount.text;
  return `${new Intl.NumberFormat(uiLocale(), { maximumFractionDigits: 2 }).format(text as `${number}`)} %`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(uiLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(uiLocale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso));
}

export function periodName(period: string): string {
  return new Intl.DateTimeFormat(uiLocale(), { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    new Date(`${period}-01T00:00:00Z`),
  );
}

/** A decimal's value as a number, for a chart's scale and a bar's width only — never for money shown or summed. */
export const plotted = (amount: JsonDecimal | string | null | undefined): number =>
  amount === null || amount === undefined ? 0 : Number(typeof amount === 'string' ? amount : amount.text);
