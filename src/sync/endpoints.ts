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
