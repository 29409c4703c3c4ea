/**
 * The domain's nouns as the importer finds them in a reconciliation file. Storage gives each a
 * surrogate key; these carry the natural keys and the descriptive text.
 * See shared/docs/architecture.md for the words.
 */

/** Azure plan (modern, `isUpgraded: true`) or legacy Microsoft Azure offer MS-AZR-0145P. */
export type PlanKind = 'azure-plan' | 'legacy';

export interface PartnerInfo {
  readonly tenantId: string;
  readonly name: string;
}

export interface CustomerInfo {
  readonly partner: number;
  readonly tenantId: string;
  readonly name: string;
  readonly domain: string;
  readonly country: string;
  /** ISO 4217 billing currency. */
  readonly currency: string;
  /** Legacy customers only: the culture their costs are shown in, e.g. fr-FR. */
  readonly currencyLocale: string | null;
  readonly plan: PlanKind;
}

export interface SubscriptionInfo {
  readonly customer: number;
  /** The Partner Center subscription id; for an Azure plan, the plan id. */
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly description: string;
  /** The partner of record's MPN id (the file's MpnId); '' where the file has none (legacy files). */
  readonly partnerOnRecord: string;
}

export interface EntitlementInfo {
  readonly subscription: number;
  /** The Azure subscription id (EntitlementId); legacy subscriptions use their own id. */
  readonly entitlementId: string;
  readonly description: string;
}

export interface MeterInfo {
  readonly meterId: string;
  readonly name: string;
  readonly category: string;
  readonly subcategory: string;
  readonly region: string;
  readonly unit: string;
}

export interface ResourceInfo {
  readonly entitlement: number;
  /** The ARM resource id, its letters in lower case (its key: docs/ingest.md); empty for legacy lines, which name no resource. */
  readonly uri: string;
  /** The resource id as the file first spelled it, for display (Azure writes `resourceGroups`, `Microsoft.Compute`…). */
  readonly displayUri: string;
  readonly group: string;
  readonly location: string;
  readonly service: string;
  /** The Tags column as the file holds it (JSON, or not): kept as text, never parsed. */
  readonly tags: string;
}

/** `YYYY-MM`, the calendar month (UTC) of a line's UsageDate. */
export type BillingPeriod = string;

export function currentBillingPeriod(now = new Date()): BillingPeriod {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The billing period before `period` (Graph's `last`, the line-item API's `previous`). */
export function previousBillingPeriod(period: BillingPeriod): BillingPeriod {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** Each dimension's entry type, by kind. */
export interface DimensionInfo {
  partner: PartnerInfo;
  customer: CustomerInfo;
  subscription: SubscriptionInfo;
  entitlement: EntitlementInfo;
  meter: MeterInfo;
  resource: ResourceInfo;
}

export type DimensionKind = keyof DimensionInfo;
