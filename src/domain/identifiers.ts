/**
 * When two spellings of an identifier are the same identifier (docs/ingest.md, "Identifiers"):
 * GUIDs (partner, customer, subscription, entitlement), meter ids and Azure resource URIs are
 * compared without surrounding white space and without regard to the case of ASCII letters —
 * GUIDs by RFC 9562, resource ids because Azure Resource Manager treats them so. The importer
 * applies the same rule to bytes (line-decoder.ts); this is its form for stored text.
 */
export function normaliseKey(text: string): string {
  return text.replace(/^[\t-\r ]+|[\t-\r ]+$/g, '').replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
