import type { AlertType } from './alert-rules.js';
import type { Anomaly } from './anomaly.js';

/** The body every channel sends: a webhook's JSON, an e-mail's figures. */
export interface AlertEvent {
  readonly id: string;
  readonly type: AlertType;
  readonly timestamp: string;
  /** Sent by `alerts test`, not raised by data. */
  readonly test?: boolean;
  readonly data: {
    readonly partnerTenantId: string;
    readonly customer: { readonly id: string; readonly name: string };
    readonly period: string;
    readonly currency: string;
    readonly totalCost: string;
    readonly usdTotalCost: string;
    readonly budget: string | null;
    readonly percentUsed: string;
    readonly forecast: { readonly totalCost: string; readonly method: string };
    readonly threshold?: number;
    readonly anomaly?: Anomaly & { readonly method: string };
    /** On a meter's anomaly: which meter (the amounts are the meter's, the totals the customer's). */
    readonly meter?: { readonly id: string; readonly name: string; readonly category: string };
  };
}
