import { divide, parseDecimal, formatDecimal } from '../money/decimal.js';

/**
 * The culture a legacy (MS-AZR-0145P) customer's costs are shown in. Partner Center keeps it on
 * the customer; the legacy file only names the currency, so the default culture of that currency
 * is used (docs/ingest.md). EUR maps to fr-FR as in Partner Center's own example.
 */
const LOCALE_BY_CURRENCY: Readonly<Record<string, string>> = {
  USD: 'en-US',
  EUR: 'fr-FR',
  GBP: 'en-GB',
  SEK: 'sv-SE',
  NOK: 'nb-NO',
  DKK: 'da-DK',
  CHF: 'de-CH',
  JPY: 'ja-JP',
  KRW: 'ko-KR',
  TWD: 'zh-TW',
  CNY: 'zh-CN',
  AUD: 'en-AU',
  NZD: 'en-NZ',
  CAD: 'en-CA',
  BRL: 'pt-BR',
  MXN: 'es-MX',
  INR: 'hi-IN',
  ZAR: 'en-ZA',
  PLN: 'pl-PL',
  CZK: 'cs-CZ',
  HUF: 'hu-HU',
  TRY: 'tr-TR',
  ILS: 'he-IL',
  SGD: 'en-SG',
  HKD: 'zh-HK',
  RUB: 'ru-RU',
};

/**
 * The billing currencies this project knows (the ones above): what `sync` asks Microsoft for
 * when not told which, since no API lists a partner's currencies.
 */
export const BILLING_CURRENCIES: readonly string[] = Object.keys(LOCALE_BY_CURRENCY);

export function localeForCurrency(currency: string): string {
  return LOCALE_BY_CURRENCY[currency.toUpperCase()] ?? 'en-US';
}

/** The currency a legacy customer's culture shows costs in (the inverse of the map above); undefined if none. */
export function currencyForLocale(locale: string): string | undefined {
  return Object.entries(LOCALE_BY_CURRENCY).find(([, l]) => l.toLowerCase() === locale.toLowerCase())?.[0];
}

/**
 * Units of a pricing currency per US dollar, used only when a daily-rated line is priced in a
 * currency other than USD and billed in one other than USD too (PricingCurrency ≠ USD and
 * BillingCurrency ≠ USD), which the file gives no USD figure for. Reference rates of 2026-11-02.
 */
const UNITS_PER_USD: Readonly<Record<string, string>> = {
  EUR: '0.921375',
  GBP: '0.78912345',
  SEK: '10.5234',
  NOK: '10.8901',
  DKK: '6.8732',
  CHF: '0.8812',
  JPY: '146.523',
  KRW: '1398.76543',
  TWD: '32.15',
  CNY: '7.1987',
  AUD: '1.5234',
  NZD: '1.6712',
  CAD: '1.3654',
  BRL: '5.4321',
  INR: '83.456',
  ZAR: '18.234',
  PLN: '3.9876',
  SGD: '1.3456',
};

/** USD places kept after a conversion. */
const USD_PLACES = 12;

/** The USD value of `amount` in `currency`, or undefined when no rate is known. */
export function convertToUsd(amount: string, currency: string): string | undefined {
  const upper = currency.toUpperCase();
  if (upper === 'USD') return amount;
  const rate = UNITS_PER_USD[upper];
  const value = parseDecimal(amount);
  if (rate === undefined || value === undefined) return undefined;
  return formatDecimal(divide(value, parseDecimal(rate)!, USD_PLACES));
}
