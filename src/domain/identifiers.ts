/**
 * When two spellings of an identifier are the same identifier (docs/ingest.md, "Identifiers"):
 * GUIDs (partner, customer, subscription, entitlement), meter ids and Azure resource URIs are
 * compared without surrounding white space and without regard to the case of ASCII letters —
 * GUIDs by RFC 9562, resource ids because Azure Resource Manager treats them so. The importer
 * applies the same rule to bytes (line-decoder.ts); this is its form for stored text.
 */
export function normaliseKey(text: string): string {
  return trimAsciiSpace(text).replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Drops surrounding ASCII white space (tab to carriage return, space) and nothing else: not
 * String.trim's U+00A0, which as a raw Latin-1 byte would pass a GUID check that the byte-level
 * key (line-decoder.ts) keeps, making two entries of one id.
 */
export function trimAsciiSpace(text: string): string {
  return text.replace(/^[\t-\r ]+|[\t-\r ]+$/g, '');
}
