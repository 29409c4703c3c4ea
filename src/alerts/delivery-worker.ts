import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertEvent } from '../storage/alert-evaluation.js';
import type { DueDelivery } from '../storage/alert-store.js';
import type { Store } from '../storage/store.js';
import { alertEmail } from './alert-email.js';
import { sendWebhook } from './webhook-sender.js';

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
}

/** PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS, PARTNER_USAGE_SMTP_URL, PARTNER_USAGE_SMTP_FROM. */
export function deliveryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DeliveryOptions {
  const base = Number(env.PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS ?? 60_000);
  if (!(base > 0))
    throw new RangeError('PARTNER_USAGE_WEBHOOK_RETRY_BASE_MS must be a positive number of milliseconds');
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
const BATCH = 20;

/**
 * Sends what the queue holds: leases due deliveries (so that with several processes on one
 * database each is sent once), sends each, and records the outcome — delivered, retried later
 * with backoff, or failed after the last attempt.
 */
export class DeliveryWorker {
  readonly #transport: Transporter | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: DeliveryOptions,
  ) {
    this.#transport = options.smtpUrl ? nodemailer.createTransport(options.smtpUrl) : undefined;
  }

  /**
   * Looks for the meter anomalies imports have queued (raising their alerts), then sends every
   * delivery due now, once each; the number of attempts made.
   */
  async runOnce(now = Date.now()): Promise<number> {
    while ((await this.store.alerts.evaluateQueuedMeters(now, LEASE_MS)) !== undefined);
    let attempts = 0;
    for (;;) {
      // Without an SMTP server, e-mails wait in the queue for one.
      const channels = this.#transport ? (['webhook', 'email'] as const) : (['webhook'] as const);
      const due = await this.store.alerts.lease(now, BATCH, LEASE_MS, channels);
      if (due.length === 0) return attempts;
      await Promise.all(due.map((d) => this.#attempt(d)));
      attempts += due.length;
    }
  }

  async #attempt(d: DueDelivery): Promise<void> {
    try {
      if (d.channel === 'webhook') {
        if (d.url === null || d.secret === null) throw new Error('the endpoint was removed');
        await sendWebhook(d.url, d.secret, d.id, d.payload);
      } else {
        const mail = alertEmail(JSON.parse(d.payload) as AlertEvent);
        await this.#transport!.sendMail({ from: this.options.from, to: d.target, ...mail });
      }
      await this.store.alerts.recordAttempt(d, { ok: true }, this.options.disableAfterFailures);
    } catch (error) {
      const attempt = d.attempts + 1;
      const retryAt =
        attempt >= this.options.maxAttempts ? null : Date.now() + retryDelay(this.options.retryBaseMs, attempt);
      const message = error instanceof Error ? error.message : String(error);
      await this.store.alerts.recordAttempt(
        d,
        { ok: false, error: message, retryAt },
        this.options.disableAfterFailures,
      );
    }
  }

  /** Polls the queue every `intervalMs` until stopped (serve). */
  start(intervalMs = 1000): { stop: () => Promise<void> } {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      if (stopped) return;
      running = this.runOnce()
        .catch((error: unknown) => console.error(`partner-usage: delivering alerts: ${String(error)}`))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    let timer = setTimeout(tick, 0);
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
        this.#transport?.close();
      },
    };
  }

  close(): void {
    this.#transport?.close();
  }
}
