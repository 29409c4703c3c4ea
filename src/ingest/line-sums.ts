import { ExactSum } from '../money/exact-sum.js';
import { FRAC_DIGITS, WHOLE_LIMIT } from '../money/decimal-bytes.js';

/** The amounts a line carries, in this order. */
export const AMOUNTS = 3; // quantity, billing pre-tax total, USD pre-tax total

/**
 * A parse worker's sums per (resource, meter, period), in local indexes, as the importer receives
 * them: typed arrays, transferred rather than copied. `parts` holds [whole, frac × 10^15] per
 * amount per group; a group listed in `slow` left that form and is given as decimal text instead.
 */
export interface GroupSums {
  readonly count: number;
  readonly resource: Int32Array;
  readonly meter: Int32Array;
  readonly period: Int32Array;
  readonly parts: Float64Array;
  readonly slow: { readonly group: number; readonly text: string[] }[];
}

const FRAC_ONE = 10 ** FRAC_DIGITS;
const STRIDE = 2 * AMOUNTS;

/**
 * Exact sums of a parse worker's lines by resource × meter × period, in typed arrays: a line
 * adds its amounts to its group's [whole, frac] pairs (exact while wholes stay below 2^52, see
 * exact-sum.ts); a group that leaves that range moves to ExactSums. Measured: a Map of objects
 * keyed by resource × 2^21 + meter cost a tenth of a parse worker's time; this costs a fiftieth.
 */
export class LineSums {
  /** Per resource: its first group + 1 (0: none yet); groups of a resource are chained by `#next`. */
  #first = new Int32Array(1024);
  #next = new Int32Array(1024);
  #resource = new Int32Array(1024);
  #meter = new Int32Array(1024);
  #period = new Int32Array(1024);
  #parts = new Float64Array(1024 * STRIDE);
  #slow = new Map<number, ExactSum[]>();
  #isSlow = new Uint8Array(1024);
  #count = 0;

  /** The group of (resource, meter, period), made when new. */
  group(resource: number, meter: number, period: number): number {
    if (resource >= this.#first.length) this.#first = grown(this.#first, resource + 1);
    let g = this.#first[resource]! - 1;
    while (g >= 0 && (this.#meter[g] !== meter || this.#period[g] !== period)) g = this.#next[g]! - 1;
    if (g >= 0) return g;
    g = this.#count++;
    if (g === this.#meter.length) this.#grow();
    this.#resource[g] = resource;
    this.#meter[g] = meter;
    this.#period[g] = period;
    this.#next[g] = this.#first[resource]!;
    this.#first[resource] = g + 1;
    return g;
  }

  /** Adds `whole + frac / 10^15` to amount `k` of group `g`. */
  add(g: number, k: number, whole: number, frac: number): void {
    if (this.#isSlow[g]) {
      this.#slow.get(g)![k]!.addParts(whole, frac);
      return;
    }
    const p = this.#parts;
    const i = g * STRIDE + 2 * k;
    let w = p[i]! + whole;
    let f = p[i + 1]! + frac;
    if (f >= FRAC_ONE) {
      f -= FRAC_ONE;
      w += 1;
    } else if (f <= -FRAC_ONE) {
      f += FRAC_ONE;
      w -= 1;
    }
    p[i] = w;
    p[i + 1] = f;
    if (w >= WHOLE_LIMIT || w <= -WHOLE_LIMIT) this.#toSlow(g);
  }

  /** Adds a decimal outside the fast form (exponent, long fraction, huge value). */
  addText(g: number, k: number, text: string): void {
    (this.#slow.get(g) ?? this.#toSlow(g))[k]!.add(text);
  }

  #toSlow(g: number): ExactSum[] {
    const sums = Array.from({ length: AMOUNTS }, (_, k) => {
      const sum = new ExactSum();
      sum.addParts(this.#parts[g * STRIDE + 2 * k]!, this.#parts[g * STRIDE + 2 * k + 1]!);
      return sum;
    });
    this.#slow.set(g, sums);
    this.#isSlow[g] = 1;
    return sums;
  }

  /** The sums, for the importer; this table is not used afterwards. */
  take(): GroupSums {
    const n = this.#count;
    return {
      count: n,
      resource: this.#resource.slice(0, n),
      meter: this.#meter.slice(0, n),
      period: this.#period.slice(0, n),
      parts: this.#parts.slice(0, n * STRIDE),
      slow: [...this.#slow].map(([group, sums]) => ({ group, text: sums.map((s) => s.toText()) })),
    };
  }

  #grow(): void {
    const capacity = this.#meter.length * 2;
    this.#next = grown(this.#next, capacity);
    this.#resource = grown(this.#resource, capacity);
    this.#meter = grown(this.#meter, capacity);
    this.#period = grown(this.#period, capacity);
    const isSlow = new Uint8Array(capacity);
    isSlow.set(this.#isSlow);
    this.#isSlow = isSlow;
    const parts = new Float64Array(capacity * STRIDE);
    parts.set(this.#parts);
    this.#parts = parts;
  }
}

function grown(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(Math.max(min, a.length * 2));
  next.set(a);
  return next;
}
