import type { JsonDecimal } from './exact-json.js';

/**
 * Partner Center's wire types for the usage routes (shared/seeds; shared/docs/partner-center-api.md
 * §4), shared by the server, the SDK and the CLI. Money is a JsonDecimal: written as a JSON
 * number with all its digits.
 */

export interface ResourceAttributes {
  readonly objectType: string;
  readonly etag?: string;
}

export interface KeyValuePair {
  readonly key: string;
  readonly value: string;
}

export interface Link {
  readonly uri: string;
  readonly method: string;
  readonly headers: readonly KeyValuePair[];
}

export interface ResourceCollection<T> {
  readonly totalCount: number;
  readonly items: readonly T[];
  readonly links: { readonly self: Link; readonly next?: Link };
  readonly attributes: { readonly objectType: 'Collection' };
}

export interface SpendingBudget {
  /** Absent when the customer has no budget. */
  readonly amount?: JsonDecimal;
  readonly attributes: { readonly objectType: 'SpendingBudget' };
}

/** Azure plan records carry currencyCode and usdTotalCost; legacy (0145P) ones currencyLocale. */
export type RecordCurrency =
  | { readonly currencyCode: string; readonly usdTotalCost: JsonDecimal }
  | { readonly currencyLocale: string; readonly usdTotalCost: JsonDecimal };

export type CustomerMonthlyUsageRecord = {
  readonly budget: SpendingBudget;
  /** Present on legacy customers, as in Partner Center's example. */
  readonly customerSpendingBudget?: SpendingBudget;
  readonly percentUsed: JsonDecimal;
  readonly isUpgraded: boolean;
  readonly resourceId: string;
  readonly id: string;
  readonly resourceName: string;
  readonly name: string;
  readonly totalCost: JsonDecimal;
  readonly lastModifiedDate: string;
  readonly attributes: { readonly objectType: 'CustomerMonthlyUsageRecord' };
} & RecordCurrency;

export type MeterUsageRecord = {
  readonly subscriptionId: string;
  readonly meterId: string;
  readonly meterName: string;
  readonly category: string;
  readonly subcategory: string;
  readonly quantityUsed: JsonDecimal;
  readonly unit: string;
  readonly totalCost: JsonDecimal;
  readonly lastModifiedDate: string;
  readonly attributes: { readonly objectType: 'MeterUsageRecord' };
} & RecordCurrency;
