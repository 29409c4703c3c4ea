import { csvField } from '../domain/csv-field.js';
import { plainDecimal } from '../money/decimal.js';
import type { GroupColumnData } from './column-groups.js';
import type { ExportColumn } from './export-layout.js';

/** Lines formatted, encoded and handed on at a time. */
const SLICE = 2048;

/**
 * RFC 4180 CSV with a header, from groups of rows handed over column by column (column-groups.ts):
 * decimals with every digit, timestamps as ISO-8601 UTC, null as empty. Each distinct value of a
 * group is formatted (quoted, its decimal written plainly) once; each group's bytes go to `emit`.
 */
export function csvEncoder(columns: readonly ExportColumn[], emit: (chunk: Uint8Array) => void) {
  const format = columns.map((c) => (c.type === 'decimal' ? plainDecimal : csvField));
  // Bytes of their own (not a slice of Buffer's shared pool): they are handed to another thread.
  const utf8 = new TextEncoder();
  emit(utf8.encode(`${columns.map((c) => csvField(c.name)).join(',')}\n`));
  return {
    writeGroup(group: readonly GroupColumnData[]): void {
      const rows = group[0]?.indexes.length ?? 0;
      // A column handed over as an earlier one's data (column-groups.ts: sameAs) is formatted once.
      const cells: string[][] = [];
      group.forEach(({ values }, i) => {
        const twin = group.findIndex((g, k) => k < i && g.values === values && format[k] === format[i]);
        cells.push(twin >= 0 ? cells[twin]! : values.map(format[i]!));
      });
      const line = new Array<string>(group.length);
      // Written a slice of the group at a time: a whole group's text is ~20 MB (a FOCUS line ~1 KB).
      for (let start = 0; start < rows; start += SLICE) {
        const lines = new Array<string>(Math.min(SLICE, rows - start));
        for (let r = 0; r < lines.length; r++) {
          for (let c = 0; c < group.length; c++) {
            const at = group[c]!.indexes[start + r]!;
            line[c] = at < 0 ? '' : cells[c]![at]!;
          }
          lines[r] = line.join(',');
        }
        emit(utf8.encode(`${lines.join('\n')}\n`));
      }
    },
    finish(): void {},
  };
}
