/** Validation of the text fields a reconciliation line carries. */

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(text: string): boolean {
  return text.length === 36 && GUID.test(text);
}

export function isCurrencyCode(text: string): boolean {
  return /^[A-Za-z]{3}$/.test(text);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?)?$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * The UTC calendar day of a UsageDate, as yyyymmdd; undefined when it is not a date.
 * Accepts ISO-8601 (with Z, an offset, or no zone: read as UTC) and the US form the legacy file
 * uses ("2/1/2019 0:00"). A time with an offset is moved to UTC first.
 */
export function parseUsageDay(text: string): number | undefined {
  let m = ISO_DATE.exec(text);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    if (!validDay(y, mo, d)) return undefined;
    const hh = Number(m[4] ?? 0);
    const mm = Number(m[5] ?? 0);
    const ss = Number(m[6] ?? 0);
    if (hh > 23 || mm > 59 || ss > 59) return undefined;
    const zone = m[7];
    if (zone && zone !== 'Z' && !/^[+-]00:?00$/.test(zone)) {
      const t = Date.parse(text.replace(' ', 'T'));
      if (Number.isNaN(t)) return undefined;
      const u = new Date(t);
      return u.getUTCFullYear() * 10000 + (u.getUTCMonth() + 1) * 100 + u.getUTCDate();
    }
    return y * 10000 + mo * 100 + d;
  }
  m = US_DATE.exec(text);
  if (m) {
    const mo = Number(m[1]);
    const d = Number(m[2]);
    const y = Number(m[3]);
    if (!validDay(y, mo, d)) return undefined;
    if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59) return undefined;
    return y * 10000 + mo * 100 + d;
  }
  return undefined;
}

export function periodOfDay(day: number): string {
  const y = Math.floor(day / 10000);
  const m = Math.floor(day / 100) % 100;
  return `${y}-${String(m).padStart(2, '0')}`;
}

/**
 * A date (and time) as ISO-8601 UTC for JSON: ISO text as written; the legacy file's US form
 * ("2/1/2019 0:00", "12/31/2026 11:59 PM") as `2019-02-01T00:00:00Z`. Undefined when it is not a date.
 */
export function isoDateTime(text: string): string | undefined {
  const t = text.trim();
  if (ISO_DATE.test(t)) return t;
  const m = US_DATE.exec(t);
  if (!m || parseUsageDay(t) === undefined) return undefined;
  let hour = Number(m[4] ?? 0) % (m[7] ? 12 : 24);
  if (m[7]?.toLowerCase() === 'pm') hour += 12;
  const pad = (n: number | string) => String(n).padStart(2, '0');
  return `${m[3]}-${pad(m[1]!)}-${pad(m[2]!)}T${pad(hour)}:${pad(m[5] ?? 0)}:${pad(m[6] ?? 0)}Z`;
}
