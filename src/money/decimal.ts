import { isPlainDecimal } from '../contract/exact-json.js';

/**
 * Exact decimals as a BigInt of units and a scale (value = units / 10^scale).
 *
 * Money never passes through a binary float: files are read as text, sums are made on integers,
 * and JSON is written from the decimal text. The range is unbounded (BigInt); see docs/money.md.
 */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

export const ZERO: Decimal = Object.freeze({ units: 0n, scale: 0 });

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

/** Parses decimal text ("-12.345", "1.5E-05"); undefined when it is not a decimal number. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', exp] = m;
  if (whole === '' && frac === '') return undefined;
  let digits = whole + frac;
  let scale = frac.length - (exp === undefined ? 0 : Number(exp));
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits === '' ? '0' : digits);
  return { units: sign === '-' ? -units : units, scale };
}

export function rescale(d: Decimal, scale: number): bigint {
  if (scale < d.scale) throw new RangeError('rescale would drop digits');
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The exact decimal text, without trailing fractional zeros ("0", "-0.5", "120.5683"). */
export function formatDecimal(d: Decimal): string {
  const { units, scale } = d;
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  if (scale <= 0) return (negative ? '-' : '') + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  const fraction = padded.slice(-scale).replace(/0+$/, '');
  const text = fraction === '' ? padded.slice(0, -scale) : `${padded.slice(0, -scale)}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}

/** Rounds half away from zero to `places` decimals. */
export function round(d: Decimal, places: number): Decimal {
  if (d.scale <= places) return d;
  const divisor = 10n ** BigInt(d.scale - places);
  let q = d.units / divisor;
  const r = d.units % divisor;
  if (2n * (r < 0n ? -r : r) >= divisor) q += d.units < 0n ? -1n : 1n;
  return { units: q, scale: places };
}

/** a / b rounded half away from zero to `places` decimals; b must not be zero. */
export function divide(a: Decimal, b: Decimal, places: number): Decimal {
  if (b.units === 0n) throw new RangeError('division by zero');
  // a/b = (a.units / 10^a.scale) / (b.units / 10^b.scale); keep one extra digit to round.
  const shift = places + 1 + b.scale - a.scale;
  const num = shift >= 0 ? a.units * 10n ** BigInt(shift) : a.units / 10n ** BigInt(-shift);
  const q = num / b.units;
  return round({ units: q, scale: places + 1 }, places);
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/**
 * Decimal text as a plain JSON number would write it ("1.5E-05" → "0.000015", "+.5" → "0.5",
 * "007.5" → "7.5"); every digit kept.
 */
export function plainDecimal(text: string): string {
  if (isPlainDecimal(text)) return text;
  const d = parseDecimal(text);
  if (!d) throw new RangeError(`not a decimal: ${text}`);
  return formatDecimal(d);
}
