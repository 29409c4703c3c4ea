/** JSON's grammar of a number without an exponent: no '+', no leading zeros, digits on both sides of a point. */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** Whether text may be written as it is where JSON reads a number (a file's "007.5" may not). */
export const isPlainDecimal = (text: string): boolean => PLAIN_DECIMAL.test(text);

/**
 * JSON with exact decimals. A money value is carried as a JsonDecimal (its decimal text) and
 * written as a bare JSON number with every digit, e.g. 120.5682999999995904716, which
 * JSON.stringify of a double cannot do. Node 20 has no JSON.rawJSON, so decimals are written
 * through a placeholder that no other string can produce (it holds a NUL).
 */
export class JsonDecimal {
  constructor(readonly text: string) {
    if (!isPlainDecimal(text)) throw new RangeError(`not a plain decimal: ${text}`);
  }

  toJSON(): string {
    return `\u0000dec:${this.text}\u0000`;
  }

  /** The nearest double: for display and arithmetic that may round. */
  toNumber(): number {
    return Number(this.text);
  }

  valueOf(): number {
    return this.toNumber();
  }

  toString(): string {
    return this.text;
  }
}

const PLACEHOLDER = /"\\u0000dec:(-?\d+(?:\.\d+)?)\\u0000"/g;

export function stringifyExact(value: unknown, space?: number): string {
  return JSON.stringify(value, undefined, space).replace(PLACEHOLDER, '$1');
}

/** The most digits an exponent may move the point by: past it a number cannot be kept exactly. */
const MAX_EXPONENT = 400;

/**
 * `1.5e-3` as the plain decimal `0.0015`, digit for digit. A number whose exponent reaches past
 * MAX_EXPONENT (1e-999999999, 1e400) is refused as a SyntaxError: it can be kept neither exactly
 * nor as a double (it would become 0 or Infinity).
 */
function expandExponent(token: string): string {
  const [, sign, whole, fraction = '', exponent] = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(token)!;
  const shift = Number(exponent);
  if (!(Math.abs(shift) <= MAX_EXPONENT)) {
    throw new SyntaxError(
      `the number ${token.slice(0, 40)} is outside what is kept exactly (exponents up to ±${MAX_EXPONENT})`,
    );
  }
  const digits = whole! + fraction;
  const point = whole!.length + shift;
  const padded = point <= 0 ? '0'.repeat(1 - point) + digits : digits.padEnd(point, '0');
  const at = Math.max(point, 1);
  const int = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const frac = padded.slice(at);
  return `${sign}${int}${frac === '' ? '' : `.${frac}`}`;
}

/** Parses JSON keeping every number's digits: numbers come back as JsonDecimal. */
export function parseExact(text: string): unknown {
  // Quote every number token outside strings, then revive them as JsonDecimal.
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))!;
      out += `"\\u0000num:${m[2] === undefined ? m[0] : expandExponent(m[0])}"`;
      i += m[0].length;
    } else {
      out += ch;
      i++;
    }
  }
  return JSON.parse(out, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith('\u0000num:') ? new JsonDecimal(v.slice(5)) : v,
  );
}
