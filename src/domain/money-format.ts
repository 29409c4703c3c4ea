import type { JsonDecimal } from '../contract/exact-json.js';
import { currencyForLocale, localeForCurrency } from './currency.js';

/** What a record says about its currency: Azure plans a code, legacy customers a culture. */
export interface CurrencyOf {
  readonly currencyCode?: string | undefined;
  readonly currencyLocale?: string | undefined;
}

/** The ISO 4217 code a record's money is in (a legacy record's culture maps to its currency). */
export function currencyName(record: CurrencyOf): string {
  if (record.currencyCode) return record.currencyCode;
  return (record.currencyLocale && currencyForLocale(record.currencyLocale)) ?? '?';
}

const formats = new Map<string, Intl.NumberFormat>();

/**
 * Money as people read it: the currency's own decimals and symbol, in the customer's culture
 * (legacy) or its currency's usual one. Intl formats the decimal text itself, so nothing passes
 * through a double; `--json` keeps every digit.
 */
export function formatMoney(amount: JsonDecimal | undefined, record: CurrencyOf): string {
  if (amount === undefined) return '-';
  const currency = currencyName(record);
  if (currency === '?') return amount.text;
  const locale = record.currencyLocale ?? localeForCurrency(currency);
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, { style: 'currency', currency })));
  return format.format(amount.text as `${number}`);
}

/** A USD figure as people read it. */
export const formatUsd = (amount: JsonDecimal | undefined) => formatMoney(amount, { currencyCode: 'USD' });
