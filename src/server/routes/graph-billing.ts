import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../contract/api-errors.js';
import { graphErrors } from '../../contract/graph-errors.js';
import type { Caller, TokenVerifier } from '../auth/token-verifier.js';
import type { BillingExports } from '../graph/billing-exports.js';

const BASE = '/reports/partners/billing';

/** The Graph routes' operation ids (as Graph's own API reference names them), for fault rules and metrics. */
export const GRAPH_OPERATIONS = [
  'billedUsage.export',
  'unbilledUsage.export',
  'operation.get',
  'manifest.get',
  'blob.download',
] as const;
/** OData lets a bound action be called by its short name or its qualified one (Microsoft's SDKs send the latter). */
const ACTIONS = ['export', 'microsoft.graph.partners.billing.export'];

/** The request's origin, for the absolute URLs Graph answers with (Location, manifest, blobs). */
function originOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

async function billingCaller(verifier: TokenVerifier, req: FastifyRequest): Promise<Caller> {
  let caller: Caller;
  try {
    caller = await verifier.verify(req.headers.authorization);
  } catch (error) {
    if (error instanceof ApiError) throw graphErrors.unauthenticated(error.message);
    throw error;
  }
  if (!caller.canReadBilling) throw graphErrors.forbidden();
  return caller;
}

/**
 * Microsoft Graph's partner billing export routes (v1.0 and beta) and the blob downloads their
 * manifests point at, served from this store (billing-export-api.md §10): a second partner-usage
 * instance, or a developer's own sync code, can pull from this one as from Microsoft.
 */
export function graphBillingRoutes(app: FastifyInstance, verifier: TokenVerifier, exports: BillingExports): void {
  for (const version of ['v1.0', 'beta'] as const) {
    for (const kind of ['unbilled', 'billed'] as const) {
      for (const action of ACTIONS) {
        const config = { operationId: GRAPH_OPERATIONS[kind === 'billed' ? 0 : 1] };
        app.post(`/${version}${BASE}/usage/${kind}/${action}`, { config }, async (req, reply) => {
          const caller = await billingCaller(verifier, req);
          const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
          if (type !== 'application/json') throw graphErrors.unsupportedMediaType();
          const id = await exports.start(caller.partnerTenantId, version, kind, req.body);
          return reply
            .code(202)
            .header('Location', `${originOf(req)}/${version}${BASE}/operations/${id}`)
            .send();
        });
      }
    }
    const operationRoute = { config: { operationId: GRAPH_OPERATIONS[2] } };
    app.get<{ Params: { id: string } }>(`/${version}${BASE}/operations/:id`, operationRoute, async (req, reply) => {
      const caller = await billingCaller(verifier, req);
      const { body, retryAfterSeconds } = await exports.poll(caller.partnerTenantId, req.params.id, originOf(req));
      if (retryAfterSeconds !== undefined) reply.header('Retry-After', String(retryAfterSeconds));
      return reply.type('application/json').send(JSON.stringify(body));
    });
    const manifestRoute = { config: { operationId: GRAPH_OPERATIONS[3] } };
    app.get<{ Params: { id: string } }>(`/${version}${BASE}/manifests/:id`, manifestRoute, async (req, reply) => {
      const caller = await billingCaller(verifier, req);
      const manifest = await exports.manifest(caller.partnerTenantId, req.params.id, originOf(req));
      return reply.type('application/json').send(JSON.stringify(manifest));
    });
  }
  // Blobs are read with the manifest's SAS, not a token, as from Azure Storage.
  app.get('/blobs/*', { config: { operationId: GRAPH_OPERATIONS[4] } }, async (req, reply) => {
    const url = new URL(req.url, 'http://blob');
    const bytes = await exports.blob(decodeURIComponent(url.pathname), url.searchParams);
    return reply
      .type('application/octet-stream')
      .header('x-ms-blob-type', 'BlockBlob')
      .header('Content-Length', String(bytes.length))
      .send(bytes);
  });
}
