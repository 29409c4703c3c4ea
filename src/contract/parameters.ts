import { Type, type TSchema } from '@sinclair/typebox';
import { apiErrors } from './api-errors.js';
import { BILLING_PERIOD_PATTERN, billingPeriodProblem } from './billing-period.js';
import { VIEW_FILTERS, VIEW_SORTS, type ViewFilter } from './view-options.js';

/**
 * The parameters of the usage family, each with its wire name, its schema (for the OpenAPI
 * document) and its parser, which turns the raw text into a value or throws the 400 ApiError
 * naming the parameter. The server validates every request through these; nothing else parses.
 */
export interface Parameter<T = unknown> {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: TSchema;
  readonly parse: (raw: string) => T;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = (name: string, description: string): Parameter<string> => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: Type.String({ format: 'uuid' }),
  parse: (raw) => {
    if (!GUID.test(raw)) throw apiErrors.invalidGuid(name, raw);
    return raw.toLowerCase();
  },
});

export const customerTenantId = guid('customer-tenant-id', "The customer's tenant id.");
export const subscriptionId = guid(
  'subscription-id',
  "The subscription id; for an Azure plan, the plan's Partner Center subscription id.",
);

export const period: Parameter<string> = {
  name: 'period',
  in: 'query',
  required: false,
  description:
    'A partner-usage extension: the billing period YYYY-MM (default: the current UTC month), from 2010-01 to the month after the current one.',
  schema: Type.String({ pattern: BILLING_PERIOD_PATTERN }),
  parse: (raw) => {
    const problem = billingPeriodProblem(raw);
    if (problem) throw apiErrors.invalidInput(`The period '${raw.slice(0, 40)}' ${problem}.`);
    return raw;
  },
};

export const MAX_PAGE_SIZE = 1000;

export const size: Parameter<number> = {
  name: 'size',
  in: 'query',
  required: false,
  description: `Opt-in keyset paging: pages of this many items (1–${MAX_PAGE_SIZE}), followed by links.next.`,
  schema: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
  parse: (raw) => {
    const value = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= 1 && value <= MAX_PAGE_SIZE)) {
      throw apiErrors.invalidInput(`The size '${raw.slice(0, 40)}' is not a page size from 1 to ${MAX_PAGE_SIZE}.`);
    }
    return value;
  },
};

// Partner Center's SDKs send `Z` (a literal, whatever the offset) or `±hh:mm`, and build query
// strings without encoding, so a `+hh:mm` arrives as ` hh:mm`; a date alone is midnight UTC.
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?(Z|[+\- ]\d\d:?\d\d)?)?$/i;

/** Milliseconds since the epoch of a date-time as Partner Center's clients send it; undefined when it is none. */
export function parseDateTime(raw: string): number | undefined {
  const m = DATE_TIME.exec(raw.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(frac.padEnd(3, '0').slice(0, 3)),
  );
  const check = new Date(ms);
  if (
    check.getUTCDate() !== Number(d) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return undefined;
  }
  if (zone.toUpperCase() === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  if (offset > 14 * 60) return undefined;
  return ms - sign * offset * 60_000;
}

const dateTime = (name: string, description: string): Parameter<number> => ({
  name,
  in: 'query',
  required: true,
  description,
  schema: Type.String({ format: 'date-time' }),
  parse: (raw) => {
    const value = parseDateTime(raw);
    if (value === undefined) {
      throw apiErrors.invalidInput(
        `The ${name} '${raw.slice(0, 40)}' is not a date-time (e.g. 2026-11-01T00:00:00Z or 2026-11-01T00:00:00-08:00).`,
      );
    }
    return value;
  },
});

export const startTime = dateTime('start_time', 'The window start (UTC `Z` or `±hh:mm`), inclusive.');
export const endTime = dateTime('end_time', 'The window end (UTC `Z` or `±hh:mm`), exclusive.');

/** A pattern matching `word` in any case: JSON Schema's patterns have no case-insensitive flag. */
const anyCase = (word: string) => [...word].map((c) => `[${c}${c.toUpperCase()}]`).join('');

const choice = <T extends string>(
  name: string,
  values: readonly T[],
  fallback: T,
  description: string,
): Parameter<T> => ({
  name,
  in: 'query',
  required: false,
  description: `${description} Any case (${values.join(', ')}); default ${fallback}.`,
  schema: Type.String({ pattern: `^(${values.map(anyCase).join('|')})$` }),
  parse: (raw) => {
    const value = values.find((v) => v === raw.trim().toLowerCase());
    if (value === undefined) throw apiErrors.invalidEnum(name, raw);
    return value;
  },
});

export const granularity = choice('granularity', ['daily', 'hourly'] as const, 'daily', 'Record granularity.');
export const showDetails = choice('show_details', ['true', 'false'] as const, 'true', 'Include instanceData.');

const ourId = (name: string, prefix: string, description: string): Parameter<string> => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: Type.String({ pattern: `^${prefix}_[0-9a-f]{32}$` }),
  parse: (raw) => {
    if (!new RegExp(`^${prefix}_[0-9a-f]{32}$`).test(raw)) {
      throw apiErrors.invalidInput(`The ${name} '${raw.slice(0, 40)}' is not a ${prefix}_ id.`);
    }
    return raw;
  },
});

export const webhookId = ourId('webhook-id', 'ep', 'A webhook endpoint id (ep_…).');
export const deliveryId = ourId('delivery-id', 'msg', 'A delivery id (msg_…), the webhook-id of its attempts.');

// The customers view (issue #14: the dashboard's table), our extension.

const oneOf = <T extends string>(name: string, values: readonly T[], description: string): Parameter<T> => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: Type.Union(values.map((v) => Type.Literal(v))),
  parse: (raw) => {
    if (!values.includes(raw as T)) {
      throw apiErrors.invalidInput(`The ${name} '${raw.slice(0, 40)}' is not one of ${values.join(', ')}.`);
    }
    return raw as T;
  },
});

export const sortBy = oneOf('sort', VIEW_SORTS, 'The column to sort by (default percentUsed).');
export const sortOrder = oneOf('order', ['asc', 'desc'] as const, 'asc or desc (default desc).');
export const planFilter = oneOf('plan', ['azure-plan', 'legacy'] as const, 'Only customers of this plan kind.');

export const viewFilters: Parameter<ViewFilter[]> = {
  name: 'filter',
  in: 'query',
  required: false,
  description: `Comma-separated standings that must all hold: ${VIEW_FILTERS.join(', ')}.`,
  schema: Type.String({ pattern: `^((${VIEW_FILTERS.join('|')})(,(${VIEW_FILTERS.join('|')}))*)?$` }),
  parse: (raw) => {
    const list = raw.split(',').filter((f) => f !== '');
    const bad = list.find((f) => !VIEW_FILTERS.includes(f as ViewFilter));
    if (bad !== undefined) {
      throw apiErrors.invalidInput(`The filter '${bad.slice(0, 40)}' is not one of ${VIEW_FILTERS.join(', ')}.`);
    }
    return list as ViewFilter[];
  },
};

export const currencyFilter: Parameter<string> = {
  name: 'currency',
  in: 'query',
  required: false,
  description: 'Only customers billed in this ISO 4217 currency.',
  schema: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  parse: (raw) => {
    if (!/^[A-Za-z]{3}$/.test(raw))
      throw apiErrors.invalidInput(`The currency '${raw.slice(0, 40)}' is not a currency code.`);
    return raw.toUpperCase();
  },
};

export const search: Parameter<string> = {
  name: 'search',
  in: 'query',
  required: false,
  description: 'Customers whose name contains it (any case) or whose tenant id starts with it.',
  schema: Type.String({ maxLength: 200 }),
  parse: (raw) => {
    if (raw.length > 200) throw apiErrors.invalidInput('The search is longer than 200 characters.');
    return raw.trim().toLowerCase();
  },
};

const integerIn = (name: string, min: number, max: number, description: string): Parameter<number> => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: Type.Integer({ minimum: min, maximum: max }),
  parse: (raw) => {
    const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      throw apiErrors.invalidInput(`The ${name} '${raw.slice(0, 40)}' is not a whole number from ${min} to ${max}.`);
    }
    return value;
  },
});

export const offset = integerIn('offset', 0, 100_000_000, 'Rows of the sorted view to skip (default 0).');
export const viewSize = integerIn('size', 1, MAX_PAGE_SIZE, `Rows to answer (default 50, at most ${MAX_PAGE_SIZE}).`);
export const days = integerIn('days', 1, 92, 'How many days up to the end of the period (default 30).');

export const customerFilter: Parameter<string> = {
  name: 'customer',
  in: 'query',
  required: false,
  description: "One customer's lines only: its tenant id.",
  schema: Type.String({ format: 'uuid' }),
  parse: (raw) => {
    if (!GUID.test(raw)) throw apiErrors.invalidGuid('customer', raw);
    return raw.toLowerCase();
  },
};

/** The export files of GET /v1/partnerusage/exports/{file}: FOCUS or the reconciliation file, CSV or Parquet. */
export const EXPORT_FILES = ['focus.csv', 'focus.parquet', 'lineitems.csv', 'lineitems.parquet'] as const;

export const exportFile: Parameter<(typeof EXPORT_FILES)[number]> = {
  name: 'file',
  in: 'path',
  required: true,
  description: 'focus.csv, focus.parquet (FOCUS 1.2), lineitems.csv or lineitems.parquet (the reconciliation file).',
  schema: Type.Union(EXPORT_FILES.map((f) => Type.Literal(f))),
  parse: (raw) => {
    const file = EXPORT_FILES.find((f) => f === raw.toLowerCase());
    if (!file) throw apiErrors.invalidEnum('file', raw);
    return file;
  },
};
