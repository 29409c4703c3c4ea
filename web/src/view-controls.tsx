import { periodName } from './format.js';
import { t } from './i18n.js';

/**
 * A column header that sorts: the first click on a column sorts it `firstOrder` (largest first for
 * figures, A–Z for names), the next ones flip it; aria-sort says how the column is sorted.
 */
export function SortHeader(props: {
  label: string;
  sorted: boolean;
  order: 'asc' | 'desc';
  firstOrder: 'asc' | 'desc';
  numeric?: boolean;
  onSort: (order: 'asc' | 'desc') => void;
}) {
  const { sorted, order } = props;
  return (
    <th
      scope="col"
      class={props.numeric ? 'num' : undefined}
      aria-sort={sorted ? (order === 'asc' ? 'ascending' : 'descending') : undefined}
    >
      <button
        type="button"
        class="sort"
        onClick={() => props.onSort(sorted ? (order === 'desc' ? 'asc' : 'desc') : props.firstOrder)}
      >
        {props.label}
        <span aria-hidden="true">{sorted ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

/** Previous and next pages of `size` rows, and which rows of how many are shown. */
export function Pager(props: { offset: number; size: number; total: number; onOffset: (offset: number) => void }) {
  const { offset, size, total } = props;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => props.onOffset(Math.max(0, offset - size))}>
        {t('previous')}
      </button>
      <span>
        {total === 0 ? 0 : offset + 1}–{Math.min(offset + size, total)} / {total}
      </span>
      <button type="button" disabled={offset + size >= total} onClick={() => props.onOffset(offset + size)}>
        {t('next')}
      </button>
    </nav>
  );
}

/** The period picker: the periods with usage, newest first, and the one shown even without usage. */
export function PeriodPicker(props: {
  period: string;
  periods: readonly string[];
  onPeriod: (period: string) => void;
}) {
  const { period, periods } = props;
  return (
    <label>
      {t('period')}{' '}
      <select value={period} onChange={(e) => props.onPeriod(e.currentTarget.value)}>
        {(periods.includes(period) ? periods : [period, ...periods]).map((p) => (
          <option key={p} value={p}>
            {periodName(p)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One billing currency, or all: the currencies the data holds. */
export function CurrencyPicker(props: {
  currency: string | undefined;
  currencies: readonly string[] | undefined;
  onCurrency: (currency: string | undefined) => void;
}) {
  return (
    <select
      aria-label={t('currency')}
      value={props.currency ?? ''}
      onChange={(e) => props.onCurrency(e.currentTarget.value || undefined)}
    >
      <option value="">{t('allCurrencies')}</option>
      {props.currencies?.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}
