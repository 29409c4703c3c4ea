import type { Kysely } from 'kysely';
import type { PlanKind } from '../domain/usage-model.js';
import type { Database } from './schema.js';
import type {
  CustomerUsageRow,
  ImportBatchRow,
  KeysetPage,
  MeterUsageQuery,
  MeterUsageResult,
  PartnerRow,
} from './store.js';

/** The read side of the store, in Kysely: the same queries on every dialect. */
export abstract class StoreQueries {
  protected constructor(protected readonly db: Kysely<Database>) {}

  /** Called after every write this store makes, so that dataVersion() moves at once. */
  protected abstract noteChange(): Promise<void>;

  async partners(): Promise<PartnerRow[]> {
    const rows = await this.db
      .selectFrom('partners as p')
      .leftJoin('customers as c', 'c.partner_key', 'p.partner_key')
      .select(({ fn }) => ['p.tenant_id', 'p.name', fn.count<number>('c.customer_key').as('customers')])
      .groupBy(['p.partner_key', 'p.tenant_id', 'p.name'])
      .orderBy('p.tenant_id')
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, name: r.name, customers: Number(r.customers) }));
  }

  async customerCurrencies(partnerTenantId?: string): Promise<[string, string, string][]> {
    let query = this.db
      .selectFrom('customers as c')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .select(['p.tenant_id as partner', 'c.tenant_id as customer', 'c.currency']);
    if (partnerTenantId !== undefined) query = query.where('p.tenant_id', '=', partnerTenantId);
    return (await query.execute()).map((r) => [r.partner, r.customer, r.currency]);
  }

  async customerUsage(partnerTenantId: string, period: string, page?: KeysetPage): Promise<CustomerUsageRow[]> {
    let query = this.db
      .selectFrom('customers as c')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .leftJoin('customer_usage as u', (join) =>
        join
          .onRef('u.customer_key', '=', 'c.customer_key')
          .onRef('u.partner_key', '=', 'c.partner_key')
          .on('u.period', '=', period),
      )
      .select([
        'c.tenant_id',
        'c.name',
        'c.currency',
        'c.currency_locale',
        'c.plan',
        'c.budget',
        'u.billing_total',
        'u.usd_total',
        'u.last_modified',
      ])
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .orderBy('c.tenant_id');
    if (page?.after !== undefined) query = query.where('c.tenant_id', '>', page.after);
    if (page) query = query.limit(page.limit);
    const rows = await query.execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      name: r.name,
      currency: r.currency,
      currencyLocale: r.currency_locale,
      plan: r.plan as PlanKind,
      budget: r.budget === null ? null : String(r.budget),
      billingTotal: r.billing_total === null ? '0' : String(r.billing_total),
      usdTotal: r.usd_total === null ? '0' : String(r.usd_total),
      lastModified: r.last_modified,
    }));
  }

  async customerCount(partnerTenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('customers as c')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async meterUsage(q: MeterUsageQuery): Promise<MeterUsageResult> {
    const customer = await this.db
      .selectFrom('customers as c')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .select(['c.customer_key', 'c.currency', 'c.currency_locale', 'c.plan', 'c.partner_key'])
      .where('p.tenant_id', '=', q.partnerTenantId.toLowerCase())
      .where('c.tenant_id', '=', q.customerTenantId.toLowerCase())
      .executeTakeFirst();
    if (!customer) return { found: 'customer-missing' };
    const subscription = await this.db
      .selectFrom('subscriptions')
      .select(['subscription_key', 'subscription_id'])
      .where('customer_key', '=', customer.customer_key)
      .where('subscription_id', '=', q.subscriptionId.toLowerCase())
      .executeTakeFirst();
    if (!subscription) return { found: 'subscription-missing' };
    let meterQuery = this.db
      .selectFrom('meter_usage as u')
      .innerJoin('meters as m', 'm.meter_key', 'u.meter_key')
      .select([
        'm.meter_id',
        'm.name',
        'm.category',
        'm.subcategory',
        'm.unit',
        'u.quantity',
        'u.billing_total',
        'u.usd_total',
        'u.last_modified',
      ])
      .where('u.partner_key', '=', customer.partner_key)
      .where('u.period', '=', q.period)
      .where('u.subscription_key', '=', subscription.subscription_key)
      .orderBy('m.meter_id');
    if (q.page?.after !== undefined) meterQuery = meterQuery.where('m.meter_id', '>', q.page.after);
    if (q.page) meterQuery = meterQuery.limit(q.page.limit);
    const meters = await meterQuery.execute();
    return {
      found: 'ok',
      subscriptionId: subscription.subscription_id,
      currency: customer.currency,
      currencyLocale: customer.currency_locale,
      plan: customer.plan as PlanKind,
      meters: meters.map((m) => ({
        meterId: m.meter_id,
        meterName: m.name,
        category: m.category,
        subcategory: m.subcategory,
        unit: m.unit,
        quantity: String(m.quantity),
        billingTotal: String(m.billing_total),
        usdTotal: String(m.usd_total),
        lastModified: m.last_modified,
      })),
    };
  }

  async setBudget(partnerTenantId: string, customerTenantId: string, amount: string | null): Promise<boolean> {
    const partner = await this.db
      .selectFrom('partners')
      .select('partner_key')
      .where('tenant_id', '=', partnerTenantId.toLowerCase())
      .executeTakeFirst();
    if (!partner) return false;
    const result = await this.db
      .updateTable('customers')
      .set({ budget: amount })
      .where('partner_key', '=', partner.partner_key)
      .where('tenant_id', '=', customerTenantId.toLowerCase())
      .executeTakeFirst();
    await this.noteChange();
    return result.numUpdatedRows > 0n;
  }

  async subscriptionIds(partnerTenantId: string, customerTenantId: string): Promise<string[] | undefined> {
    const customer = await this.db
      .selectFrom('customers as c')
      .innerJoin('partners as p', 'p.partner_key', 'c.partner_key')
      .select('c.customer_key')
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .where('c.tenant_id', '=', customerTenantId.toLowerCase())
      .executeTakeFirst();
    if (!customer) return undefined;
    const rows = await this.db
      .selectFrom('subscriptions')
      .select('subscription_id')
      .where('customer_key', '=', customer.customer_key)
      .orderBy('subscription_id')
      .execute();
    return rows.map((r) => r.subscription_id);
  }

  async secret(name: string, create: () => Promise<string>): Promise<string> {
    const existing = await this.db
      .selectFrom('server_secrets')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    if (existing) return existing.value;
    const value = await create();
    // Another process may have created it meanwhile: the first one written wins, for everyone.
    await this.db
      .insertInto('server_secrets')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (
      await this.db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow()
    ).value;
  }

  async importBatches(): Promise<ImportBatchRow[]> {
    const rows = await this.db.selectFrom('import_batches').selectAll().orderBy('batch_id').execute();
    return rows.map((r) => ({
      batchId: r.batch_id,
      fileName: r.file_name,
      contentHash: r.content_hash,
      format: r.format,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      lines: r.lines,
      rejected: r.rejected,
      replaced: r.replaced,
    }));
  }
}
