import type { DimensionInfo, DimensionKind } from '../domain/usage-model.js';

/**
 * The dimension tables as typed data: which field of the domain's entry goes to which column.
 * `columns` must name every field but the parent's (the compiler says when a field is added to an
 * entry and not here), so a new CSV column is its field in usage-model.ts, the decoder's value,
 * a column here and a migration — no positional row to keep in step elsewhere.
 */
interface DimensionTable<Info, Parent extends keyof Info = never> {
  readonly table: string;
  readonly key: string;
  /** The entry's field holding its parent's local index, and the column for the parent's key. */
  readonly parent?: { readonly field: Parent; readonly column: string };
  /** Field → column, in column order (after the parent's). */
  readonly columns: { readonly [F in Exclude<keyof Info, Parent>]: string };
  readonly conflict: readonly string[];
  /** SQL both dialects run on a conflict (`excluded.` the new row). */
  readonly update: string;
}

const partner: DimensionTable<DimensionInfo['partner']> = {
  table: 'partners',
  key: 'partner_key',
  columns: { tenantId: 'tenant_id', name: 'name' },
  conflict: ['tenant_id'],
  update: 'name = excluded.name',
};

const customer: DimensionTable<DimensionInfo['customer'], 'partner'> = {
  table: 'customers',
  key: 'customer_key',
  parent: { field: 'partner', column: 'partner_key' },
  columns: {
    tenantId: 'tenant_id',
    name: 'name',
    domain: 'domain',
    country: 'country',
    currency: 'currency',
    currencyLocale: 'currency_locale',
    plan: 'plan',
  },
  conflict: ['partner_key', 'tenant_id'],
  // A later file without a country keeps the known one; a customer once on an Azure plan stays
  // on it (its legacy lines of earlier months do not make it legacy again).
  update: `name = excluded.name, domain = excluded.domain,
      country = CASE WHEN excluded.country = '' THEN customers.country ELSE excluded.country END,
      currency = excluded.currency,
      currency_locale = CASE WHEN excluded.plan = 'azure-plan' THEN NULL
                             ELSE coalesce(customers.currency_locale, excluded.currency_locale) END,
      plan = CASE WHEN customers.plan = 'azure-plan' THEN customers.plan ELSE excluded.plan END`,
};

const subscription: DimensionTable<DimensionInfo['subscription'], 'customer'> = {
  table: 'subscriptions',
  key: 'subscription_key',
  parent: { field: 'customer', column: 'customer_key' },
  columns: {
    subscriptionId: 'subscription_id',
    offerId: 'offer_id',
    description: 'description',
    partnerOnRecord: 'partner_on_record',
  },
  conflict: ['customer_key', 'subscription_id'],
  // A file without MpnId (a legacy one) keeps the partner of record an earlier file named.
  update: `offer_id = excluded.offer_id, description = excluded.description,
      partner_on_record = CASE WHEN excluded.partner_on_record = '' THEN subscriptions.partner_on_record
                               ELSE excluded.partner_on_record END`,
};

const entitlement: DimensionTable<DimensionInfo['entitlement'], 'subscription'> = {
  table: 'entitlements',
  key: 'entitlement_key',
  parent: { field: 'subscription', column: 'subscription_key' },
  columns: { entitlementId: 'entitlement_id', description: 'description' },
  conflict: ['subscription_key', 'entitlement_id'],
  update: 'description = excluded.description',
};

const meter: DimensionTable<DimensionInfo['meter']> = {
  table: 'meters',
  key: 'meter_key',
  columns: {
    meterId: 'meter_id',
    name: 'name',
    category: 'category',
    subcategory: 'subcategory',
    region: 'region',
    unit: 'unit',
  },
  conflict: ['meter_id'],
  update:
    'name = excluded.name, category = excluded.category, subcategory = excluded.subcategory, region = excluded.region, unit = excluded.unit',
};

const resource: DimensionTable<DimensionInfo['resource'], 'entitlement'> = {
  table: 'resources',
  key: 'resource_key',
  parent: { field: 'entitlement', column: 'entitlement_key' },
  columns: {
    uri: 'uri',
    displayUri: 'display_uri',
    group: 'resource_group',
    location: 'location',
    service: 'service',
    tags: 'tags',
  },
  conflict: ['entitlement_key', 'uri'],
  update:
    'display_uri = excluded.display_uri, resource_group = excluded.resource_group, location = excluded.location, service = excluded.service, tags = excluded.tags',
};

/** What the dialects' writers need: the table, its key, its insert columns in row order. */
export interface DimensionSql {
  readonly table: string;
  readonly key: string;
  readonly columns: readonly string[];
  readonly conflict: readonly string[];
  readonly update: string;
}

interface AnyDimensionTable {
  readonly table: string;
  readonly key: string;
  readonly parent?: { readonly field: string; readonly column: string };
  readonly columns: Readonly<Record<string, string>>;
  readonly conflict: readonly string[];
  readonly update: string;
}

const TABLES: Readonly<Record<DimensionKind, AnyDimensionTable>> = {
  partner,
  customer,
  subscription,
  entitlement,
  meter,
  resource,
};

const KINDS = Object.keys(TABLES) as DimensionKind[];

const byKind = <T>(f: (d: AnyDimensionTable) => T): Readonly<Record<DimensionKind, T>> =>
  Object.fromEntries(KINDS.map((kind) => [kind, f(TABLES[kind])])) as Record<DimensionKind, T>;

export const DIMENSIONS = byKind<DimensionSql>((d) => ({
  table: d.table,
  key: d.key,
  columns: [...(d.parent ? [d.parent.column] : []), ...Object.values(d.columns)],
  conflict: d.conflict,
  update: d.update.replace(/\s+/g, ' '),
}));

const FIELDS = byKind((d) => Object.keys(d.columns));

/**
 * Entries as rows of DIMENSIONS[kind].columns: the parent's storage key (its local index looked
 * up in `parentKeys`) first, then the fields in column order.
 */
export function dimensionRows<K extends DimensionKind>(
  kind: K,
  entries: readonly DimensionInfo[K][],
  parentKeys: readonly number[] = [],
): unknown[][] {
  const parent = TABLES[kind].parent?.field;
  const fields = FIELDS[kind];
  return entries.map((info) => {
    const entry = info as unknown as Readonly<Record<string, unknown>>;
    const row: unknown[] = parent === undefined ? [] : [parentKeys[entry[parent] as number]];
    for (const field of fields) row.push(entry[field]);
    return row;
  });
}
