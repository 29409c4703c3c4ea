import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertEvent } from '../domain/alert-event.js';
import { pollEvery } from '../domain/poll-every.js';
import type { DueDelivery } from '../storage/alert-store.js';
import type { Store } from '../storage/store.js';
import { alertEmail } from './alert-email.js';
import { sendWebhook } from './webhook-sender.js';
import { webhookAllowList } from '../domain/webhook-target.js';

export interface DeliveryOptions {
  /** The first retry's delay; each next one doubles, with ±50 % jitter. */
  readonly retryBaseMs: number;
  /** Attempts before a delivery fails for good: with the default base, retries span ~8.5 hours. */
  readonly maxAttempts: number;
  /** Consecutive failed attempts after which an endpoint is disabled. */
  readonly disableAfterFailures: number;
  /** smtp://user:pass@host:587 — e-mail deliveries wait (pending) until one is set. */
  readonly smtpUrl: string | undefined;
  readonly from: string;
  /** How long a receiver has to answer one attempt (default WEBHOOK_TIMEOUT_MS, 10 s). */
  readonly timeoutMs?: number;
}

/** PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS, PARTNER_USAGE_SMTP_URL, PARTNER_USAGE_SMTP_FROM. */
export function deliveryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DeliveryOptions {
  const base = Number(env.PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS ?? 60_000);
  if (!(base > 0))
    throw new RangeError('PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS must be a positive number of milliseconds');
  webhookAllowList(env.PARTNER_USAGE_WEBHOOK_ALLOW ?? ''); // a malformed list stops serve at start

  return {
    retryBaseMs: base,
    maxAttempts: 10,
    disableAfterFailures: 50,
    smtpUrl: env.PARTNER_USAGE_SMTP_URL || undefined,
    from: env.PARTNER_USAGE_SMTP_FROM ?? 'partner-usage <alerts@partner-usage.invalid>',
  };
}

/** Exponential backoff with jitter: base × 2^(attempt−1) × [0.5, 1.5). */
export const retryDelay = (base: number, attempt: number): number =>
  Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random()));

const LEASE_MS = 60_000;

/**
 * How many attempts run at once, per lane. Webhooks and e-mail are separate lanes, so a slow SMTP
 * server never holds a webhook back; within the webhook lane a partner has at most `perPartner`
 * attempts running and an endpoint one, so one partner's hanging receivers (each cut off at the
 * attempt timeout) cannot delay another partner's alerts.
 */
export const DELIVERY_CONCURRENCY = {
  webhook: { total: 16, perPartner: 4 },
  email: { total: 2, perPartner: 2 },
} as const;

/**
 * Sends what the queue holds: leases due deliveries (so that with several processes on one
 * database each is sent once), sends each, and records the outcome — delivered, retried later
 * with backoff, or failed after the last attempt. A finished attempt's slot is filled at once:
 * nothing waits for the slowest of a batch.
 */
export class DeliveryWorker {
  readonly #transport: Transporter | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: DeliveryOptions,
  ) {
    // Nodemailer's own timeouts are minutes: an SMTP server that stalls costs an e-mail attempt 30 s at most.
    this.#transport = options.smtpUrl
      ? nodemailer.createTransport({
          url: options.smtpUrl,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 30_000,
        } as Parameters<typeof nodemailer.createTransport>[0])
      : undefined;
  }

  /**
   * Looks for the meter anomalies imports have queued (raising their alerts), then sends every
   * delivery due now, once each; the number of attempts made.
   */
  async runOnce(now = Date.now()): Promise<number> {
    while ((await this.store.alerts.evaluateQueuedMeters(now, LEASE_MS)) !== undefined);
    // Without an SMTP server, e-mails wait in the queue for one.
    const lanes = await Promise.all([
      this.#lane('webhook', now),
      this.#transport ? this.#lane('email', now) : Promise.resolve(0),
    ]);
    return lanes[0] + lanes[1];
  }

  async #lane(channel: 'webhook' | 'email', now: number): Promise<number> {
    const { total, perPartner } = DELIVERY_CONCURRENCY[channel];
    const running = new Map<string, { partnerKey: number; done: Promise<void> }>();
    let attempts = 0;
    for (;;) {
      const free = total - running.size;
      let leased = 0;
      if (free > 0) {
        const perPartnerRunning = new Map<number, number>();
        for (const r of running.values())
          perPartnerRunning.set(r.partnerKey, (perPartnerRunning.get(r.partnerKey) ?? 0) + 1);
        const due = await this.store.alerts.lease(now, free, LEASE_MS, [channel], {
          perPartner,
          busyTargets: [...running.keys()],
          fullPartners: [...perPartnerRunning].filter(([, n]) => n >= perPartner).map(([p]) => p),
        });
        leased = due.length;
        for (const d of due) {
          const done = this.#attempt(d).finally(() => running.delete(d.target));
          running.set(d.target, { partnerKey: d.partnerKey, done });
          attempts++;
        }
      }
      if (running.size === 0 && leased === 0) return attempts;
      if (leased === 0 || running.size >= total) await Promise.race([...running.values()].map((r) => r.done));
    }
  }

  async #attempt(d: DueDelivery): Promise<void> {
    let outcome: Parameters<Store['alerts']['recordAttempt']>[1];
    try {
      if (d.channel === 'webhook') {
        if (d.url === null || d.secret === null) throw new Error('the endpoint was removed');
        await sendWebhook(d.url, d.secret, d.id, d.payload, this.options.timeoutMs);
      } else {
        const mail = alertEmail(JSON.parse(d.payload) as AlertEvent);
        await this.#transport!.sendMail({ from: this.options.from, to: d.target, ...mail });
      }
      outcome = { ok: true };
    } catch (error) {
      const attempt = d.attempts + 1;
      const retryAt =
        attempt >= this.options.maxAttempts ? null : Date.now() + retryDelay(this.options.retryBaseMs, attempt);
      outcome = { ok: false, error: error instanceof Error ? error.message : String(error), retryAt };
    }
    try {
      await this.store.alerts.recordAttempt(d, outcome, this.options.disableAfterFailures);
    } catch (error) {
      // The database is down: the lease runs out and the delivery is tried again, sent twice at
      // worst (receivers dedupe by webhook-id), never lost.
      console.error(`partner-usage: recording delivery ${d.id}: ${String(error)}`);
    }
  }

  /** Polls the queue every `intervalMs` until stopped (serve). */
  start(intervalMs = 1000): { stop: () => Promise<void> } {
    const polling = pollEvery(
      () => this.runOnce(),
      intervalMs,
      (error) => console.error(`partner-usage: delivering alerts: ${String(error)}`),
    );
    return {
      stop: async () => {
        await polling.stop();
        this.#transport?.close();
      },
    };
  }

  close(): void {
    this.#transport?.close();
  }
}
