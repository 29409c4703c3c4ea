import crypto from 'node:crypto';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiError } from '../contract/api-errors.js';
import type { Store, StoreActivity } from '../storage/store.js';
import { SERVER_ID } from './request-context.js';
import { fromThisMachine } from './request-origin.js';
import type { ResponseCache } from './response-cache.js';
import type { FaultRule } from './emulator/fault-rules.js';
import { RequestTally } from './request-tally.js';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

interface Figures {
  readonly importsByFormat: Map<string, number>;
  readonly linesStored: number;
  readonly linesRejected: number;
  readonly importSeconds: number;
  readonly activity: StoreActivity;
}

async function readFigures(store: Store): Promise<Figures> {
  const importsByFormat = new Map<string, number>();
  let linesStored = 0;
  let linesRejected = 0;
  let importSeconds = 0;
  for (const b of await store.importBatches()) {
    importsByFormat.set(b.format, (importsByFormat.get(b.format) ?? 0) + 1);
    linesStored += b.lines;
    linesRejected += b.rejected;
    importSeconds += Math.max(0, Date.parse(b.finishedAt) - Date.parse(b.startedAt)) / 1000;
  }
  return { importsByFormat, linesStored, linesRejected, importSeconds, activity: await store.activity() };
}

let processRegistry: Registry | undefined;

/**
 * The process's own figures (memory, CPU, event loop, GC), collected once per process however many
 * servers it runs; under their standard names (process_*, nodejs_*), which dashboards expect.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What a server counts as it goes; the rest is read from the database when scraped. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #answered = new RequestTally(DURATION_BUCKETS);

  readonly #faults: Counter<'effect'>;

  constructor(store: Store, cache: ResponseCache) {
    const registers = [this.registry];
    this.registry.registerMetric(
      this.#answered.requestsMetric(
        'partner_usage_http_requests_total',
        'Requests answered, by operation id (the operations table, a Graph route, or "other") and status',
      ),
    );
    this.registry.registerMetric(
      this.#answered.durationMetric(
        'partner_usage_http_request_duration_seconds',
        'Time from a request received to its answer sent, by operation id',
      ),
    );
    // The cache counts its own lookups (an increment per request); read when scraped.
    new Counter({
      name: 'partner_usage_response_cache_lookups_total',
      help: 'Response cache lookups by outcome (hit, miss)',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: 'hit' }, cache.hits);
        this.inc({ outcome: 'miss' }, cache.misses);
      },
    });
    this.#faults = new Counter({
      name: 'partner_usage_faults_injected_total',
      help: "Faults the emulator's rules injected, by effect (a status, delay, drop, cut)",
      labelNames: ['effect'],
      registers,
    });
    this.failedImports = new Counter({
      name: 'partner_usage_import_failures_total',
      help: 'Line-item uploads to this process refused or failed (their lines not stored)',
      registers,
    });
    // Read from the database once per scrape, whoever wrote it: imports, syncs and deliveries run
    // in other processes too. Each gauge waits for the same reading.
    let reading: Promise<Figures> | undefined;
    const figures = (): Promise<Figures> => {
      reading ??= readFigures(store).finally(() => setTimeout(() => (reading = undefined), 500).unref());
      return reading;
    };
    const gauge = (
      name: string,
      help: string,
      label: string | undefined,
      set: (g: Gauge<string>, f: Figures) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: label === undefined ? [] : [label],
        registers,
        async collect() {
          const f = await figures();
          this.reset();
          set(this, f);
        },
      });
    gauge(
      'partner_usage_imports',
      'Imports stored in the database (by any process), by file format',
      'format',
      (g, f) => {
        for (const [format, count] of f.importsByFormat) g.set({ format }, count);
      },
    );
    gauge(
      'partner_usage_import_lines',
      "Lines the database's imports stored or refused (outcome)",
      'outcome',
      (g, f) => {
        g.set({ outcome: 'stored' }, f.linesStored);
        g.set({ outcome: 'rejected' }, f.linesRejected);
      },
    );
    gauge('partner_usage_import_seconds', "Seconds the database's imports took, summed", undefined, (g, f) =>
      g.set(f.importSeconds),
    );
    gauge(
      'partner_usage_sync_snapshots',
      "Microsoft's snapshots synced into the database (count) and their lines",
      'measure',
      (g, f) => {
        g.set({ measure: 'count' }, f.activity.syncSnapshots.count);
        g.set({ measure: 'lines' }, f.activity.syncSnapshots.lines);
      },
    );
    gauge('partner_usage_deliveries', 'Alert deliveries by state (pending: the queue depth)', 'state', (g, f) => {
      for (const state of DELIVERY_STATES)
        g.set({ state }, f.activity.deliveries.find((d) => d.status === state)?.count ?? 0);
    });
    gauge(
      'partner_usage_delivery_attempts',
      'Delivery attempts made, by the state of their delivery (the outcome)',
      'state',
      (g, f) => {
        for (const state of DELIVERY_STATES)
          g.set({ state }, f.activity.deliveries.find((d) => d.status === state)?.attempts ?? 0);
      },
    );
  }

  readonly failedImports: Counter;

  faultInjected(rule: FaultRule): void {
    const effect =
      rule.status !== undefined
        ? String(rule.status)
        : rule.drop
          ? 'drop'
          : rule.cutAfterBytes !== undefined
            ? 'cut'
            : 'delay';
    this.#faults.inc({ effect });
  }

  /** Everything, in Prometheus' text format. */
  text(): Promise<string> {
    const merged = Registry.merge([processMetrics(), this.registry]);
    merged.setDefaultLabels({ node: SERVER_ID }); // a merge keeps the metrics, not their registries' labels
    return merged.metrics();
  }

  answered(operation: string, status: number, seconds: number): void {
    if (operation === 'ingestLineItems' && status >= 400) this.failedImports.inc();
    this.#answered.add(operation, status, seconds);
  }
}

/** A token compared in constant time (its length aside). */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * GET /metrics in Prometheus' text format, and the hook that counts every answer. Without a
 * token (PARTNER_USAGE_METRICS_TOKEN) it answers this machine only: the figures name operations
 * and volumes an outsider has no business seeing.
 */
export function metricsRoute(app: FastifyInstance, metrics: ServerMetrics, token: string | undefined): void {
  // Each route gets a hook of its own that knows its operation id: reading it per request
  // (req.routeOptions builds an object each time) cost a small answer ~10 % of its throughput.
  // A callback hook, not an async one: no promise per request. Requests that match no route
  // (404 before any route) are not counted.
  app.addHook('onRoute', (route) => {
    const operation = route.config?.operationId ?? 'other';
    const count: onResponseHookHandler = (_req, reply, done) => {
      metrics.answered(operation, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...[route.onResponse ?? []].flat(), count];
  });
  app.get('/metrics', { config: { operationId: 'metrics' } }, async (req, reply) => {
    const given = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (token !== undefined ? given === undefined || !sameToken(given, token) : !fromThisMachine(req)) {
      throw new ApiError(
        403,
        900150,
        token !== undefined
          ? '/metrics needs the token PARTNER_USAGE_METRICS_TOKEN sets (Authorization: Bearer <token>).'
          : '/metrics answers this machine only; set PARTNER_USAGE_METRICS_TOKEN to scrape it from elsewhere.',
      );
    }
    const body = await metrics.text();
    return reply.type(metrics.registry.contentType).header('Cache-Control', 'no-store').send(body);
  });
}
