/**
 * JSON schemas of the wire types in resources.ts and api-errors.ts, with Partner Center's presence
 * rules: what every record has, and the two currency shapes (Azure plan: currencyCode; legacy
 * MS-AZR-0145P: currencyLocale). Used to check responses (tests) and to describe the API.
 */

const objectType = (name: string) =>
  ({
    type: 'object',
    properties: { objectType: { const: name }, etag: { type: 'string' } },
    required: ['objectType'],
    additionalProperties: false,
  }) as const;

const link = {
  type: 'object',
  properties: {
    uri: { type: 'string' },
    method: { type: 'string' },
    headers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { key: { type: 'string' }, value: { type: 'string' } },
        required: ['key', 'value'],
        additionalProperties: false,
      },
    },
  },
  required: ['uri', 'method', 'headers'],
  additionalProperties: false,
} as const;

const guid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const dateTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?[+-]\\d\\d:\\d\\d$',
} as const;

export const spendingBudgetSchema = {
  type: 'object',
  properties: { amount: { type: 'number' }, attributes: objectType('SpendingBudget') },
  required: ['attributes'],
  additionalProperties: false,
} as const;

/** currencyCode + usdTotalCost (Azure plan) or currencyLocale (+ usdTotalCost 0, legacy). */
const currencyRule = {
  oneOf: [
    { required: ['currencyCode', 'usdTotalCost'], not: { required: ['currencyLocale'] } },
    { required: ['currencyLocale'], not: { required: ['currencyCode'] } },
  ],
} as const;

export const customerMonthlyUsageRecordSchema = {
  type: 'object',
  properties: {
    budget: spendingBudgetSchema,
    customerSpendingBudget: spendingBudgetSchema,
    percentUsed: { type: 'number', minimum: 0 },
    isUpgraded: { type: 'boolean' },
    resourceId: guid,
    id: guid,
    resourceName: { type: 'string' },
    name: { type: 'string' },
    totalCost: { type: 'number' },
    currencyCode: { type: 'string', pattern: '^[A-Z]{3}$' },
    currencyLocale: { type: 'string', pattern: '^[a-z]{2,3}-[A-Z]{2}$' },
    usdTotalCost: { type: 'number' },
    lastModifiedDate: dateTime,
    attributes: objectType('CustomerMonthlyUsageRecord'),
  },
  required: [
    'budget',
    'percentUsed',
    'isUpgraded',
    'resourceId',
    'id',
    'resourceName',
    'name',
    'totalCost',
    'lastModifiedDate',
    'attributes',
  ],
  additionalProperties: false,
  ...currencyRule,
} as const;

export const meterUsageRecordSchema = {
  type: 'object',
  properties: {
    subscriptionId: guid,
    meterId: { type: 'string' },
    meterName: { type: 'string' },
    category: { type: 'string' },
    subcategory: { type: 'string' },
    quantityUsed: { type: 'number' },
    unit: { type: 'string' },
    totalCost: { type: 'number' },
    currencyCode: { type: 'string', pattern: '^[A-Z]{3}$' },
    currencyLocale: { type: 'string' },
    usdTotalCost: { type: 'number' },
    lastModifiedDate: dateTime,
    attributes: objectType('MeterUsageRecord'),
  },
  required: [
    'subscriptionId',
    'meterId',
    'meterName',
    'category',
    'subcategory',
    'quantityUsed',
    'unit',
    'totalCost',
    'lastModifiedDate',
    'attributes',
  ],
  additionalProperties: false,
  ...currencyRule,
} as const;

export function collectionSchema<T extends object>(items: T) {
  return {
    type: 'object',
    properties: {
      totalCount: { type: 'integer', minimum: 0 },
      items: { type: 'array', items },
      links: {
        type: 'object',
        properties: { self: link, next: link },
        required: ['self'],
        additionalProperties: false,
      },
      attributes: objectType('Collection'),
    },
    required: ['totalCount', 'items', 'links', 'attributes'],
    additionalProperties: false,
  } as const;
}

export const apiFaultSchema = {
  type: 'object',
  properties: {
    code: { type: 'integer' },
    description: { type: 'string', minLength: 1, maxLength: 1024 },
    data: { type: 'array' },
    source: { const: 'PartnerFD' },
  },
  required: ['code', 'description', 'data', 'source'],
  additionalProperties: false,
} as const;
