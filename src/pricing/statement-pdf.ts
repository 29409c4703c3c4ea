import { createRequire } from 'node:module';
import path from 'node:path';
import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { csvField } from '../domain/csv-field.js';
import type { Statement, StatementLine } from './statement.js';
import { statementLabels } from './statement-labels.js';

// DejaVu Sans from its npm package (not the system's): Latin, Greek and Cyrillic names and every
// currency sign the statements print, embedded in the PDF.
const FONTS = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const REGULAR = path.join(FONTS, 'DejaVuSans.ttf');
const BOLD = path.join(FONTS, 'DejaVuSans-Bold.ttf');

/** An amount as people read it in the statement's culture and currency (already rounded). */
const money = (s: Statement, shown: string) =>
  new Intl.NumberFormat(s.locale, {
    style: 'currency',
    currency: s.currency,
    minimumFractionDigits: s.decimals,
    maximumFractionDigits: s.decimals,
  }).format(shown as `${number}`); // a numeric string: Intl formats its digits exactly

const monthName = (s: Statement) =>
  new Intl.DateTimeFormat(s.locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    new Date(`${s.period}-01T00:00:00Z`),
  );

/**
 * The statement as a PDF a person would accept from a supplier: the issuer and the customer, the
 * period, the total, spend by subscription and by meter category, a chart of the days, and how the
 * amounts were rounded. A4, one page for most customers (more when the tables are long).
 */
export function writeStatementPdf(s: Statement, out: Writable): Promise<void> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Statement ${s.period} — ${s.customer.name}`, Author: s.issuer.name || s.issuer.tenantId },
  });
  doc.registerFont('regular', REGULAR);
  doc.registerFont('bold', BOLD);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  doc.pipe(out);
  const words = statementLabels(s.locale);
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc
    .font('bold')
    .fontSize(16)
    .text(s.issuer.name || s.issuer.tenantId);
  doc.font('regular').fontSize(9).fillColor('#555').text(`Microsoft Cloud Solution Provider · ${s.issuer.tenantId}`);
  doc.moveDown(1.2).fillColor('#000');
  doc
    .font('bold')
    .fontSize(13)
    .text(words.title(monthName(s)));
  doc.moveDown(0.4).font('regular').fontSize(10);
  doc.text(`${words.customer}: ${s.customer.name}`);
  doc.text(`${words.tenant}: ${s.customer.tenantId}${s.customer.domain ? ` (${s.customer.domain})` : ''}`);
  doc.text(`${words.period}: ${s.period} · ${words.currency}: ${s.currency}`);
  doc.moveDown(0.8);
  doc
    .font('bold')
    .fontSize(14)
    .text(`${words.total}: ${money(s, s.totalShown)}`);
  doc.moveDown(0.8);

  const table = (title: string, rows: readonly StatementLine[]) => {
    doc.font('bold').fontSize(11).text(title, left);
    doc.moveDown(0.2).font('regular').fontSize(9);
    for (const r of rows) {
      if (doc.y > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
      const y = doc.y;
      doc.text(r.label, left, y, { width: width * 0.7, ellipsis: true, lineBreak: false });
      doc.text(money(s, r.shown), left + width * 0.7, y, { width: width * 0.3, align: 'right' });
    }
    doc.moveDown(0.8);
  };
  table(words.bySubscription, s.bySubscription);
  table(words.byCategory, s.byCategory);

  // The days as bars, to scale.
  if (s.byDay.length > 0) {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 150) doc.addPage();
    doc.font('bold').fontSize(11).text(words.byDay, left);
    const top = doc.y + 6;
    const height = 90;
    const values = s.byDay.map((d) => Math.max(0, Number(d.shown)));
    const max = Math.max(...values, 0) || 1;
    const step = width / s.byDay.length;
    values.forEach((v, i) => {
      const h = (v / max) * height;
      doc.rect(left + i * step + step * 0.15, top + height - h, step * 0.7, h).fill('#2f6fb0');
    });
    doc.fillColor('#000').font('regular').fontSize(7);
    doc.text(s.byDay[0]!.label, left, top + height + 4);
    doc.text(s.byDay.at(-1)!.label, left, top + height + 4, { width, align: 'right' });
    doc.y = top + height + 20;
  }

  doc.moveDown(1).font('regular').fontSize(8).fillColor('#555');
  doc.text(
    words.footnote({
      issuer: s.issuer.name || s.issuer.tenantId,
      currency: s.currency,
      decimals: s.decimals,
      difference: money(s, s.roundingDifference),
    }),
    left,
    doc.y,
    { width },
  );
  doc.end();
  return done;
}

/** The statement as CSV: section, key, label, amount as shown, exact amount; then the total and the rounding difference. */
export function statementCsv(s: Statement): string {
  const rows: string[][] = [['section', 'key', 'label', 'amount', 'exact']];
  const add = (section: string, lines: readonly StatementLine[]) =>
    lines.forEach((l) => rows.push([section, l.key, l.label, l.shown, l.amount]));
  add('subscription', s.bySubscription);
  add('meterCategory', s.byCategory);
  add('day', s.byDay);
  rows.push(['total', '', `${s.customer.name} ${s.period} ${s.currency}`, s.totalShown, s.total]);
  rows.push(['roundingDifference', '', 'total − the rounded subscriptions', s.roundingDifference, '']);
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
