import { apiErrors } from '../../contract/api-errors.js';
import { parseExact } from '../../contract/exact-json.js';
import { isIso4217Currency } from '../../contract/currency-codes.js';
import { currentBillingPeriod, previousBillingPeriod } from '../../domain/usage-model.js';
import { v1LineItem } from '../../export/line-json.js';
import type { OperationHandler } from '../operation-routes.js';

/** Partner Center's page size for line items, and its default. */
const MAX_SIZE = 2000;
const ROUTE = 'unbilledLineItems';

/**
 * GET /v1/invoices/unbilled/lineitems: the older line-item API (billing-export-api.md §8) over the
 * stored lines. Its examples spell the query's names and values in several cases, so both are
 * read without regard to case. A continuation token carries the last line's position and the
 * period's snapshot tag: a page asked for after the lines changed is refused (start again) rather
 * than stitched from two versions.
 */
export const getUnbilledLineItems: OperationHandler<'getUnbilledLineItems'> = async ({ caller, req }, deps) => {
  const query = new Map<string, string>();
  for (const [name, value] of Object.entries(req.query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) throw apiErrors.invalidInput(`The query parameter ${name} is given more than once.`);
    query.set(name.toLowerCase(), value);
  }
  const need = (name: string, allowed: readonly string[]): string => {
    const value = query.get(name);
    if (value === undefined) throw apiErrors.invalidInput(`The query parameter ${name} is required.`);
    if (!allowed.includes(value.toLowerCase())) throw apiErrors.invalidEnum(name, value);
    return value.toLowerCase();
  };
  need('provider', ['onetime']);
  need('invoicelineitemtype', ['usagelineitems']);
  const when = need('period', ['current', 'previous']);
  const currency = query.get('currencycode');
  if (!currency || !/^[A-Za-z]{3}$/.test(currency) || !isIso4217Currency(currency))
    throw apiErrors.invalidInput('The query parameter currencycode is required: an ISO 4217 currency code.');
  const sizeText = query.get('size');
  const size = sizeText === undefined ? MAX_SIZE : /^\d{1,4}$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!(size >= 1 && size <= MAX_SIZE))
    throw apiErrors.invalidInput(
      `The size '${String(sizeText).slice(0, 40)}' is not a page size from 1 to ${MAX_SIZE}.`,
    );
  const current = currentBillingPeriod();
  const period = when === 'current' ? current : previousBillingPeriod(current);
  const partner = caller.partnerTenantId;
  const tag = (await deps.store.lines.snapshotTag(partner, period, currency)) ?? '';

  let after = 0;
  if (query.get('seekoperation')?.toLowerCase() === 'next') {
    const header = req.headers['ms-continuationtoken'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw apiErrors.invalidInput('A next page needs the MS-ContinuationToken header.');
    const cursor = deps.tokens.read(token, { partner, route: ROUTE, period });
    const [position, tokenCurrency, tokenTag] = cursor.after.split('|');
    if (tokenCurrency !== currency.toUpperCase()) throw apiErrors.invalidContinuationToken();
    if (tokenTag !== tag) throw apiErrors.staleContinuationToken();
    after = Number(position);
  }

  const items: unknown[] = [];
  let last = after;
  let more = false;
  for await (const row of deps.store.lines.rows(partner, period, { currency, after })) {
    if (items.length === size) {
      more = true;
      break;
    }
    items.push(parseExact(v1LineItem(row)));
    last = row.position;
  }
  const self = `/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=${currency.toUpperCase()}&period=${when}&size=${size}`;
  const token = more
    ? deps.tokens.issue({ partner, route: ROUTE, period, size, after: `${last}|${currency.toUpperCase()}|${tag}` })
    : undefined;
  return {
    resource: {
      totalCount: items.length,
      items,
      ...(token ? { continuationToken: token } : {}),
      links: {
        self: { uri: self, method: 'GET', headers: [] },
        ...(token
          ? {
              next: {
                uri: `${self}&seekOperation=Next`,
                method: 'GET',
                headers: [{ key: 'MS-ContinuationToken', value: token }],
              },
            }
          : {}),
      },
      attributes: { objectType: 'Collection' },
    },
  };
};
