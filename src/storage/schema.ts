import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Money columns hold exact decimal text (SQLite has no exact
 * decimal type; PostgreSQL uses NUMERIC): never a REAL. See docs/money.md.
 */
export interface Database {
  partners: PartnersTable;
  customers: CustomersTable;
  subscriptions: SubscriptionsTable;
  alert_rules: AlertRulesTable;
  alert_marks: AlertMarksTable;
  alerts: AlertsTable;
  webhook_endpoints: WebhookEndpointsTable;
  email_recipients: EmailRecipientsTable;
  deliveries: DeliveriesTable;
  anomaly_queue: AnomalyQueueTable;
  export_operations: ExportOperationsTable;
  sync_snapshots: { scope: string; etag: string; lines: number; synced_at: string; periods: string };
  sync_pages: { scope: string; page: number; next_token: string | null; items: string };
  sync_credentials: { partner_tenant_id: string; settings: string; secret: string; updated_at: string };
  audit_log: AuditLogTable;
  price_rules: PriceRulesTable;
  access_grants: AccessGrantsTable;
  archived_periods: ArchivedPeriodsTable;
  price_base_versions: { partner_key: number; period: string; tag: string };
  price_bases: PriceBasesTable;
  entitlements: EntitlementsTable;
  meters: MetersTable;
  resources: ResourcesTable;
  line_blocks: LineBlocksTable;
  /** Parts of the dictionaries line blocks' `fields` number their values in (src/domain/line-fields.ts). */
  line_dictionaries: { batch_id: number; parser: number; seq: number; delta: Buffer };
  customer_usage: CustomerUsageTable;
  subscription_usage: SubscriptionUsageTable;
  meter_usage: MeterUsageTable;
  resource_usage: ResourceUsageTable;
  customer_daily_usage: CustomerDailyUsageTable;
  import_batches: ImportBatchesTable;
  store_state: { id: number; version: string | number };
  server_secrets: { name: string; value: string };
}

export interface PartnersTable {
  partner_key: Generated<number>;
  tenant_id: string;
  name: string;
}

export interface CustomersTable {
  customer_key: Generated<number>;
  partner_key: number;
  tenant_id: string;
  name: string;
  domain: string;
  country: string;
  currency: string;
  currency_locale: string | null;
  /** 'azure-plan' | 'legacy' */
  plan: string;
  /** Monthly spending budget in the billing currency; null = none. */
  budget: string | null;
}

export interface SubscriptionsTable {
  subscription_key: Generated<number>;
  customer_key: number;
  subscription_id: string;
  offer_id: string;
  description: string;
  /** The MpnId of the subscription's lines; '' where none was given (legacy files). */
  partner_on_record: Generated<string>;
}

export interface EntitlementsTable {
  entitlement_key: Generated<number>;
  subscription_key: number;
  entitlement_id: string;
  description: string;
}

export interface MetersTable {
  meter_key: Generated<number>;
  meter_id: string;
  name: string;
  category: string;
  subcategory: string;
  region: string;
  unit: string;
}

export interface ResourcesTable {
  resource_key: Generated<number>;
  entitlement_key: number;
  uri: string;
  /** The URI as first spelled (migration 0011); `uri` is its lower-cased key. */
  display_uri: Generated<string>;
  resource_group: string;
  location: string;
  service: string;
  tags: string;
}

/** Rated line items in columnar blocks; see the migration for the encoding. */
export interface LineBlocksTable {
  block_key: Generated<number>;
  partner_key: number;
  period: string;
  batch_id: number;
  line_count: number;
  identities: Buffer;
  ordinals: Buffer;
  resources: Buffer;
  meters: Buffer;
  days: Buffer;
  /** "quantity,billing total,USD total," per line: ASCII decimal text. */
  amounts: Buffer;
  replaced: Buffer | null;
  /** Every column of the lines as written (src/domain/line-fields.ts); null for blocks stored before migration 0011. */
  fields: Buffer | null;
  /** 2 for lines stored since migration 0004; 1 for lines stored before it (see that migration). */
  identity_scheme: Generated<number>;
}

interface UsageColumns {
  partner_key: number;
  period: string;
  billing_total: string;
  usd_total: string;
  /** ISO-8601 UTC: when this aggregate's values last changed. */
  last_modified: string;
}

export interface CustomerUsageTable extends UsageColumns {
  customer_key: number;
}

export interface SubscriptionUsageTable extends UsageColumns {
  subscription_key: number;
}

export interface MeterUsageTable extends UsageColumns {
  subscription_key: number;
  meter_key: number;
  quantity: string;
}

export interface ResourceUsageTable extends UsageColumns {
  subscription_key: number;
  resource_key: number;
}

/** Per usage day: `day` is yyyymmdd. */
export interface CustomerDailyUsageTable extends UsageColumns {
  customer_key: number;
  day: number;
}

export interface ImportBatchesTable {
  batch_id: Generated<number>;
  file_name: string;
  content_hash: string;
  format: string;
  started_at: string;
  finished_at: string;
  lines: number;
  rejected: number;
  replaced: number;
}

/** Alert thresholds (percent of the budget, "80,100"); customer_key 0: the partner's default. */
export interface AlertRulesTable {
  partner_key: number;
  customer_key: number;
  thresholds: string;
}

/** What has fired for a customer's period: kind threshold ("80"), forecast ("over"), anomaly (a day). */
/** Periods whose meters wait to be looked at for anomalies (migration 0008). */
export interface AnomalyQueueTable {
  scope: string;
  partner_key: number;
  period: string;
  token: string;
  /** Epoch ms: an evaluator holds the row until then. */
  lease_until: number;
}

/** Graph billing exports this server emulates (migration 0009). */
export interface ExportOperationsTable {
  operation_id: string;
  partner_tenant_id: string;
  request: string;
  polls: number;
  created_at: string;
  manifest_id: string | null;
  result: string | null;
}

export interface AlertMarksTable {
  customer_key: number;
  period: string;
  kind: string;
  mark: string;
}

export interface AlertsTable {
  alert_id: string;
  partner_key: number;
  customer_key: number;
  period: string;
  type: string;
  /** The event's JSON, as webhooks send it. */
  payload: string;
  created_at: string;
}

export interface WebhookEndpointsTable {
  endpoint_id: string;
  partner_key: number;
  url: string;
  secret: string;
  events: string;
  enabled: number;
  failures: number;
  created_at: string;
}

export interface EmailRecipientsTable {
  partner_key: number;
  address: string;
}

export interface DeliveriesTable {
  delivery_id: string;
  alert_id: string;
  partner_key: number;
  channel: 'webhook' | 'email';
  target: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Epoch ms. */
  next_attempt_at: number;
  /** Epoch ms: a sender holds the delivery until then. */
  lease_until: number;
  last_error: string;
  created_at: string;
  delivered_at: string | null;
}

/** Migration 0013: a period's lines summed per what chooses their price rule. */
export interface PriceBasesTable {
  partner_key: number;
  period: string;
  customer_tenant_id: string;
  customer_name: string;
  currency: string;
  subscription_id: string;
  subscription_name: string;
  reseller: string;
  category: string;
  publisher: string;
  lines: number;
  cost: string;
  cost_uncovered: string;
  retail_uncovered: string;
  pec: string;
  usd: string;
  usd_uncovered: string;
  usd_retail_uncovered: string;
}

/** Migration 0012; '' in a scope column: none. */
export interface PriceRulesTable {
  rule_id: string;
  partner_key: number;
  basis: string;
  adjust: string;
  customer_tenant_id: string;
  reseller: string;
  category: string;
  publisher: string;
  from_period: string;
  created_at: string;
}

/** Migration 0014. */
export interface AccessGrantsTable {
  tenant_id: string;
  partner_key: number;
  scope: string;
  scope_id: string;
  role: string;
  created_at: string;
}

export interface AuditLogTable {
  audit_key: Generated<number>;
  partner_key: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  old_value: string | null;
  new_value: string | null;
}

export interface ArchivedPeriodsTable {
  partner_key: number;
  period: string;
  archived_at: string;
  file: string;
  tag: string | null;
  lines: number | null;
}
