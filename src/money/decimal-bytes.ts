/**
 * Reading ASCII decimals ("-12.5", ".5", "3.", "1.5E-05") straight from a file's bytes, without
 * making a string: the import's hot path reads three a line.
 */

/** Fractional digits of the fast form: a value is `whole + frac / 10^15`. */
export const FRAC_DIGITS = 15;
/** The fast form holds wholes below this; sums leave it beyond (see exact-sum.ts). */
export const WHOLE_LIMIT = 2 ** 52;
const POW10 = Array.from({ length: FRAC_DIGITS + 1 }, (_, i) => 10 ** i);

export const DecimalRead = {
  /** Not a decimal number. */
  Invalid: 0,
  /** A decimal, written to `out` as [whole, frac × 10^15], both integers of the same sign. */
  Fast: 1,
  /** A decimal outside the fast form (an exponent, more than 15 fractional digits, a huge whole). */
  Slow: 2,
} as const;
export type DecimalRead = (typeof DecimalRead)[keyof typeof DecimalRead];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Validates the decimal in bytes [start, end) and, when it fits, writes its fast form at `out[at]`. */
export function readDecimal(buf: Uint8Array, start: number, end: number, out: Float64Array, at: number): DecimalRead {
  let i = start;
  let negative = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) negative = buf[i++] === 0x2d;
  let whole = 0;
  const wholeStart = i;
  for (; i < end && isDigit(buf[i]!); i++) whole = whole * 10 + (buf[i]! - 0x30);
  let digits = i - wholeStart;
  let frac = 0;
  let fracDigits = 0;
  if (i < end && buf[i] === 0x2e) {
    const fracStart = ++i;
    for (; i < end && isDigit(buf[i]!); i++) if (i - fracStart < FRAC_DIGITS) frac = frac * 10 + (buf[i]! - 0x30);
    fracDigits = i - fracStart;
    digits += fracDigits;
  }
  if (digits === 0) return DecimalRead.Invalid;
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
    const exponentStart = i;
    while (i < end && isDigit(buf[i]!)) i++;
    if (i === exponentStart || i - exponentStart > 4 || i !== end) return DecimalRead.Invalid;
    return DecimalRead.Slow;
  }
  if (i !== end) return DecimalRead.Invalid;
  if (fracDigits > FRAC_DIGITS || whole >= WHOLE_LIMIT) return DecimalRead.Slow;
  frac *= POW10[FRAC_DIGITS - fracDigits]!;
  out[at] = negative ? -whole : whole;
  out[at + 1] = negative ? -frac : frac;
  return DecimalRead.Fast;
}
