import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Store } from '../storage/store.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import { installErrorHandling } from './error-handler.js';
import type { ContinuationTokens } from './paging/continuation-token.js';
import { requestIdOf, setTracingHeaders } from './request-context.js';
import { ResponseCache } from './response-cache.js';
import { customerUsageRecordsRoute } from './routes/customer-usage-records.js';
import { healthRoute } from './routes/health.js';
import { meterUsageRecordsRoute } from './routes/meter-usage-records.js';
import type { ServerDeps } from './server-deps.js';

export interface ServerOptions {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  readonly tokens: ContinuationTokens;
  /** Fastify's logger option: false (tests), true (JSON logs to stdout), or pino options. */
  readonly logger?: FastifyServerOptions['logger'];
}

/**
 * The HTTP API: Partner Center's usage routes over a store. The pipeline, in order: request ids
 * and tracing headers (every response, errors too) → route → auth → query → store → exact JSON;
 * errors go through one handler (error-handler.ts).
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: requestIdOf,
    return503OnClosing: true,
  });
  const deps: ServerDeps = {
    store: options.store,
    verifier: options.verifier,
    tokens: options.tokens,
    cache: new ResponseCache(),
  };
  app.addHook('onRequest', async (req, reply) => setTracingHeaders(req, reply));
  installErrorHandling(app);
  healthRoute(app, deps);
  customerUsageRecordsRoute(app, deps);
  meterUsageRecordsRoute(app, deps);
  return app;
}
