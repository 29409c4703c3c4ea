/** A field as RFC 4180 writes it: quoted (its quotes doubled) when it holds a comma, a quote or a line break. */
export const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/**
 * A text cell of a CSV meant for a spreadsheet (the dashboard's "Download CSV"): one starting with
 * =, +, -, @, a tab or a CR is prefixed with ' so no spreadsheet runs it as a formula (OWASP's
 * rule). Not for files that must import back exactly (the reconciliation export).
 */
export const spreadsheetTextField = (s: string): string => csvField(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
