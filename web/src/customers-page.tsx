import { useState } from 'preact/hooks';
import type { CustomerView, CustomerViewRow } from '../../src/contract/resources.js';
import type { ViewFilter, ViewSort } from '../../src/contract/view-options.js';
import { csvField, spreadsheetTextField } from '../../src/domain/csv-field.js';
import type { PartnerCenter } from '../../src/sdk/partner-center.js';
import { describe, type May } from './api.js';
import { dateTime, money, percent, plotted, usd } from './format.js';
import { stableName, t } from './i18n.js';
import { navigate, onLinkClick } from './route.js';
import { customersUrl, customerUrl, type CustomersView } from './view-state.js';
import { useLoad } from './use-load.js';
import { CurrencyPicker, Pager, PeriodPicker, SortHeader } from './view-controls.js';

const PAGE = 50;
const FILTERS: [ViewFilter, Parameters<typeof t>[0]][] = [
  ['over-budget', 'overBudget'],
  ['trending-over', 'trendingOver'],
  ['no-budget', 'noBudget'],
  ['anomaly', 'anomaly'],
  ['negative-margin', 'negativeMargin'],
];
const COLUMNS: [ViewSort, Parameters<typeof t>[0]][] = [
  ['name', 'name'],
  ['plan', 'plan'],
  ['currency', 'currency'],
  ['totalCost', 'spend'],
  ['usdTotalCost', 'spendUsd'],
  ['budget', 'budget'],
  ['percentUsed', 'percentUsed'],
  ['forecast', 'forecast'],
  ['price', 'price'],
  ['margin', 'margin'],
  ['marginPercent', 'marginPercent'],
  ['anomalies', 'flags'],
  ['lastModified', 'lastUpdated'],
];
/** What a grantee (a customer's or reseller's tenant) does not see: its spend is its price, it has no margin. */
const PARTNER_ONLY: readonly string[] = ['price', 'margin', 'marginPercent', 'negative-margin'];
const THRESHOLDS = [80, 100];

type Row = CustomerViewRow;

export function CustomersPage({
  pc,
  view: s,
  may,
  priced,
}: {
  pc: PartnerCenter;
  view: CustomersView;
  may: May;
  /** A grantee's view: prices only (no price, margin or margin columns). */
  priced: boolean;
}) {
  const columns = priced ? COLUMNS.filter(([c]) => !PARTNER_ONLY.includes(c)) : COLUMNS;
  const filters = priced ? FILTERS.filter(([f]) => !PARTNER_ONLY.includes(f)) : FILTERS;
  const go = (change: Partial<CustomersView>, replace = false) =>
    navigate(customersUrl({ ...s, offset: 0, ...change }), replace);
  const [view, reload] = useLoad(
    () => pc.partnerUsage.customerView({ ...s, search: s.search.toLowerCase(), size: PAGE }),
    [pc, customersUrl(s)],
  );
  const [summary] = useLoad(() => pc.usageSummary.get(s.period ? { period: s.period } : {}), [pc, s.period]);
  const [selected, setSelected] = useState<Map<string, Row>>(new Map());
  const [undo, setUndo] = useState<{ id: string; budget: string | null }[]>();
  const [bulk, setBulk] = useState('');
  const [message, setMessage] = useState<string>();

  const v = view.state === 'ok' ? view.value : undefined;
  const setBudgets = async (changes: { id: string; budget: string | null }[], keepUndo: boolean) => {
    try {
      for (const c of changes) await pc.customers.byId(c.id).usageBudget.patch(c.budget);
      setMessage(undefined);
      if (keepUndo) setUndo([...selected.values()].map((r) => ({ id: r.id, budget: r.budget?.text ?? null })));
      else setUndo(undefined);
      setSelected(new Map());
      reload();
    } catch (e) {
      setMessage(describe(e));
    }
  };

  return (
    <>
      <h1>{t('customers')}</h1>
      {v && (
        <Header
          priced={priced}
          view={v}
          summary={summary.state === 'ok' ? summary.value : undefined}
          onPeriod={(p) => go({ period: p })}
        />
      )}
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          aria-label={stableName('search')}
          placeholder={t('search')}
          value={s.search}
          onInput={(e) => go({ search: e.currentTarget.value }, true)}
        />
        {filters.map(([f, label]) => (
          <label class="check" key={f}>
            <input
              type="checkbox"
              checked={s.filter.includes(f)}
              onChange={(e) =>
                go({ filter: e.currentTarget.checked ? [...s.filter, f] : s.filter.filter((x) => x !== f) })
              }
            />
            {t(label)}
          </label>
        ))}
        <select
          aria-label={t('plan')}
          value={s.plan ?? ''}
          onChange={(e) => go({ plan: (e.currentTarget.value || undefined) as CustomersView['plan'] })}
        >
          <option value="">{t('allPlans')}</option>
          <option value="azure-plan">{t('azurePlan')}</option>
          <option value="legacy">{t('legacy')}</option>
        </select>
        <CurrencyPicker currency={s.currency} currencies={v?.currencies} onCurrency={(currency) => go({ currency })} />
        {may.export && (
          <>
            <button type="button" class="secondary" onClick={() => void downloadCsv(pc, s)}>
              {t('downloadCsv')}
            </button>
            <button type="button" class="secondary" onClick={() => void downloadFocus(pc, s)}>
              {t('downloadFocus')}
            </button>
          </>
        )}
      </form>
      <div class="bulk" aria-live="polite">
        {selected.size > 0 && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (bulk.trim())
                void setBudgets(
                  [...selected.keys()].map((id) => ({ id, budget: bulk.trim() })),
                  true,
                );
            }}
          >
            <span>{t('selected', { n: selected.size })}</span>
            <label>
              {t('bulkBudget')}{' '}
              <input inputMode="decimal" value={bulk} onInput={(e) => setBulk(e.currentTarget.value)} size={10} />
            </label>
            <button type="submit">{t('setBudget')}</button>
          </form>
        )}
        {undo && (
          <button type="button" class="secondary" onClick={() => void setBudgets(undo, false)}>
            {t('undo')}
          </button>
        )}
        {message && (
          <p role="alert" class="error">
            {message}
          </p>
        )}
      </div>
      {view.state === 'error' ? (
        <p role="alert" class="error">
          {view.message}{' '}
          <button type="button" onClick={reload}>
            {t('retry')}
          </button>
        </p>
      ) : !v ? (
        <p aria-busy="true">{t('loading')}</p>
      ) : (
        <>
          <div class="table-wrap">
            <table aria-label={stableName('customers')}>
              <thead>
                <tr>
                  <th scope="col">
                    {may.change && (
                      <input
                        type="checkbox"
                        aria-label={t('selectAll')}
                        checked={v.items.length > 0 && v.items.every((r) => selected.has(r.id))}
                        onChange={(e) => {
                          const next = new Map(selected);
                          for (const r of v.items) {
                            if (e.currentTarget.checked) next.set(r.id, r);
                            else next.delete(r.id);
                          }
                          setSelected(next);
                        }}
                      />
                    )}
                  </th>
                  {columns.map(([column, label]) => (
                    <SortHeader
                      key={column}
                      label={t(label)}
                      sorted={s.sort === column}
                      order={s.order}
                      firstOrder={column === 'name' ? 'asc' : 'desc'}
                      onSort={(order) => go({ sort: column, order })}
                    />
                  ))}
                </tr>
              </thead>
              <tbody>
                {v.items.length === 0 && (
                  <tr>
                    <td colSpan={columns.length + 1} class="empty">
                      {t('empty')}
                    </td>
                  </tr>
                )}
                {v.items.map((r) => (
                  <CustomerRow
                    key={r.id}
                    row={r}
                    period={s.period}
                    selectable={may.change}
                    priced={priced}
                    checked={selected.has(r.id)}
                    onCheck={(on) => {
                      const next = new Map(selected);
                      if (on) next.set(r.id, r);
                      else next.delete(r.id);
                      setSelected(next);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager offset={s.offset} size={PAGE} total={v.totalCount} onOffset={(offset) => go({ offset })} />
        </>
      )}
    </>
  );
}

function CustomerRow(props: {
  row: Row;
  period: string | undefined;
  /** Budgets may be set in bulk (an admin, or a token without a role). */
  selectable: boolean;
  priced: boolean;
  checked: boolean;
  onCheck: (on: boolean) => void;
}) {
  const { row: r } = props;
  const used = plotted(r.percentUsed);
  const currency = { currencyCode: r.currencyCode, currencyLocale: r.currencyLocale };
  return (
    <tr>
      <td>
        {props.selectable && (
          <input
            type="checkbox"
            aria-label={t('select', { name: r.name })}
            checked={props.checked}
            onChange={(e) => props.onCheck(e.currentTarget.checked)}
          />
        )}
      </td>
      <th scope="row">
        <a href={customerUrl(r.id, props.period)} onClick={onLinkClick}>
          {r.name}
        </a>
      </th>
      <td>{r.plan === 'azure-plan' ? t('azurePlan') : t('legacy')}</td>
      <td>{r.currencyCode}</td>
      <td class="num">{money(r.totalCost, currency)}</td>
      <td class="num">{r.plan === 'legacy' ? '—' : usd(r.usdTotalCost)}</td>
      <td class="num">{money(r.budget, currency)}</td>
      <td class="used">
        {r.budget === null ? (
          '—'
        ) : (
          <>
            <span class="num">{percent(r.percentUsed)}</span>
            <span class="bar" role="presentation">
              <span
                class={used >= 100 ? 'fill over' : used >= 80 ? 'fill near' : 'fill'}
                ref={(el) => el?.style.setProperty('width', `${Math.min(used, 100)}%`)}
              />
            </span>
            {THRESHOLDS.filter((x) => used >= x).map((x) => (
              <span class={x >= 100 ? 'badge over' : 'badge near'} key={x}>
                {x} %
              </span>
            ))}
          </>
        )}
      </td>
      <td class="num">{money(r.forecastTotalCost, currency)}</td>
      {!props.priced && (
        <>
          <td class="num">{money(r.price, currency)}</td>
          <td class={r.margin?.text.startsWith('-') ? 'num negative' : 'num'}>{money(r.margin, currency)}</td>
          <td class="num">{r.marginPercent === null ? '—' : percent(r.marginPercent)}</td>
        </>
      )}
      <td>
        {r.overBudget && <span class="badge over">{t('overBudget')}</span>}
        {r.trendingOver && <span class="badge near">{t('trendingOver')}</span>}
        {r.anomalies > 0 && <span class="badge anomaly">{t('anomaly')}</span>}
        {r.margin?.text.startsWith('-') && <span class="badge over">{t('negativeMargin')}</span>}
      </td>
      <td>{dateTime(r.lastModifiedDate)}</td>
    </tr>
  );
}

function Header(props: {
  view: CustomerView;
  summary: Awaited<ReturnType<PartnerCenter['usageSummary']['get']>> | undefined;
  onPeriod: (period: string) => void;
  priced: boolean;
}) {
  const { view } = props;
  const totals = props.summary?.totalsByCurrency ?? [];
  return (
    <section class="header" aria-label={t('totals')}>
      <PeriodPicker period={view.period} periods={view.periods} onPeriod={props.onPeriod} />
      <ul class="totals">
        {totals.map((x) => (
          <li key={x.currency}>
            <strong>{money(x.totalCost, { currencyCode: x.currency })}</strong>{' '}
            <span class="muted">
              ({String(x.customers)} {t('customers').toLowerCase()})
            </span>
          </li>
        ))}
      </ul>
      <ul class="counts">
        <li>
          {t('customers')}: <strong data-count="customers">{view.counts.customers}</strong>
        </li>
        <li>
          {t('overBudget')}: <strong data-count="over-budget">{view.counts.overBudget}</strong>
        </li>
        <li>
          {t('trendingOver')}: <strong data-count="trending-over">{view.counts.trendingOver}</strong>
        </li>
        <li>
          {t('anomaly')}: <strong data-count="anomaly">{view.counts.anomaly}</strong>
        </li>
        {!props.priced && (
          <li>
            {t('negativeMargin')}: <strong data-count="negative-margin">{view.counts.negativeMargin}</strong>
          </li>
        )}
      </ul>
      <p class="fresh">
        {t('estimated', {
          at: dateTime(view.freshness.lastImportAt),
          day: view.freshness.lastUsageDay ?? '—',
        })}
      </p>
    </section>
  );
}

/** The period's line items as FOCUS 1.2 Parquet, streamed by the server (the SDK's exportFile). */
async function downloadFocus(pc: PartnerCenter, s: CustomersView): Promise<void> {
  const r = await pc.partnerUsage.exportFile('focus.parquet', { period: s.period });
  save(await r.blob(), `focus-${s.period ?? 'current'}.parquet`);
}

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** Every row the view shows (all its pages), with exact amounts, as a CSV file. */
async function downloadCsv(pc: PartnerCenter, s: CustomersView): Promise<void> {
  const lines = [
    'id,name,plan,currency,totalCost,usdTotalCost,budget,percentUsed,forecastTotalCost,price,margin,marginPercent,overBudget,trendingOver,anomalies,lastModifiedDate',
  ];
  for (let offset = 0; ; offset += 1000) {
    const page = await pc.partnerUsage.customerView({ ...s, search: s.search.toLowerCase(), offset, size: 1000 });
    for (const r of page.items) {
      lines.push(
        [
          // Text a customer's name can carry is neutralised; amounts keep their exact digits.
          ...[r.id, r.name, r.plan, r.currencyCode].map(spreadsheetTextField),
          ...[
            r.totalCost.text,
            r.usdTotalCost.text,
            r.budget?.text ?? '',
            r.percentUsed.text,
            r.forecastTotalCost.text,
            r.price?.text ?? '',
            r.margin?.text ?? '',
            r.marginPercent?.text ?? '',
            String(r.overBudget),
            String(r.trendingOver),
            String(r.anomalies),
            r.lastModifiedDate ?? '',
          ].map(csvField),
        ].join(','),
      );
    }
    if (offset + 1000 >= page.totalCount) break;
  }
  save(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), `customers-${s.period ?? 'current'}.csv`);
}
