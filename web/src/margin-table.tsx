import type { MarginRow } from '../../src/contract/resources.js';
import type { MarginGroup, MarginSort } from '../../src/contract/view-options.js';
import { money, percent } from './format.js';
import { t } from './i18n.js';
import { onLinkClick } from './route.js';
import { customerUrl } from './view-state.js';
import { SortHeader } from './view-controls.js';

export type Margin = MarginRow;

/** The heading of a grouping's first column. */
export const GROUP_LABEL: Record<MarginGroup, Parameters<typeof t>[0]> = {
  customer: 'groupCustomer',
  reseller: 'groupReseller',
  subscription: 'groupSubscription',
  meterCategory: 'groupMeterCategory',
  publisher: 'groupPublisher',
};

const COLUMNS: [MarginSort, Parameters<typeof t>[0]][] = [
  ['currency', 'currency'],
  ['cost', 'cost'],
  ['price', 'price'],
  ['margin', 'margin'],
  ['marginPercent', 'marginPercent'],
  ['pecEarned', 'pecEarned'],
];

/** What a row is called: a customer's or subscription's name, a reseller's MPN id (direct without one). */
export function groupName(r: Margin, by: MarginGroup): string {
  if (r.name) return r.name;
  if (r.group) return r.group;
  return by === 'reseller' ? t('direct') : t('none');
}

/**
 * Cost, price, margin, margin % and partner-earned credit per group, each in its row's billing
 * currency (a group spanning currencies has a row per currency). With `sort`, the headers sort.
 */
export function MarginTable(props: {
  label: string;
  by: MarginGroup;
  rows: readonly Margin[];
  period: string | undefined;
  sort?: { by: MarginSort; order: 'asc' | 'desc'; onSort: (by: MarginSort, order: 'asc' | 'desc') => void };
}) {
  const { sort } = props;
  const header = (column: MarginSort, label: string, numeric: boolean) =>
    sort ? (
      <SortHeader
        key={column}
        label={label}
        numeric={numeric}
        sorted={sort.by === column}
        order={sort.order}
        firstOrder={numeric ? 'desc' : 'asc'}
        onSort={(order) => sort.onSort(column, order)}
      />
    ) : (
      <th scope="col" class={numeric ? 'num' : undefined} key={column}>
        {label}
      </th>
    );
  return (
    <div class="table-wrap">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {header(
              props.by === 'customer' || props.by === 'subscription' ? 'name' : 'group',
              t(GROUP_LABEL[props.by]),
              false,
            )}
            {COLUMNS.map(([column, label]) => header(column, t(label), column !== 'currency'))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} class="empty">
                {t('emptyGroups')}
              </td>
            </tr>
          )}
          {props.rows.map((r) => {
            const currency = { currencyCode: r.currency };
            const negative = r.margin.text.startsWith('-');
            return (
              <tr key={`${r.group}|${r.currency}`} data-group={r.group}>
                <th scope="row">
                  {props.by === 'customer' ? (
                    <a href={customerUrl(r.group, props.period)} onClick={onLinkClick}>
                      {groupName(r, props.by)}
                    </a>
                  ) : (
                    groupName(r, props.by)
                  )}
                </th>
                <td>{r.currency}</td>
                <td class="num">{money(r.cost, currency)}</td>
                <td class="num">{money(r.price, currency)}</td>
                <td class={negative ? 'num negative' : 'num'}>{money(r.margin, currency)}</td>
                <td class="num">{r.marginPercent === null ? '—' : percent(r.marginPercent)}</td>
                <td class="num">{money(r.pecEarned, currency)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
