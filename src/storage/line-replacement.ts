import { CoarseLines } from './coarse-lines.js';
import { IdentityTable, occurrenceKey } from './identity-table.js';
import type { ImportWriter } from './import-writer.js';
import { int32s, isReplaced } from './usage-lines.js';

// A stored line's place: block_key × 2^20 + index (a block holds fewer than 2^20 lines); block
// keys start at 1, so a place is never 0, which the identity tables reserve.
const INDEX_SPAN = 2 ** 20;

/**
 * Which stored lines an import's lines replace: the identities stored for a (partner, period)
 * before the import are held in memory (identity-table.ts), not indexed in SQL; a new line with
 * the same identity and ordinal marks the stored one replaced in its block's bitmap.
 */
export class LineReplacement {
  readonly #writer: ImportWriter;
  /** Per preexisting scope: occurrence key → place of the stored line a new line replaces. */
  readonly #stored: (IdentityTable | undefined)[] = [];
  /** Per preexisting scope with lines stored before migration 0004: their places by (resource, meter, day). */
  readonly #coarse: (CoarseLines | undefined)[] = [];
  /** block_key → indexes of its lines this import replaced, not yet marked. */
  readonly #replacedIn = new Map<number, number[]>();
  readonly #key = new Int32Array(2);
  #replaced = 0;

  constructor(writer: ImportWriter) {
    this.#writer = writer;
  }

  /** Lines replaced so far. */
  get replaced(): number {
    return this.#replaced;
  }

  /**
   * Loads the identities of the lines stored for a scope before this import; lines stored before
   * migration 0004 by (resource, meter, day) instead, their identities being of ids as spelled then.
   */
  async load(scope: number, partnerKey: number, period: string): Promise<void> {
    const table = new IdentityTable({ wide: true });
    let coarse: CoarseLines | undefined;
    const key = this.#key;
    for await (const block of this.#writer.blocks(partnerKey, period)) {
      if (block.identityScheme === 1) {
        coarse ??= new CoarseLines();
        const resources = int32s(block.resources, block.count);
        const meters = int32s(block.meters, block.count);
        const days = int32s(block.days, block.count);
        for (let i = 0; i < block.count; i++) {
          if (!isReplaced(block.replaced, i))
            coarse.add(resources[i]!, meters[i]!, days[i]!, block.blockKey * INDEX_SPAN + i);
        }
        continue;
      }
      const words = int32s(block.identities, 2 * block.count);
      const ordinals = int32s(block.ordinals, block.count);
      for (let i = 0; i < block.count; i++) {
        if (isReplaced(block.replaced, i)) continue;
        occurrenceKey(words[2 * i]!, words[2 * i + 1]!, ordinals[i]!, key);
        table.set(key[0]!, key[1]!, block.blockKey * INDEX_SPAN + i);
      }
    }
    this.#stored[scope] = table;
    this.#coarse[scope] = coarse;
  }

  /** A snapshot's scope: every stored line of these resources is replaced, whatever the new lines are. */
  async replaceAll(partnerKey: number, period: string, resources: ReadonlySet<number>): Promise<void> {
    for await (const block of this.#writer.blocks(partnerKey, period)) {
      const keys = int32s(block.resources, block.count);
      for (let i = 0; i < block.count; i++) {
        if (!isReplaced(block.replaced, i) && resources.has(keys[i]!)) this.#mark(block.blockKey * INDEX_SPAN + i);
      }
    }
  }

  /** A new line of a scope: the stored line it repeats (identity [lo, hi], its ordinal), if any, is replaced. */
  replace(scope: number, lo: number, hi: number, ordinal: number, resource: number, meter: number, day: number): void {
    const stored = this.#stored[scope];
    if (!stored) return;
    const key = this.#key;
    occurrenceKey(lo, hi, ordinal, key);
    const place = stored.get(key[0]!, key[1]!);
    if (place !== undefined && place > 0) {
      stored.set(key[0]!, key[1]!, -1); // replaced once; the table has no delete
      this.#mark(place);
    }
    const coarse = this.#coarse[scope];
    if (coarse) for (const p of coarse.take(resource, meter, day)) this.#mark(p);
  }

  #mark(place: number): void {
    const block = Math.floor(place / INDEX_SPAN);
    let marks = this.#replacedIn.get(block);
    if (!marks) this.#replacedIn.set(block, (marks = []));
    marks.push(place % INDEX_SPAN);
    this.#replaced++;
  }

  /** Marks replaced lines in their blocks; a block with every line replaced is deleted. */
  async flush(): Promise<void> {
    for (const [block, indexes] of this.#replacedIn) {
      const { count, replaced } = await this.#writer.blockMarks(block);
      const bitmap = Buffer.alloc(Math.ceil(count / 8));
      replaced?.copy(bitmap);
      for (const i of indexes) bitmap[i >>> 3]! |= 1 << (i & 7);
      let set = 0;
      for (let i = 0; i < count; i++) if (isReplaced(bitmap, i)) set++;
      if (set === count) await this.#writer.deleteBlock(block);
      else await this.#writer.setReplaced(block, bitmap);
    }
    this.#replacedIn.clear();
  }
}
