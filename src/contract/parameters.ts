import { Type, type TSchema } from '@sinclair/typebox';
import { apiErrors } from './api-errors.js';
import { BILLING_PERIOD_PATTERN, billingPeriodProblem } from './billing-period.js';
import { MARGIN_GROUPS, MARGIN_SORTS, VIEW_FILTERS, VIEW_SORTS, type ViewFilter } from './view-options.js';

const isViewFilter = (f: string): f is ViewFilter => VIEW_FILTERS.some((v) => v === f);

/**
 * The parameters of the usage family, each with its wire name, its schema (for the OpenAPI
 * document), its parser, which turns the raw text into a value or throws the 400 ApiError
 * naming the parameter, and the value it takes when left out (applied once, by the server). The
 * server validates every request through these; nothing else parses. Each parameter's type says
 * its value's type, its name and whether a handler always has it (a path parameter, a required
 * one, one with a default): a handler's values are typed from its operation's list (ValuesOf).
 */
export interface Parameter<T = unknown, N extends string = string> {
  readonly name: N;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: TSchema;
  readonly parse: (raw: string) => T;
  readonly default?: T;
}

/** A path parameter: always there. */
type PathParameter<T, N extends string> = Parameter<T, N> & { readonly in: 'path'; readonly required: true };
/** A query parameter a request must give (a next page gives it through its token instead). */
type RequiredParameter<T, N extends string> = Parameter<T, N> & { readonly in: 'query'; readonly required: true };
/** An optional query parameter: undefined when left out. */
type OptionalParameter<T, N extends string> = Parameter<T, N> & { readonly in: 'query'; readonly required: false };
/** An optional query parameter with a default: always there. */
type DefaultedParameter<T, N extends string> = OptionalParameter<T, N> & { readonly default: T };

type ValueOf<P> = P extends Parameter<infer T> ? T : never;

/**
 * The values a handler gets for a list of parameters, by wire name: a path parameter, a required
 * one and one with a default are always there; an optional one may be undefined. On a next page
 * (`seek`), a required query parameter may be absent: the page's token carries the first request's.
 */
export type ValuesOf<Ps extends readonly Parameter[], Seek extends boolean = false> = {
  readonly [P in Ps[number] as P['name']]: P extends { readonly in: 'path' } | { readonly default: unknown }
    ? ValueOf<P>
    : P extends { readonly required: true }
      ? Seek extends true
        ? ValueOf<P> | undefined
        : ValueOf<P>
      : ValueOf<P> | undefined;
};

/** A parameter with its default: the value of the parameter when a request leaves it out. */
const withDefault = <T, N extends string>(p: OptionalParameter<T, N>, value: T): DefaultedParameter<T, N> => ({
  ...p,
  default: value,
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = <N extends string>(name: N, description: string): PathParameter<string, N> => ({
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
/** A grantee's tenant (issue #30: access grants). */
export const grantTenantId = guid('tenant-id', "A grantee's tenant id: a customer's or a reseller's tenant.");
export const subscriptionId = guid(
  'subscription-id',
  "The subscription id; for an Azure plan, the plan's Partner Center subscription id.",
);

export const period: OptionalParameter<string, 'period'> = {
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

export const size: OptionalParameter<number, 'size'> = {
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

const dateTime = <N extends string>(name: N, description: string): RequiredParameter<number, N> => ({
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

const choice = <T extends string, N extends string>(
  name: N,
  values: readonly T[],
  fallback: T,
  description: string,
): DefaultedParameter<T, N> => ({
  name,
  in: 'query',
  required: false,
  default: fallback,
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

const ourId = <N extends string>(name: N, prefix: string, description: string): PathParameter<string, N> => ({
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
export const ruleId = ourId('rule-id', 'pr', 'A price rule id (pr_…).');
export const deliveryId = ourId('delivery-id', 'msg', 'A delivery id (msg_…), the webhook-id of its attempts.');

// The customers view (issue #14: the dashboard's table), our extension.

const oneOf = <T extends string, N extends string>(
  name: N,
  values: readonly T[],
  description: string,
): OptionalParameter<T, N> => ({
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

export const sortBy = withDefault(
  oneOf('sort', VIEW_SORTS, 'The column to sort by (default percentUsed).'),
  'percentUsed',
);
export const sortOrder = withDefault(oneOf('order', ['asc', 'desc'] as const, 'asc or desc (default desc).'), 'desc');
export const marginGroup = withDefault(
  oneOf('groupBy', MARGIN_GROUPS, `What the rows are: ${MARGIN_GROUPS.join(', ')} (default customer).`),
  'customer',
);
export const marginSort = withDefault(oneOf('sort', MARGIN_SORTS, 'The column to sort by (default group).'), 'group');
export const marginOrder = withDefault(oneOf('order', ['asc', 'desc'] as const, 'asc (default) or desc.'), 'asc');
export const planFilter = oneOf('plan', ['azure-plan', 'legacy'] as const, 'Only customers of this plan kind.');

export const viewFilters: DefaultedParameter<readonly ViewFilter[], 'filter'> = {
  name: 'filter',
  in: 'query',
  required: false,
  default: [],
  description: `Comma-separated standings that must all hold: ${VIEW_FILTERS.join(', ')}.`,
  schema: Type.String({ pattern: `^((${VIEW_FILTERS.join('|')})(,(${VIEW_FILTERS.join('|')}))*)?$` }),
  parse: (raw) => {
    const list = raw.split(',').filter((f) => f !== '');
    const bad = list.find((f) => !isViewFilter(f));
    if (bad !== undefined) {
      throw apiErrors.invalidInput(`The filter '${bad.slice(0, 40)}' is not one of ${VIEW_FILTERS.join(', ')}.`);
    }
    return list.filter(isViewFilter);
  },
};

export const currencyFilter: OptionalParameter<string, 'currency'> = {
  name: 'currency',
  in: 'query',
  required: false,
  description: 'Only the customers (or rows) billed in this ISO 4217 currency.',
  schema: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  parse: (raw) => {
    if (!/^[A-Za-z]{3}$/.test(raw))
      throw apiErrors.invalidInput(`The currency '${raw.slice(0, 40)}' is not a currency code.`);
    return raw.toUpperCase();
  },
};

export const search: OptionalParameter<string, 'search'> = {
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

const integerIn = <N extends string>(
  name: N,
  min: number,
  max: number,
  description: string,
): OptionalParameter<number, N> => ({
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

export const offset = withDefault(
  integerIn('offset', 0, 100_000_000, 'Rows of the sorted view to skip (default 0).'),
  0,
);
export const viewSize = withDefault(
  integerIn('size', 1, MAX_PAGE_SIZE, `Rows to answer (default 50, at most ${MAX_PAGE_SIZE}).`),
  50,
);
export const marginSize = withDefault(
  integerIn('size', 1, MAX_PAGE_SIZE, `Rows to answer (default and at most ${MAX_PAGE_SIZE}).`),
  MAX_PAGE_SIZE,
);
export const days = withDefault(
  integerIn('days', 1, 92, 'How many days up to the end of the period (default 30).'),
  30,
);

export const customerFilter: OptionalParameter<string, 'customer'> = {
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

/** A customer's statement's forms (GET …/customers/{c}/statement.{format}). */
export const STATEMENT_FORMS = ['pdf', 'csv'] as const;

export const statementForm: PathParameter<(typeof STATEMENT_FORMS)[number], 'format'> = {
  name: 'format',
  in: 'path',
  required: true,
  description: 'pdf (for people) or csv.',
  schema: Type.Union(STATEMENT_FORMS.map((f) => Type.Literal(f))),
  parse: (raw) => {
    const form = STATEMENT_FORMS.find((f) => f === raw.toLowerCase());
    if (!form) throw apiErrors.invalidEnum('format', raw);
    return form;
  },
};

/** The export files of GET /v1/partnerusage/exports/{file}: FOCUS or the reconciliation file, CSV or Parquet. */
export const EXPORT_FILES = ['focus.csv', 'focus.parquet', 'lineitems.csv', 'lineitems.parquet'] as const;

export const exportFile: PathParameter<(typeof EXPORT_FILES)[number], 'file'> = {
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
