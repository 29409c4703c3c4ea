/**
 * Reading ASCII decimals ("-12.5", ".5", "3.", "1.5E-05") straight from a file's bytes, without
 * making a string: the import's hot path reads three a line. The syntax and range accepted are
 * docs/money.md's "Numbers the importer accepts"; anything else is refused here, in time linear
 * in its (bounded) length, never expanded.
 */

/** Fractional digits of the fast form: a value is `whole + frac / 10^15`. */
export const FRAC_DIGITS = 15;
/** The fast form holds wholes below this; sums leave it beyond (see exact-sum.ts). */
export const WHOLE_LIMIT = 2 ** 52;
/** The longest decimal text accepted, in characters. */
export const MAX_DECIMAL_LENGTH = 64;
/** Digits accepted before the decimal point once the exponent is applied: |value| < 10^18. */
export const MAX_WHOLE_DIGITS = 18;
/** Significant digits accepted after the decimal point once the exponent is applied. */
export const MAX_FRACTION_DIGITS = 30;
const MAX_EXPONENT_DIGITS = 3;
const POW10 = Array.from({ length: FRAC_DIGITS + 1 }, (_, i) => 10 ** i);

export const DecimalRead = {
  /** Not a decimal number. */
  Invalid: 0,
  /** A decimal, written to `out` as [whole, frac × 10^15], both integers of the same sign. */
  Fast: 1,
  /** A decimal outside the fast form (a digit past the 15th fractional place, a whole of 2^52 or more). */
  Slow: 2,
  /** A well-formed decimal outside the accepted range (length, magnitude or precision). */
  OutOfRange: 3,
} as const;
export type DecimalRead = (typeof DecimalRead)[keyof typeof DecimalRead];

/** What is wrong with a decimal readDecimal() refused, for an error message. */
export function decimalProblem(read: DecimalRead): string {
  return read === DecimalRead.OutOfRange
    ? `is outside the accepted range (at most ${MAX_DECIMAL_LENGTH} characters, ${MAX_WHOLE_DIGITS} digits before the point and ${MAX_FRACTION_DIGITS} after it)`
    : 'is not a decimal number';
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Validates the decimal in bytes [start, end) and, when it fits, writes its fast form at `out[at]`. */
export function readDecimal(buf: Uint8Array, start: number, end: number, out: Float64Array, at: number): DecimalRead {
  if (end - start > MAX_DECIMAL_LENGTH) return DecimalRead.OutOfRange;
  let i = start;
  let negative = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) negative = buf[i++] === 0x2d;
  let whole = 0;
  const wholeStart = i;
  for (; i < end && isDigit(buf[i]!); i++) whole = whole * 10 + (buf[i]! - 0x30);
  const wholeEnd = i;
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
  let exponent = 0;
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let sign = 1;
    if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) sign = buf[i++] === 0x2d ? -1 : 1;
    const exponentStart = i;
    for (; i < end && isDigit(buf[i]!); i++) exponent = exponent * 10 + (buf[i]! - 0x30);
    if (i === exponentStart || i !== end) return DecimalRead.Invalid;
    if (i - exponentStart > MAX_EXPONENT_DIGITS) return DecimalRead.OutOfRange;
    exponent *= sign;
  } else if (i !== end) {
    return DecimalRead.Invalid;
  }
  if (exponent === 0 && fracDigits <= FRAC_DIGITS && whole < WHOLE_LIMIT) {
    frac *= POW10[FRAC_DIGITS - fracDigits]!;
    out[at] = negative ? -whole : whole;
    out[at + 1] = negative ? -frac : frac;
    return DecimalRead.Fast;
  }
  if (!inRange(buf, wholeStart, wholeEnd, fracDigits, exponent)) return DecimalRead.OutOfRange;
  return toFastForm(buf, wholeStart, wholeEnd, fracDigits, exponent, negative, out, at)
    ? DecimalRead.Fast
    : DecimalRead.Slow;
}

/**
 * A decimal with an exponent, or with zeros past the 15th fractional place, in the fast form when
 * the value allows: "1.5E-05" is [0, 15 × 10^9], as "0.000015" is. A file that writes its small
 * quantities so would otherwise sum every group holding one exactly but slowly (BigInt on the
 * heap: +35 % time and +100 MB for a million lines, docs/benchmarks.md). Every term is an integer
 * below 2^53, so the sums are exact.
 */
function toFastForm(
  buf: Uint8Array,
  wholeStart: number,
  wholeEnd: number,
  fracDigits: number,
  exponent: number,
  negative: boolean,
  out: Float64Array,
  at: number,
): boolean {
  const wholeDigits = wholeEnd - wholeStart;
  const fracStart = wholeEnd + 1;
  let whole = 0;
  let frac = 0;
  for (let k = 0; k < wholeDigits + fracDigits; k++) {
    const digit = buf[k < wholeDigits ? wholeStart + k : fracStart + k - wholeDigits]! - 0x30;
    if (digit === 0) continue;
    const power = wholeDigits - 1 - k + exponent;
    if (power > FRAC_DIGITS || power < -FRAC_DIGITS) return false;
    if (power >= 0) whole += digit * POW10[power]!;
    else frac += digit * POW10[FRAC_DIGITS + power]!;
  }
  if (whole >= WHOLE_LIMIT) return false;
  out[at] = negative ? -whole : whole;
  out[at + 1] = negative ? -frac : frac;
  return true;
}

/**
 * Whether a well-formed decimal is in the accepted range: its significant digits, once the
 * exponent moves the point, lie between 10^17 and 10^-30. Only values outside the fast form get
 * here, so the rescan costs nothing on the hot path.
 */
function inRange(buf: Uint8Array, wholeStart: number, wholeEnd: number, fracDigits: number, exponent: number): boolean {
  // Digit k of the whole part (0 = first) has power (wholeDigits - 1 - k); fraction digit j, -(j + 1).
  const wholeDigits = wholeEnd - wholeStart;
  const fracStart = wholeEnd + 1;
  const digitAt = (k: number) => buf[k < wholeDigits ? wholeStart + k : fracStart + k - wholeDigits]!;
  const total = wholeDigits + fracDigits;
  let first = 0;
  while (first < total && digitAt(first) === 0x30) first++;
  if (first === total) return true; // zero
  let last = total - 1;
  while (digitAt(last) === 0x30) last--;
  const highest = wholeDigits - 1 - first + exponent;
  const lowest = wholeDigits - 1 - last + exponent;
  return highest < MAX_WHOLE_DIGITS && lowest >= -MAX_FRACTION_DIGITS;
}
