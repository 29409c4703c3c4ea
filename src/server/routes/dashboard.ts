import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The built dashboard (`vite build`, web/): dist/web beside dist/server and src/server. */
export const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

/**
 * Strict: the page's own scripts and styles only (no inline script, no CDN), its API calls to this
 * origin (and the sign-in provider's token endpoint, `connect`), never framed. Chart and bar widths
 * are set through the CSSOM, which CSP allows.
 */
export const dashboardCsp = (connect: readonly string[] = []): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...connect].join(' '),
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

export type PageHandler = (req: FastifyRequest, reply: FastifyReply) => FastifyReply;

/** Paths that are the API's, where an unknown path keeps Partner Center's JSON 404. */
export const isApiPath = (url: string): boolean =>
  /^\/(v1(\.0)?|beta|blobs)(\/|$|\?)/i.test(url) || url.startsWith('/openapi.json');

function pageHeaders(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header('Content-Security-Policy', csp)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-cache');
}

/**
 * Serves the dashboard at `/`: hashed assets (assets/…) cached for a year, the page itself
 * revalidated each time, and the page for any other non-API path (its routes live in the URL:
 * /customers/{id}, /alerts, /docs …). Returns the handler for paths no route matched, or
 * undefined when the dashboard is not built (the API is served alone).
 */
export function dashboardRoutes(
  app: FastifyInstance,
  dir = DASHBOARD_DIR,
  connect: readonly string[] = [],
): PageHandler | undefined {
  const csp = dashboardCsp(connect);
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) return undefined;
  const index = fs.readFileSync(indexFile);
  void app.register(fastifyStatic, {
    root: path.join(dir, 'assets'),
    prefix: '/assets/',
    index: false,
    wildcard: true,
    // Built with .br and .gz beside each asset (vite.config.ts): sent to browsers that accept them.
    preCompressed: true,
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  return (_req, reply) => pageHeaders(reply, csp).type('text/html; charset=utf-8').send(index);
}
