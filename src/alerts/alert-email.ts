import { JsonDecimal } from '../contract/exact-json.js';
import { formatMoney } from '../domain/money-format.js';
import type { AlertEvent } from '../domain/alert-event.js';

const TITLES: Record<AlertEvent['type'], string> = {
  'budget.threshold_reached': 'reached a budget threshold',
  'budget.forecast_over': 'is forecast to exceed its budget',
  'usage.anomaly': 'had an unusual day of Azure spend',
};

/** Money in the customer's currency as people read it (as the CLI shows it). */
const money = (amount: string | null, currency: string): string =>
  amount === null ? 'none' : formatMoney(new JsonDecimal(amount), { currencyCode: currency });

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** An alert as an e-mail: a subject, a plain-text body and the same figures as HTML. */
export function alertEmail(event: AlertEvent): { subject: string; text: string; html: string } {
  const d = event.data;
  const what =
    event.type === 'budget.threshold_reached'
      ? `reached ${d.threshold} % of its budget`
      : event.type === 'usage.anomaly'
        ? `spent ${money(d.anomaly!.amount, d.currency)} on ${String(d.anomaly!.day).replace(/(\d{4})(\d\d)(\d\d)/, '$1-$2-$3')}, against a usual ${money(d.anomaly!.median, d.currency)} a day`
        : TITLES[event.type];
  const subject = `${event.test ? '[test] ' : ''}${d.customer.name} ${TITLES[event.type]} (${d.period})`;
  const rows: [string, string][] = [
    ['Customer', `${d.customer.name} (${d.customer.id})`],
    ['Period', d.period],
    ['Spent so far', money(d.totalCost, d.currency)],
    ['Budget', money(d.budget, d.currency)],
    ['Used', `${d.percentUsed} %`],
    ['Forecast to month end', money(d.forecast.totalCost, d.currency)],
    ['In USD', money(d.usdTotalCost, 'USD')],
  ];
  const text = [
    `${d.customer.name} ${what}.`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    `Event ${event.id} (${event.type}) at ${event.timestamp}.`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1b1b1b">
<p><strong>${escapeHtml(d.customer.name)}</strong> ${escapeHtml(what)}.</p>
<table style="border-collapse:collapse">${rows
    .map(
      ([k, v]) =>
        `<tr><th style="text-align:left;padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`,
    )
    .join('')}</table>
<p style="color:#555;font-size:12px">Event ${escapeHtml(event.id)} (${escapeHtml(event.type)}) at ${escapeHtml(event.timestamp)}.</p>
</body></html>`;
  return { subject, text, html };
}
