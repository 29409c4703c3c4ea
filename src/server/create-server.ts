import { createRequire } from 'node:module';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Store } from '../storage/store.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './error-handler.js';
import { checkUrlLength, REQUEST_LIMITS } from './request-limits.js';
import type { ContinuationTokens } from './paging/continuation-token.js';
import { correlationIdOf, requestIdOf, setTracingHeaders } from './request-context.js';
import { cacheBytesFromEnv, ResponseCache } from './response-cache.js';
import { ViewCache } from './view-cache.js';
import { GrantViews } from './grant-views.js';
import { pollEvery } from '../domain/poll-every.js';
import { openStore } from '../storage/open-store.js';
import { alertEngine } from '../alerts/alert-engine.js';
import { handlers } from './handlers/index.js';
import { registerOperations } from './operation-routes.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { devTokenRoute } from './routes/dev-token.js';
import { signInRoute } from './routes/sign-in.js';
import type { SignIn } from '../contract/sign-in.js';
import { healthRoute } from './routes/health.js';
import { graphBillingRoutes } from './routes/graph-billing.js';
import { BillingExports } from './graph/billing-exports.js';
import { DEFAULT_EXPORT_SETTINGS, type ExportSettings } from './graph/export-settings.js';
import { openApiRoute } from './routes/openapi.js';
import type { ServerDeps } from './server-deps.js';
import { operations } from '../contract/operations.js';
import { FaultRules } from './emulator/fault-rules.js';
import { injectFaults } from './emulator/fault-injection.js';
import { emulatorRoutes, type EmulatorOptions } from './routes/emulator.js';
import { GRAPH_OPERATIONS } from './routes/graph-billing.js';
import { metricsRoute, ServerMetrics } from './metrics.js';
import { RateLimits, type RateLimitSettings } from './rate-limits.js';

// The version the OpenAPI document states: package.json's, two levels up from src/ and dist/.
const PACKAGE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface ServerOptions {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  readonly tokens: ContinuationTokens;
  /** Fastify's logger option: false (tests), true (JSON logs to stdout), or pino options. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Fastify's per-request log lines ("incoming request", "request completed"); default true. */
  readonly requestLogging?: boolean;
  /** The response cache's bound in bytes (default: PARTNER_USAGE_CACHE_MB, else 64 MiB). */
  readonly cacheBytes?: number;
  /** Embedded mode on a loopback address: the dashboard's "Use development token" asks for one. */
  readonly devToken?: () => Promise<string>;
  /** An OpenID provider the dashboard signs users in at (server-auth.ts: ServerAuth.signIn). */
  readonly signIn?: SignIn | undefined;
  /** Rebuild grantees' views in use after a change this often (ms), not on their next request; default: not. */
  readonly refreshViewsEveryMs?: number;
  /** Opens a grantee's view (an empty store at `file`); default: SQLite with the alert rules. */
  readonly openView?: (file: string) => Promise<Store>;
  /** Serve HTTPS with this certificate and key (PEM), as Azurite's --cert/--key; default HTTP. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Request budgets per partner and per partner and customer (`serve --rate-limit`); default none. */
  readonly rateLimits?: RateLimitSettings | undefined;
  /** The token GET /metrics asks for (PARTNER_USAGE_METRICS_TOKEN); without one it answers loopback only. */
  readonly metricsToken?: string | undefined;
  /** Emulator mode (`serve --faults`): fault rules and the state routes under /_emulator. */
  readonly emulator?: Omit<EmulatorOptions, 'faults'>;
  /**
   * Serve Microsoft Graph's partner billing exports (under /v1.0 and /beta) from this store: tokens
   * for Graph's audience, the key SAS tokens are signed with (shared by every node), the behaviour.
   */
  readonly graph?: {
    readonly verifier: TokenVerifier;
    readonly sasKey: Buffer;
    readonly settings?: Partial<ExportSettings>;
    readonly now?: () => Date;
  };
}

/**
 * The HTTP API: Partner Center's usage routes over a store. The pipeline, in order: request ids
 * and tracing headers (every response, errors too) → route → auth → query → store → exact JSON;
 * errors go through one handler (error-handler.ts).
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    // HTTPS changes only the listener: the instance is typed as HTTP's, its requests are the same.
    ...((options.https ? { https: options.https } : {}) as object),
    logger: options.logger ?? false,
    genReqId: requestIdOf,
    // With a line per request, the request's logger carries its ids (one child, not a second one);
    // without, a child per request is a tenth of a small answer's time for lines that are seldom
    // written: the server's logger, and an error's line names the ids itself (logIds).
    childLoggerFactory: (logger, bindings, childOptions, raw) =>
      options.requestLogging === false
        ? logger
        : logger.child({ ...bindings, correlationId: correlationIdOf(raw) }, childOptions),
    return503OnClosing: true,
    ...(options.requestLogging === false ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    bodyLimit: REQUEST_LIMITS.bodyBytes,
    http: { maxHeaderSize: REQUEST_LIMITS.headerBytes },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // As Partner Center (ASP.NET routing): paths in any case, a trailing slash ignored.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
  });
  // Bodies are read as text and parsed by their route (exact decimals, case-insensitive names,
  // Partner Center's 400 for any other media type): see handlers/usage-budget.ts.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const deps: ServerDeps = {
    store: options.store,
    verifier: options.verifier,
    tokens: options.tokens,
    cache: new ResponseCache(options.cacheBytes ?? cacheBytesFromEnv()),
    views: new ViewCache(),
    limits: options.rateLimits ? new RateLimits(options.rateLimits) : undefined,
    grants: new GrantViews(options.store, options.openView ?? ((file) => openStore(file, alertEngine))),
  };
  const refresher =
    options.refreshViewsEveryMs === undefined
      ? undefined
      : pollEvery(
          () => deps.grants.refresh(),
          options.refreshViewsEveryMs,
          (error) => app.log.error({ err: error }, "rebuilding grantees' views"),
          options.refreshViewsEveryMs,
        );
  app.addHook('onClose', async () => {
    await refresher?.stop();
    await deps.grants.close();
  });
  // A callback, not an async function: every request runs it, and a promise per request showed.
  app.addHook('onRequest', (req, reply, done) => {
    setTracingHeaders(req, reply);
    try {
      checkUrlLength(req.url);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
  // Before every route: hooks apply to the routes declared after them.
  const metrics = new ServerMetrics(options.store, deps.cache);
  metricsRoute(app, metrics, options.metricsToken);
  if (options.emulator) {
    const faults = new FaultRules([...Object.keys(operations), ...GRAPH_OPERATIONS]);
    faults.onFired = (rule) => metrics.faultInjected(rule);
    injectFaults(app, faults);
    emulatorRoutes(app, options.store, { ...options.emulator, faults });
  }
  // The dashboard at `/` when it is built (dist/web).
  // The page may call the provider's token endpoint (its origin in connect-src), nothing else outside.
  const connect = options.signIn ? [new URL(options.signIn.tokenEndpoint).origin] : [];
  installErrorHandling(app, dashboardRoutes(app, undefined, connect));
  if (options.signIn) signInRoute(app, options.signIn);
  healthRoute(app, deps);
  if (options.devToken) devTokenRoute(app, options.devToken);
  openApiRoute(app, PACKAGE_VERSION);
  if (options.graph) {
    const { verifier, sasKey, settings, now } = options.graph;
    graphBillingRoutes(
      app,
      verifier,
      new BillingExports(options.store, sasKey, { ...DEFAULT_EXPORT_SETTINGS, ...settings }, now),
    );
  }
  registerOperations(app, deps, handlers);
  return app;
}
