import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ALERT_TYPES, formatThresholds, type AlertType } from '../domain/alert-rules.js';
import { currentBillingPeriod } from '../domain/usage-model.js';
import { isEmailAddress, MAX_RECIPIENTS_PER_PARTNER } from '../domain/email-address.js';
import { checkWebhookUrl, MAX_WEBHOOKS_PER_PARTNER } from '../domain/webhook-target.js';
import type { AlertEvent } from '../domain/alert-event.js';
import type { AlertEngine } from './alert-engine.js';
import { KyselyAlertRepository } from './alert-repository.js';
import type { Database } from './schema.js';
import { writeAudit, NotFound, partnerKeyOf, type Actor } from './partner-scope.js';

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly events: readonly AlertType[];
  readonly enabled: boolean;
  readonly failures: number;
  readonly createdAt: string;
}

export interface DeliveryRow {
  readonly id: string;
  readonly alertId: string;
  readonly type: string;
  readonly channel: 'webhook' | 'email';
  readonly target: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** A delivery a sender holds: what to send, and where. */
export interface DueDelivery {
  readonly id: string;
  readonly partnerKey: number;
  readonly channel: 'webhook' | 'email';
  readonly target: string;
  readonly attempts: number;
  readonly payload: string;
  /** The endpoint's URL and secret (webhooks). */
  readonly url: string | null;
  readonly secret: string | null;
}

export interface AlertRow {
  readonly id: string;
  readonly type: string;
  readonly customerTenantId: string;
  readonly period: string;
  readonly createdAt: string;
  readonly event: AlertEvent;
}

export interface AuditRow {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly oldValue: string | null;
  readonly newValue: string | null;
}

export interface BudgetRow {
  readonly customerTenantId: string;
  readonly name: string;
  readonly currency: string;
  readonly budget: string;
}

/** An endpoint's signing secret, as the Standard Webhooks libraries take it. */
const newSecret = (): string => `whsec_${crypto.randomBytes(24).toString('base64')}`;
const newEndpointId = (): string => `ep_${crypto.randomUUID().replaceAll('-', '')}`;

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/**
 * Budgets that act: alert rules, webhook endpoints, e-mail recipients, the delivery queue and the
 * audit log, each scoped to one partner. Every change that can move a customer's standing is
 * audited and evaluated in one transaction with it.
 */
export class AlertStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: 'sqlite' | 'postgres',
    private readonly engine: AlertEngine,
    /** What moves after a write: the data's version (budgets, rules, anomalies raised) and the alert tables'. */
    private readonly noteChange: { readonly data: () => Promise<void>; readonly alerts: () => Promise<void> },
  ) {}

  /**
   * Runs a change of these tables in one transaction, then moves alertsVersion (answers are cached
   * by it). Changes that move the data's version (budgets, rules, anomalies raised) need not: the
   * alert tables' version includes it.
   */
  async #write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(work);
    await this.noteChange.alerts();
    return result;
  }

  /** The alert rules' port on `db` (a transaction: they run inside the change they judge). */
  #repository(db: Kysely<Database>): KyselyAlertRepository {
    return new KyselyAlertRepository(db, this.kind === 'postgres');
  }

  #partnerKey(db: Kysely<Database>, partnerTenantId: string): Promise<number> {
    return partnerKeyOf(db, partnerTenantId);
  }

  /** One of the partner's customers (with no id: the first by tenant id). */
  async #customer(
    db: Kysely<Database>,
    partnerKey: number,
    customerTenantId: string | undefined,
  ): Promise<{ customer_key: number; tenant_id: string; name: string; currency: string; budget: string | null }> {
    const row = await db
      .selectFrom('customers')
      .select(['customer_key', 'tenant_id', 'name', 'currency', 'budget'])
      .where('partner_key', '=', partnerKey)
      .$if(customerTenantId !== undefined, (q) => q.where('tenant_id', '=', customerTenantId!.trim().toLowerCase()))
      .orderBy('tenant_id')
      .limit(1)
      .executeTakeFirst();
    if (!row)
      throw new NotFound(
        customerTenantId ? `no customer ${customerTenantId} for this partner` : 'the partner has no customers',
      );
    return { ...row, budget: row.budget === null ? null : String(row.budget) };
  }

  /**
   * Sets (amount) or clears (null) customers' budgets, all or none: each change audited and the
   * alert rules evaluated on it in the same transaction. Throws NotFound naming the first unknown
   * customer, changing nothing.
   */
  async setBudgets(
    partnerTenantId: string,
    budgets: readonly { readonly customerTenantId: string; readonly amount: string | null }[],
    actor: Actor,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const keys: number[] = [];
      for (const { customerTenantId, amount } of budgets) {
        const customer = await this.#customer(trx, partnerKey, customerTenantId);
        await trx
          .updateTable('customers')
          .set({ budget: amount })
          .where('customer_key', '=', customer.customer_key)
          .execute();
        if (customer.budget !== amount) {
          await writeAudit(trx, partnerKey, {
            actor,
            action: 'budget.set',
            subject: customerTenantId.toLowerCase(),
            oldValue: customer.budget,
            newValue: amount,
          });
        }
        keys.push(customer.customer_key);
      }
      await this.engine.evaluate(
        this.#repository(trx),
        { partnerKey, period: currentBillingPeriod(), customerKeys: keys },
        new Date(),
      );
    });
    await this.noteChange.data();
  }

  async budgets(partnerTenantId: string): Promise<BudgetRow[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('customers')
      .select(['tenant_id', 'name', 'currency', 'budget'])
      .where('partner_key', '=', partnerKey)
      .where('budget', 'is not', null)
      .orderBy('tenant_id')
      .execute();
    return rows.map((r) => ({
      customerTenantId: r.tenant_id,
      name: r.name,
      currency: r.currency,
      budget: String(r.budget),
    }));
  }

  /** Sets the partner's thresholds (no customer) or one customer's; null removes a customer's override. */
  async setThresholds(
    partnerTenantId: string,
    customerTenantId: string | undefined,
    thresholds: readonly number[] | null,
    actor: Actor,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const customerKey =
        customerTenantId === undefined ? 0 : (await this.#customer(trx, partnerKey, customerTenantId)).customer_key;
      const old = await trx
        .selectFrom('alert_rules')
        .select('thresholds')
        .where('partner_key', '=', partnerKey)
        .where('customer_key', '=', customerKey)
        .executeTakeFirst();
      await trx
        .deleteFrom('alert_rules')
        .where('partner_key', '=', partnerKey)
        .where('customer_key', '=', customerKey)
        .execute();
      const text = thresholds === null ? null : formatThresholds(thresholds);
      if (text !== null) {
        await trx
          .insertInto('alert_rules')
          .values({ partner_key: partnerKey, customer_key: customerKey, thresholds: text })
          .execute();
      }
      const subject = customerTenantId === undefined ? 'partner' : customerTenantId.toLowerCase();
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'alerts.thresholds',
        subject,
        oldValue: old?.thresholds ?? null,
        newValue: text,
      });
      await this.engine.evaluate(
        this.#repository(trx),
        { partnerKey, period: currentBillingPeriod(), ...(customerKey === 0 ? {} : { customerKeys: [customerKey] }) },
        new Date(),
      );
    });
    await this.noteChange.data();
  }

  /** The partner's thresholds and each customer's override. */
  async thresholds(partnerTenantId: string): Promise<{ customerTenantId: string | null; thresholds: string }[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('alert_rules as r')
      .leftJoin('customers as c', 'c.customer_key', 'r.customer_key')
      .select(['c.tenant_id', 'r.thresholds'])
      .where('r.partner_key', '=', partnerKey)
      .orderBy('r.customer_key')
      .execute();
    return rows.map((r) => ({ customerTenantId: r.tenant_id, thresholds: r.thresholds }));
  }

  async alerts(
    partnerTenantId: string,
    options: { limit?: number; customerTenantId?: string } = {},
  ): Promise<AlertRow[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('alerts as a')
      .innerJoin('customers as c', 'c.customer_key', 'a.customer_key')
      .select(['a.alert_id', 'a.type', 'c.tenant_id', 'a.period', 'a.created_at', 'a.payload'])
      .where('a.partner_key', '=', partnerKey)
      .$if(options.customerTenantId !== undefined, (q) =>
        q.where('c.tenant_id', '=', options.customerTenantId!.toLowerCase()),
      )
      .orderBy('a.created_at', 'desc')
      .orderBy('a.alert_id')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.alert_id,
      type: r.type,
      customerTenantId: r.tenant_id,
      period: r.period,
      createdAt: r.created_at,
      event: JSON.parse(r.payload) as AlertEvent,
    }));
  }

  /** Queues a test event of `type` about one customer (default: the first) to every destination (alerts test). */
  async test(partnerTenantId: string, customerTenantId: string | undefined, type: AlertType): Promise<AlertEvent> {
    return this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const c = await this.#customer(trx, partnerKey, customerTenantId);
      return this.engine.test(
        this.#repository(trx),
        { key: partnerKey, tenantId: partnerTenantId },
        { key: c.customer_key, tenantId: c.tenant_id, name: c.name, currency: c.currency, budget: c.budget },
        type,
        new Date(),
      );
    });
  }

  async addWebhook(
    partnerTenantId: string,
    url: string,
    /** The event types it receives; undefined for all of them (an empty list is refused). */
    events: readonly AlertType[] | undefined,
    actor: Actor,
  ): Promise<WebhookEndpoint & { secret: string }> {
    checkWebhookUrl(url);
    if (events !== undefined && events.length === 0)
      throw new RangeError('events names no event type: leave it out for all of them');
    for (const e of events ?? []) {
      if (!ALERT_TYPES.includes(e)) throw new RangeError(`unknown event ${e}: one of ${ALERT_TYPES.join(', ')}`);
    }
    const endpoint = {
      endpoint_id: newEndpointId(),
      url,
      secret: newSecret(),
      events: (events ?? []).join(','),
      enabled: 1,
      failures: 0,
      created_at: new Date().toISOString(),
    };
    await this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const { n } = await trx
        .selectFrom('webhook_endpoints')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('partner_key', '=', partnerKey)
        .executeTakeFirstOrThrow();
      if (Number(n) >= MAX_WEBHOOKS_PER_PARTNER)
        throw new RangeError(`a partner has at most ${MAX_WEBHOOKS_PER_PARTNER} webhook endpoints: remove one first`);
      await trx
        .insertInto('webhook_endpoints')
        .values({ ...endpoint, partner_key: partnerKey })
        .execute();
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'webhooks.add',
        subject: endpoint.endpoint_id,
        oldValue: null,
        newValue: url,
      });
    });
    return { ...this.#endpoint(endpoint), secret: endpoint.secret };
  }

  #endpoint(r: {
    endpoint_id: string;
    url: string;
    events: string;
    enabled: number;
    failures: number;
    created_at: string;
  }): WebhookEndpoint {
    return {
      id: r.endpoint_id,
      url: r.url,
      events: r.events === '' ? [...ALERT_TYPES] : (r.events.split(',') as AlertType[]),
      enabled: Number(r.enabled) === 1,
      failures: Number(r.failures),
      createdAt: r.created_at,
    };
  }

  async webhooks(partnerTenantId: string): Promise<WebhookEndpoint[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('partner_key', '=', partnerKey)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => this.#endpoint(r));
  }

  /** Removes an endpoint (returned as it was); its pending deliveries fail. */
  async removeWebhook(partnerTenantId: string, endpointId: string, actor: Actor): Promise<WebhookEndpoint> {
    return this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const row = await trx
        .deleteFrom('webhook_endpoints')
        .where('partner_key', '=', partnerKey)
        .where('endpoint_id', '=', endpointId)
        .returning(['endpoint_id', 'url', 'events', 'enabled', 'failures', 'created_at'])
        .executeTakeFirst();
      if (!row) throw new NotFound(`no webhook endpoint ${endpointId} for this partner`);
      await trx
        .updateTable('deliveries')
        .set({ status: 'failed', last_error: 'endpoint removed' })
        .where('target', '=', endpointId)
        .where('status', '=', 'pending')
        .execute();
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'webhooks.remove',
        subject: endpointId,
        oldValue: row.url,
        newValue: null,
      });
      return this.#endpoint(row);
    });
  }

  async deliveries(
    partnerTenantId: string,
    options: { id?: string; target?: string; status?: string; limit?: number } = {},
  ): Promise<DeliveryRow[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('deliveries as d')
      .innerJoin('alerts as a', 'a.alert_id', 'd.alert_id')
      .select([
        'd.delivery_id',
        'd.alert_id',
        'a.type',
        'd.channel',
        'd.target',
        'd.status',
        'd.attempts',
        'd.next_attempt_at',
        'd.last_error',
        'd.created_at',
        'd.delivered_at',
      ])
      .where('d.partner_key', '=', partnerKey)
      .$if(options.id !== undefined, (q) => q.where('d.delivery_id', '=', options.id!))
      .$if(options.target !== undefined, (q) => q.where('d.target', '=', options.target!))
      .$if(options.status !== undefined, (q) => q.where('d.status', '=', options.status as 'pending'))
      .orderBy('d.created_at', 'desc')
      .orderBy('d.delivery_id')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.delivery_id,
      alertId: r.alert_id,
      type: r.type,
      channel: r.channel,
      target: r.target,
      status: r.status,
      attempts: Number(r.attempts),
      nextAttemptAt: iso(r.next_attempt_at),
      lastError: r.last_error,
      createdAt: r.created_at,
      deliveredAt: r.delivered_at,
    }));
  }

  /**
   * Sends a delivery again, with the same webhook-id (receivers deduplicate on it): pending from
   * now, attempts counted anew; a disabled endpoint is enabled again.
   */
  async replay(partnerTenantId: string, deliveryId: string, actor: Actor): Promise<DeliveryRow> {
    await this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const row = await trx
        .updateTable('deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: Date.now(), lease_until: 0, last_error: '' })
        .where('partner_key', '=', partnerKey)
        .where('delivery_id', '=', deliveryId)
        .returning(['channel', 'target'])
        .executeTakeFirst();
      if (!row) throw new NotFound(`no delivery ${deliveryId} for this partner`);
      if (row.channel === 'webhook') {
        await trx
          .updateTable('webhook_endpoints')
          .set({ enabled: 1, failures: 0 })
          .where('endpoint_id', '=', row.target)
          .execute();
      }
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'deliveries.replay',
        subject: deliveryId,
        oldValue: null,
        newValue: null,
      });
    });
    return (await this.deliveries(partnerTenantId, { id: deliveryId }))[0]!;
  }

  async addEmailRecipient(partnerTenantId: string, address: string, actor: Actor): Promise<void> {
    if (!isEmailAddress(address))
      throw new RangeError(`not an e-mail address: ${JSON.stringify(address.slice(0, 300))}`);
    await this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const { n } = await trx
        .selectFrom('email_recipients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('partner_key', '=', partnerKey)
        .where('address', '!=', address)
        .executeTakeFirstOrThrow();
      if (Number(n) >= MAX_RECIPIENTS_PER_PARTNER)
        throw new RangeError(`a partner has at most ${MAX_RECIPIENTS_PER_PARTNER} e-mail recipients: remove one first`);
      await trx
        .insertInto('email_recipients')
        .values({ partner_key: partnerKey, address })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'alerts.email.add',
        subject: address,
        oldValue: null,
        newValue: address,
      });
    });
  }

  async removeEmailRecipient(partnerTenantId: string, address: string, actor: Actor): Promise<void> {
    await this.#write(async (trx) => {
      const partnerKey = await this.#partnerKey(trx, partnerTenantId);
      const r = await trx
        .deleteFrom('email_recipients')
        .where('partner_key', '=', partnerKey)
        .where('address', '=', address)
        .executeTakeFirst();
      if (r.numDeletedRows === 0n) throw new NotFound(`no e-mail recipient ${address} for this partner`);
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'alerts.email.remove',
        subject: address,
        oldValue: address,
        newValue: null,
      });
    });
  }

  async emailRecipients(partnerTenantId: string): Promise<string[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('email_recipients')
      .select('address')
      .where('partner_key', '=', partnerKey)
      .orderBy('address')
      .execute();
    return rows.map((r) => r.address);
  }

  async audit(partnerTenantId: string, limit = 100): Promise<AuditRow[]> {
    const partnerKey = await this.#partnerKey(this.db, partnerTenantId);
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('partner_key', '=', partnerKey)
      .orderBy('audit_key', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      oldValue: r.old_value,
      newValue: r.new_value,
    }));
  }

  /**
   * Looks at one period an import queued for its meters' anomalies (the alert engine's findMeterAnomalies) and raises
   * them; undefined when none waits. Senders call it before sending, until it answers undefined.
   */
  async evaluateQueuedMeters(now: number, leaseMs: number): Promise<AlertEvent[] | undefined> {
    const repository = this.#repository(this.db);
    const taken = await repository.leaseMeterEvaluation(now, leaseMs);
    if (!taken) return undefined;
    // Read outside any transaction; raised in one with the request's removal. If an import queued
    // the period again meanwhile, what was found is dropped: the next round reads the newer data.
    const found = await this.engine.findMeterAnomalies(repository, taken.partnerKey, taken.period);
    const raised = await this.db.transaction().execute(async (trx) => {
      const own = this.#repository(trx);
      if (!(await own.finishMeterEvaluation(taken))) return [];
      return this.engine.raiseMeterAnomalies(own, taken.partnerKey, taken.period, found, new Date(now));
    });
    if (raised.length > 0) await this.noteChange.data();
    return raised;
  }

  /**
   * Takes up to `limit` due deliveries for `leaseMs`: no other sender (process) gets them until
   * then. On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so that two processes never
   * take one delivery; SQLite has one writer at a time, which does the same.
   */
  /**
   * Leases up to `limit` due deliveries of `channels`, fairly: at most `perPartner` of a partner
   * and one of a target, leaving out targets and partners named in `busy` (those the sender is
   * still waiting on), oldest first within each partner and partners taken in turn. The UPDATE
   * checks the lease again, so two processes never take the same delivery.
   */
  async lease(
    now: number,
    limit: number,
    leaseMs: number,
    channels: readonly ('webhook' | 'email')[],
    fairness: {
      readonly perPartner: number;
      readonly busyTargets?: readonly string[];
      readonly fullPartners?: readonly number[];
    },
  ): Promise<DueDelivery[]> {
    const busy = fairness.busyTargets ?? [];
    const full = fairness.fullPartners ?? [];
    const rows = await sql<{ delivery_id: string }>`
      UPDATE deliveries SET lease_until = ${now + leaseMs}
      WHERE lease_until <= ${now} AND status = 'pending' AND delivery_id IN (
        SELECT delivery_id FROM (
          SELECT delivery_id, next_attempt_at,
            ROW_NUMBER() OVER (PARTITION BY partner_key ORDER BY next_attempt_at, delivery_id) AS in_partner,
            ROW_NUMBER() OVER (PARTITION BY target ORDER BY next_attempt_at, delivery_id) AS in_target
          FROM deliveries
          WHERE status = 'pending' AND next_attempt_at <= ${now} AND lease_until <= ${now}
            AND channel IN (${sql.join(channels)})
            ${busy.length > 0 ? sql`AND target NOT IN (${sql.join(busy)})` : sql``}
            ${full.length > 0 ? sql`AND partner_key NOT IN (${sql.join(full)})` : sql``}
        ) ranked
        WHERE in_partner <= ${fairness.perPartner} AND in_target = 1
        ORDER BY in_partner, next_attempt_at LIMIT ${limit})
      RETURNING delivery_id`.execute(this.db);
    if (rows.rows.length === 0) return [];
    const due = await this.db
      .selectFrom('deliveries as d')
      .innerJoin('alerts as a', 'a.alert_id', 'd.alert_id')
      .leftJoin('webhook_endpoints as w', 'w.endpoint_id', 'd.target')
      .select([
        'd.delivery_id',
        'd.partner_key',
        'd.channel',
        'd.target',
        'd.attempts',
        'a.payload',
        'w.url',
        'w.secret',
      ])
      .where(
        'd.delivery_id',
        'in',
        rows.rows.map((r) => r.delivery_id),
      )
      .orderBy('d.next_attempt_at')
      .execute();
    return due.map((r) => ({
      id: r.delivery_id,
      partnerKey: Number(r.partner_key),
      channel: r.channel,
      target: r.target,
      attempts: Number(r.attempts),
      payload: r.payload,
      url: r.url,
      secret: r.secret,
    }));
  }

  /** Records an attempt: delivered, retried at `retryAt`, or failed for good (retryAt null). */
  async recordAttempt(
    delivery: DueDelivery,
    outcome: { ok: true } | { ok: false; error: string; retryAt: number | null },
    disableAfterFailures: number,
  ): Promise<void> {
    await this.#write(async (trx) => {
      const attempts = delivery.attempts + 1;
      if (outcome.ok) {
        await trx
          .updateTable('deliveries')
          .set({
            status: 'delivered',
            attempts,
            lease_until: 0,
            last_error: '',
            delivered_at: new Date().toISOString(),
          })
          .where('delivery_id', '=', delivery.id)
          .execute();
      } else {
        await trx
          .updateTable('deliveries')
          .set({
            status: outcome.retryAt === null ? 'failed' : 'pending',
            attempts,
            next_attempt_at: outcome.retryAt ?? Date.now(),
            lease_until: 0,
            last_error: outcome.error.slice(0, 500),
          })
          .where('delivery_id', '=', delivery.id)
          .execute();
      }
      if (delivery.channel !== 'webhook') return;
      if (outcome.ok) {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failures: 0 })
          .where('endpoint_id', '=', delivery.target)
          .execute();
        return;
      }
      const ep = await trx
        .updateTable('webhook_endpoints')
        .set((eb) => ({ failures: eb('failures', '+', 1) }))
        .where('endpoint_id', '=', delivery.target)
        .returning('failures')
        .executeTakeFirst();
      if (ep && Number(ep.failures) >= disableAfterFailures) {
        // Repeated failure: the endpoint is disabled and what waits for it fails (replay resends).
        await trx
          .updateTable('webhook_endpoints')
          .set({ enabled: 0 })
          .where('endpoint_id', '=', delivery.target)
          .execute();
        await trx
          .updateTable('deliveries')
          .set({ status: 'failed', last_error: 'endpoint disabled after repeated failures', lease_until: 0 })
          .where('target', '=', delivery.target)
          .where('status', '=', 'pending')
          .execute();
      }
    });
  }
}
