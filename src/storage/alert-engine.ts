import type { AlertEvent } from '../domain/alert-event.js';
import type { AlertType } from '../domain/alert-rules.js';
import type { Anomaly } from '../domain/anomaly.js';
import type { AlertRepository, EvaluationScope } from './alert-repository.js';

/** A meter's anomaly: its customer, meter and day. */
export interface MeterAnomaly {
  readonly customerKey: number;
  readonly meterKey: number;
  readonly meter: { readonly id: string; readonly name: string; readonly category: string };
  readonly anomaly: Anomaly;
}

/**
 * The alert rules as storage runs them, inside the transactions of the changes they judge: an
 * import, a budget or threshold change (src/alerts implements it; the store is opened with it, so
 * storage holds no rule and imports nothing from src/alerts). Each method reads and writes through
 * the repository it is given, which is on the caller's transaction.
 */
export interface AlertEngine {
  /** Raises the alerts a change of data, budget or rule calls for in `scope`; returns them. */
  evaluate(repository: AlertRepository, scope: EvaluationScope, now: Date): Promise<AlertEvent[]>;
  /** Queues a test event of `type` about a customer to every destination of the partner. */
  test(
    repository: AlertRepository,
    partner: { readonly key: number; readonly tenantId: string },
    customer: {
      readonly key: number;
      readonly tenantId: string;
      readonly name: string;
      readonly currency: string;
      readonly budget: string | null;
    },
    type: AlertType,
    now: Date,
  ): Promise<AlertEvent>;
  /** A period's meters' anomalies not already raised for their customers (read outside any transaction). */
  findMeterAnomalies(repository: AlertRepository, partnerKey: number, period: string): Promise<MeterAnomaly[]>;
  /** Raises the meter anomalies found that were not raised before. */
  raiseMeterAnomalies(
    repository: AlertRepository,
    partnerKey: number,
    period: string,
    found: readonly MeterAnomaly[],
    now: Date,
  ): Promise<AlertEvent[]>;
}
