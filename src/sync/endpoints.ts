/** Microsoft's public endpoints: what `sync` talks to unless told otherwise. */
export const MICROSOFT = {
  graph: 'https://graph.microsoft.com',
  partnerCenter: 'https://api.partnercenter.microsoft.com',
  authority: 'https://login.microsoftonline.com',
} as const;

/** Graph's root with a version segment: a bare host gets /v1.0 (a national cloud's, or a partner-usage instance's). */
export function graphRoot(url: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/(v1\.0|beta)$/i.test(base) ? base : `${base}/v1.0`;
}

/** Partner Center's root with its version segment: a bare host gets /v1. */
export function partnerCenterRoot(url: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/v1$/i.test(base) ? base : `${base}/v1`;
}
