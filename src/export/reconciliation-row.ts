import { dayDate } from '../domain/usage-day.js';
import type { DailyRatedColumn } from '../domain/line-schema.js';
import type { StoredLineRow } from '../storage/line-reader.js';

/** A billing period's first instant and the first instant after it, ISO-8601 UTC. */
export function periodBounds(period: string): { start: string; end: string } {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return {
    start: new Date(Date.UTC(year, month - 1, 1)).toISOString().replace('.000Z', 'Z'),
    end: new Date(Date.UTC(year, month, 1)).toISOString().replace('.000Z', 'Z'),
  };
}

const bounds = new Map<string, { start: string; end: string }>();

/** periodBounds remembered: every line of a period has the same. */
export function boundsOf(period: string): { start: string; end: string } {
  let b = bounds.get(period);
  if (!b) bounds.set(period, (b = periodBounds(period)));
  return b;
}

/**
 * A line stored before migration 0011 (which keeps every column: line-fields.ts) as a daily-rated
 * reconciliation line: the file's columns, filled from what the store kept then (ids, names, the
 * resource, the meter, the day and the three amounts). What it did not keep — unit prices,
 * exchange rates, benefits, credits, invoice numbers — is empty, which the importer accepts; the
 * billing total, the USD total (as the USD pricing total) and the quantity are exact, so a file or
 * export made of these rows imports to the same totals.
 */
export function reconciliationRow(row: StoredLineRow): Record<DailyRatedColumn, string> {
  const { partner, customer, subscription, entitlement, resource } = row.owner;
  const meter = row.meter;
  const offer = subscription.offerId.split(':');
  const [productId, skuId, availabilityId] = offer.length === 3 ? offer : ['', '', ''];
  const bounds = boundsOf(row.period);
  return {
    PartnerId: partner.tenantId,
    PartnerName: partner.name,
    CustomerId: customer.tenantId,
    CustomerName: customer.name,
    CustomerDomainName: customer.domain,
    CustomerCountry: customer.country,
    MpnId: subscription.partnerOnRecord,
    Tier2MpnId: '',
    InvoiceNumber: '',
    ProductId: productId!,
    SkuId: skuId!,
    AvailabilityId: availabilityId!,
    SkuName: '',
    ProductName: customer.plan === 'legacy' ? 'Microsoft Azure' : 'Azure plan',
    PublisherName: 'Microsoft',
    PublisherId: '',
    SubscriptionDescription: subscription.description,
    SubscriptionId: subscription.id,
    ChargeStartDate: bounds.start,
    ChargeEndDate: bounds.end,
    UsageDate: `${dayDate(row.day)}T00:00:00Z`,
    MeterType: '',
    MeterCategory: meter.category,
    MeterId: meter.meterId,
    MeterSubCategory: meter.subcategory,
    MeterName: meter.name,
    MeterRegion: meter.region,
    Unit: meter.unit,
    ResourceLocation: resource.location,
    ConsumedService: resource.service,
    ResourceGroup: resource.group,
    ResourceURI: resource.uri,
    ChargeType: 'New',
    UnitPrice: '',
    Quantity: row.quantity,
    UnitType: '',
    BillingPreTaxTotal: row.billing,
    BillingCurrency: customer.currency,
    PricingPreTaxTotal: row.usd,
    PricingCurrency: 'USD',
    ServiceInfo1: '',
    ServiceInfo2: '',
    Tags: resource.tags,
    AdditionalInfo: '',
    EffectiveUnitPrice: '',
    PCToBCExchangeRate: '',
    PCToBCExchangeRateDate: '',
    EntitlementId: entitlement.id,
    EntitlementDescription: entitlement.description,
    PartnerEarnedCreditPercentage: '',
    CreditPercentage: '',
    CreditType: '',
    BenefitOrderId: '',
    BenefitId: '',
    BenefitType: '',
  };
}
