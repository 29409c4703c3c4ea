/**
 * ISO 4217's currencies in circulation (the runtime's ICU list, which leaves out XXX, XTS and the
 * metals), less the accounting units no one is billed in (XDR, XSU, XUA). A wire rule: the API
 * refuses other codes and the OpenAPI document lists these.
 */
export const ISO_4217_CODES: readonly string[] = Intl.supportedValuesOf('currency').filter(
  (c) => !['XDR', 'XSU', 'XUA'].includes(c),
);

const CODES = new Set(ISO_4217_CODES);

/** Whether `code` is a real ISO 4217 currency (any case): XXX or ABC are not. */
export function isIso4217Currency(code: string): boolean {
  return CODES.has(code.toUpperCase());
}
