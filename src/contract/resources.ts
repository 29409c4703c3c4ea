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

/** GET /v1/customers/{c}/subscriptions/usagerecords items. */
export type SubscriptionMonthlyUsageRecord = {
  readonly status: 'none' | 'active' | 'suspended' | 'deleted';
  readonly partnerOnRecord?: string;
  readonly offerId: string;
  readonly resourceId: string;
  readonly id?: string;
  readonly resourceName: string;
  readonly name?: string;
  readonly totalCost: JsonDecimal;
  readonly lastModifiedDate: string;
  readonly attributes: { readonly objectType: 'SubscriptionMonthlyUsageRecord' };
} & Partial<RecordCurrency>;

/** GET /v1/customers/{c}/subscriptions/{s}/resourceusagerecords items (Azure plan). */
export type ResourceUsageRecord = {
  readonly subscriptionId: string;
  readonly resourceUri: string;
  readonly resourceType: string;
  readonly entitlementId: string;
  readonly entitlementName: string;
  readonly resourceGroupName: string;
  readonly resourceName: string;
  readonly name?: string;
  readonly totalCost: JsonDecimal;
  readonly lastModifiedDate: string;
  readonly attributes: { readonly objectType: 'ResourceUsageRecord' };
} & Partial<RecordCurrency>;

interface UsageSummaryBase {
  readonly resourceId: string;
  readonly resourceName: string;
  readonly billingStartDate: string;
  readonly billingEndDate: string;
  readonly totalCost: JsonDecimal;
  readonly currencyLocale?: string;
  readonly currencyCode?: string;
  readonly usdTotalCost?: JsonDecimal;
  readonly lastModifiedDate: string;
  readonly links?: { readonly self: Link };
}

/** GET /v1/customers/{c}/usagesummary. */
export interface CustomerUsageSummary extends UsageSummaryBase {
  readonly budget: SpendingBudget;
  readonly attributes: { readonly objectType: 'CustomerUsageSummary' };
}

/** GET /v1/customers/{c}/subscriptions/{s}/usagesummary. */
export interface SubscriptionUsageSummary extends UsageSummaryBase {
  readonly attributes: { readonly objectType: 'SubscriptionUsageSummary' };
}

/** GET /v1/usagesummary. */
export interface PartnerUsageSummary extends UsageSummaryBase {
  readonly customersOverBudget: JsonDecimal;
  readonly customersTrendingOver: JsonDecimal;
  readonly customersWithUsageBasedSubscription: JsonDecimal;
  readonly attributes: { readonly objectType: 'PartnerUsageSummary' };
}
