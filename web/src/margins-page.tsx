import { useMemo } from 'preact/hooks';
import { MARGIN_GROUPS } from '../../src/contract/view-options.js';
import type { PartnerCenter } from '../../src/sdk/partner-center.js';
import { Chart, pairedBars } from './chart.js';
import { plotted } from './format.js';
import { t } from './i18n.js';
import { GROUP_LABEL, groupName, MarginTable, type Margin } from './margin-table.js';
import { navigate } from './route.js';
import { marginsUrl, type MarginsView } from './view-state.js';
import { useLoad } from './use-load.js';
import { CurrencyPicker, Pager, PeriodPicker } from './view-controls.js';

const PAGE = 50;
/** Bars the chart draws: the page's first rows, in its order. */
const CHARTED = 20;

/**
 * What the partner pays, charges and keeps in a period, grouped by customer, reseller,
 * subscription, meter category or publisher (issue #29): the margins route, sorted and paged on the
 * server, and a chart of the page's largest groups (USD, so that bars of different currencies compare).
 */
export function MarginsPage({ pc, view: v }: { pc: PartnerCenter; view: MarginsView }) {
  const go = (change: Partial<MarginsView>) => navigate(marginsUrl({ ...v, offset: 0, ...change }));
  const [rows] = useLoad(
    () =>
      pc.partnerUsage.margins({
        period: v.period,
        groupBy: v.groupBy,
        currency: v.currency,
        sort: v.sort,
        order: v.order,
        offset: v.offset,
        size: PAGE,
      }),
    [pc, marginsUrl(v)],
  );
  // The periods and currencies, from the customers view (computed once per data version on the server).
  const [periods] = useLoad(() => pc.partnerUsage.customerView({ period: v.period, size: 1 }), [pc, v.period]);
  const page = rows.state === 'ok' ? rows.value : undefined;
  const shown = periods.state === 'ok' ? periods.value : undefined;

  return (
    <>
      <h1>{t('margins')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {shown && <PeriodPicker period={shown.period} periods={shown.periods} onPeriod={(period) => go({ period })} />}
        <label>
          {t('groupBy')}{' '}
          <select value={v.groupBy} onChange={(e) => go({ groupBy: e.currentTarget.value as MarginsView['groupBy'] })}>
            {MARGIN_GROUPS.map((g) => (
              <option key={g} value={g}>
                {t(GROUP_LABEL[g])}
              </option>
            ))}
          </select>
        </label>
        <CurrencyPicker
          currency={v.currency}
          currencies={shown?.currencies}
          onCurrency={(currency) => go({ currency })}
        />
      </form>
      {rows.state === 'error' ? (
        <p role="alert" class="error">
          {rows.message}
        </p>
      ) : !page ? (
        <p aria-busy="true">{t('loading')}</p>
      ) : (
        <>
          <MarginsChart rows={page.items} by={v.groupBy} />
          <MarginTable
            label={t('margins')}
            by={v.groupBy}
            rows={page.items}
            period={v.period}
            sort={{ by: v.sort, order: v.order, onSort: (sort, order) => go({ sort, order }) }}
          />
          <Pager offset={v.offset} size={PAGE} total={page.totalCount} onOffset={(offset) => go({ offset })} />
        </>
      )}
    </>
  );
}

/** Cost and price bars, side by side, of the page's first groups, in USD. */
function MarginsChart({ rows, by }: { rows: readonly Margin[]; by: MarginsView['groupBy'] }) {
  const charted = rows.slice(0, CHARTED);
  const data = useMemo(
    (): [number[], number[], number[]] => [
      charted.map((_, i) => i),
      charted.map((r) => plotted(r.usdCost)),
      charted.map((r) => plotted(r.usdPrice)),
    ],
    [rows],
  );
  const options = useMemo(
    () => ({
      series: [
        {
          label: t(GROUP_LABEL[by]),
          value: (_u: unknown, i: number | null) => (i !== null && charted[i] ? groupName(charted[i], by) : '—'),
        },
        {
          label: `${t('cost')} (USD)`,
          fill: '#b9c7d8',
          stroke: '#6b7f99',
          paths: pairedBars[0],
          points: { show: false },
        },
        {
          label: `${t('price')} (USD)`,
          fill: '#5b8fd6',
          stroke: '#0b5cad',
          paths: pairedBars[1],
          points: { show: false },
        },
      ],
      scales: {
        // Half a slot either side, so that the first and last pairs of bars are whole.
        x: { time: false, range: (): [number, number] => [-0.5, charted.length - 0.5] },
        y: {
          range: (_u: unknown, min: number, max: number): [number, number] => [
            Math.min(0, min),
            max > 0 ? max * 1.1 : 1,
          ],
        },
      },
      axes: [
        {
          values: (_u: unknown, ticks: number[]) =>
            ticks.map((i) => (Number.isInteger(i) && charted[i] ? groupName(charted[i], by).slice(0, 14) : '')),
          rotate: -35,
          size: 80,
        },
        { size: 70 },
      ],
    }),
    [rows, by],
  );
  if (charted.length === 0) return null;
  return <Chart label={t('marginsChart', { n: charted.length })} options={options} data={data} />;
}
