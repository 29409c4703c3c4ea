/**
 * npm run docs:columns — writes the column table of docs/ingest.md from the line schema
 * (src/domain/line-schema.ts), between its markers. A test checks that the docs are current.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINE_COLUMNS, type LineColumn } from '../src/domain/line-schema.js';

export const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/ingest.md');
const START = '<!-- line-schema:start (npm run docs:columns) -->';
const END = '<!-- line-schema:end -->';

const code = (name: string | null) => (name === null ? '—' : `\`${name}\``);

function identity(c: LineColumn): string {
  if (c.identity === null) return '';
  return typeof c.identity === 'number' ? `yes (hashed, ${c.identity})` : `yes (${c.identity})`;
}

/** The table, one row per column of the schema. */
export function columnTable(): string {
  const rows = (LINE_COLUMNS as readonly LineColumn[]).map((c) =>
    [
      code(c.csv),
      c.legacy ? code(c.legacy.name) : '—',
      code(c.graph) + (c.basic ? ' (basic)' : ''),
      code(c.v1),
      c.type,
      c.required ? 'yes' : '',
      identity(c),
      ['the line', ...(c.amount !== null ? ['its amounts'] : []), ...(c.kept ? [c.kept] : [])].join('; '),
    ].join(' | '),
  );
  return [
    '| daily-rated CSV | legacy file | Graph blob | v1 line item | type | required | identity | kept in |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** docs/ingest.md with its table as the schema says. */
export function documented(text: string): string {
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`docs/ingest.md lacks the markers ${START} … ${END}`);
  return `${text.slice(0, from + START.length)}\n${columnTable()}\n${text.slice(to)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(DOCS, documented(fs.readFileSync(DOCS, 'utf8')));
  console.log(`${DOCS}: the column table written from the line schema`);
}
