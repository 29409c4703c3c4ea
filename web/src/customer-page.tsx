import { useMemo, useState } from 'preact/hooks';
import type { JsonDecimal } from '../../src/contract/exact-json.js';
import type { MeterUsageRecord, SubscriptionMonthlyUsageRecord } from '../../src/contract/resources.js';
import { add, formatDecimal, parseDecimal, ZERO, type Decimal } from '../../src/money/decimal.js';
import { percentUsed } from '../../src/domain/percent-used.js';
import type { PartnerCenter } from '../../src/sdk/partner-center.js';
import { describe, type May } from './api.js';
import { bars, Chart } from './chart.js';
import { dateTime, money, percent, plotted } from './format.js';
import { t } from './i18n.js';
import { onLinkClick } from './route.js';
import { customersUrl } from './view-state.js';
import { useLoad } from './use-load.js';
import { MarginTable } from './margin-table.js';

type Currency = { currencyCode?: string | undefined; currencyLocale?: string | undefined };

const sum = (amounts: readonly (JsonDecimal | string)[]): string =>
  formatDecimal(
    amounts.reduce<Decimal>((a, x) => add(a, parseDecimal(typeof x === 'string' ? x : x.text) ?? ZERO), ZERO),
  );

export function CustomerPage({
  pc,
  id,
  period,
  may,
  priced,
}: {
  pc: PartnerCenter;
  id: string;
  period: string | undefined;
  may: May;
  /** A grantee's view: its figures are its prices; no margins, no alerts (the partner's). */
  priced: boolean;
}) {
  const customer = pc.customers.byId(id);
  const q = period ? { period } : {};
  const [summary, reload] = useLoad(() => customer.usageSummary.get(q), [pc, id, period]);
  const [days] = useLoad(() => pc.partnerUsage.customerDays(id, { period }), [pc, id, period]);
  const [subs] = useLoad(() => customer.subscriptions.usageRecords.get(q), [pc, id, period]);
  const none = { totalCount: 0, items: [] };
  const [alerts] = useLoad(() => (priced ? Promise.resolve(none) : pc.partnerUsage.alerts()), [pc, priced]);
  const [deliveries] = useLoad(() => (priced ? Promise.resolve(none) : pc.partnerUsage.deliveries()), [pc, priced]);

  if (summary.state === 'error')
    return (
      <p role="alert" class="error">
        {summary.message}
      </p>
    );
  if (summary.state === 'loading') return <p aria-busy="true">{t('loading')}</p>;
  const s = summary.value;
  const currency: Currency = { currencyCode: s.currencyCode, currencyLocale: s.currencyLocale };
  const name = s.resourceName;
  const budget = s.budget?.amount ?? null;
  const mine =
    alerts.state === 'ok'
      ? alerts.value.items.filter((a) => (a.data as { customer?: { id: string } }).customer?.id === id)
      : [];
  return (
    <>
      <p>
        <a href={customersUrl({ period })} onClick={onLinkClick}>
          ← {t('back')}
        </a>
      </p>
      <h1>{name}</h1>
      <dl class="figures">
        <div>
          <dt>{t('spend')}</dt>
          <dd data-figure="total">{money(s.totalCost, currency)}</dd>
        </div>
        <div>
          <dt>{t('budget')}</dt>
          <dd data-figure="budget">{money(budget, currency)}</dd>
        </div>
        <div>
          <dt>{t('percentUsed')}</dt>
          <dd data-figure="percent-used">
            {budget === null ? '—' : percent(formatDecimal(percentUsed(s.totalCost.text, budget.text)))}
          </dd>
        </div>
        <div>
          <dt>{t('forecast')}</dt>
          <dd>{money(s.partnerUsage?.forecastTotalCost, currency)}</dd>
        </div>
        <div>
          <dt>{t('lastUpdated')}</dt>
          <dd>{dateTime(s.lastModifiedDate)}</dd>
        </div>
      </dl>
      {may.change && <BudgetForm pc={pc} id={id} budget={budget?.text ?? null} onChanged={reload} />}
      {days.state === 'ok' && (
        <DayCharts
          period={s.billingStartDate.slice(0, 7)}
          days={days.value.items}
          budget={budget}
          forecast={s.partnerUsage?.forecastTotalCost}
        />
      )}
      <h2>{t('subscriptions')}</h2>
      {subs.state === 'ok' ? (
        <Subscriptions
          pc={pc}
          id={id}
          period={period}
          items={subs.value.items}
          currency={currency}
          azurePlan={s.currencyCode !== undefined}
        />
      ) : subs.state === 'error' ? (
        <p role="alert" class="error">
          {subs.message}
        </p>
      ) : (
        <p aria-busy="true">{t('loading')}</p>
      )}
      {!priced && <CustomerMargins pc={pc} id={id} period={period} />}
      {!priced && <h2>{t('alerts')}</h2>}
      {priced ? null : mine.length === 0 ? (
        <p>—</p>
      ) : (
        <ul>
          {mine.slice(0, 20).map((a) => {
            const sent = deliveries.state === 'ok' ? deliveries.value.items.filter((d) => d.alertId === a.id) : [];
            return (
              <li key={a.id}>
                {a.type} · {dateTime(a.timestamp)}
                {sent.length > 0 && ` · ${t('deliveries')}: ${sent.map((d) => `${d.channel} ${d.status}`).join(', ')}`}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

/** The customer's cost, price and margin per subscription and per meter category (issue #29). */
function CustomerMargins(props: { pc: PartnerCenter; id: string; period: string | undefined }) {
  const of = (groupBy: 'subscription' | 'meterCategory') => () =>
    props.pc.partnerUsage.margins({ period: props.period, customer: props.id, groupBy, sort: 'price', order: 'desc' });
  const [bySubscription] = useLoad(of('subscription'), [props.pc, props.id, props.period]);
  const [byCategory] = useLoad(of('meterCategory'), [props.pc, props.id, props.period]);
  return (
    <section aria-labelledby="cost-price-margin">
      <h2 id="cost-price-margin">{t('costPriceMargin')}</h2>
      {[
        ['subscription', bySubscription, t('groupSubscription')] as const,
        ['meterCategory', byCategory, t('groupMeterCategory')] as const,
      ].map(([by, rows, label]) =>
        rows.state === 'ok' ? (
          <MarginTable
            key={by}
            label={`${t('costPriceMargin')}: ${label}`}
            by={by}
            rows={rows.value.items}
            period={props.period}
          />
        ) : rows.state === 'error' ? (
          <p role="alert" class="error" key={by}>
            {rows.message}
          </p>
        ) : (
          <p aria-busy="true" key={by}>
            {t('loading')}
          </p>
        ),
      )}
    </section>
  );
}

function BudgetForm(props: { pc: PartnerCenter; id: string; budget: string | null; onChanged: () => void }) {
  const [value, setValue] = useState(props.budget ?? '');
  const [error, setError] = useState<string>();
  const save = (amount: string | null) =>
    props.pc.customers
      .byId(props.id)
      .usageBudget.patch(amount)
      .then(
        () => {
          setError(undefined);
          if (amount === null) setValue('');
          props.onChanged();
        },
        (e: unknown) => setError(describe(e)),
      );
  return (
    <form
      class="budget"
      onSubmit={(e) => {
        e.preventDefault();
        void save(value.trim());
      }}
    >
      <label for="budget">{t('budget')}</label>
      <input id="budget" inputMode="decimal" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">{t('setBudget')}</button>
      <button type="button" class="secondary" onClick={() => void save(null)}>
        {t('clearBudget')}
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

function DayCharts(props: {
  period: string;
  days: readonly { day: string; totalCost: JsonDecimal }[];
  budget: JsonDecimal | null;
  forecast: JsonDecimal | undefined;
}) {
  const { lineData, barData } = useMemo(() => {
    const at = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
    // The running total is the period's (month to date), drawn on to the forecast at month end.
    const inPeriod = props.days.filter((d) => d.day.startsWith(props.period));
    const [y, m] = props.period.split('-').map(Number) as [number, number];
    const monthEnd = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    const x = [...inPeriod.map((d) => at(d.day))];
    let running = 0;
    const total: (number | null)[] = inPeriod.map((d) => (running += plotted(d.totalCost)));
    const forecast: (number | null)[] = inPeriod.map((_, i) => (i === inPeriod.length - 1 ? running : null));
    if (props.forecast && inPeriod.at(-1)?.day !== monthEnd) {
      x.push(at(monthEnd));
      total.push(null);
      forecast.push(plotted(props.forecast));
    }
    const budget = x.map(() => (props.budget ? plotted(props.budget) : null));
    return {
      lineData: [x, total, forecast, budget] as uPlotData,
      barData: [props.days.map((d) => at(d.day)), props.days.map((d) => plotted(d.totalCost))] as uPlotData,
    };
  }, [props.days, props.budget, props.forecast, props.period]);
  const line = useMemo(
    () => ({
      series: [
        {},
        { label: t('runningTotal'), stroke: '#0b5cad', width: 2 },
        { label: t('forecast'), stroke: '#0b5cad', dash: [2, 4], spanGaps: true },
        { label: t('budget'), stroke: '#b3261e', dash: [6, 4] },
      ],
      axes: [{}, { size: 70 }],
    }),
    [],
  );
  const barOptions = useMemo(
    () => ({
      series: [
        {},
        { label: t('dailySeries'), fill: '#5b8fd6', stroke: '#0b5cad', paths: bars, points: { show: false } },
      ],
      // Bars stand on zero.
      scales: {
        y: { range: (_u: unknown, _min: number, max: number): [number, number] => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [{}, { size: 70 }],
    }),
    [],
  );
  if (props.days.length === 0) return <p>—</p>;
  return (
    <div class="charts">
      <section>
        <h2>{t('runningTotal')}</h2>
        <Chart label={t('runningTotal')} options={line} data={lineData} />
      </section>
      <section>
        <h2>{t('daily')}</h2>
        <Chart label={t('daily')} options={barOptions} data={barData} />
      </section>
    </div>
  );
}
type uPlotData = [number[], ...(number | null)[][]];

function Subscriptions(props: {
  pc: PartnerCenter;
  id: string;
  period: string | undefined;
  items: readonly SubscriptionMonthlyUsageRecord[];
  currency: Currency;
  azurePlan: boolean;
}) {
  const [open, setOpen] = useState<string>();
  return (
    <table aria-label={t('subscriptions')}>
      <thead>
        <tr>
          <th scope="col">{t('name')}</th>
          <th scope="col">{t('plan')}</th>
          <th scope="col" class="num">
            {t('cost')}
          </th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((sub) => (
          <>
            <tr key={sub.id}>
              <th scope="row">
                <button
                  type="button"
                  class="disclose"
                  aria-expanded={open === sub.id}
                  onClick={() => setOpen(open === sub.id ? undefined : sub.id)}
                >
                  {sub.name}
                </button>
              </th>
              <td>{sub.offerId}</td>
              <td class="num" data-subscription-total={sub.id}>
                {money(sub.totalCost, props.currency)}
              </td>
            </tr>
            {open === sub.id && (
              <tr key={`${sub.id}-meters`}>
                <td colSpan={3}>
                  <Meters pc={props.pc} id={props.id} sub={sub.id} period={props.period} currency={props.currency} />
                  {props.azurePlan && (
                    <Resources
                      pc={props.pc}
                      id={props.id}
                      sub={sub.id}
                      period={props.period}
                      currency={props.currency}
                    />
                  )}
                </td>
              </tr>
            )}
          </>
        ))}
      </tbody>
    </table>
  );
}

/** Meters as a drill-down: category → subcategory → meter, each group's cost the exact sum of its meters. */
function Meters(props: { pc: PartnerCenter; id: string; sub: string; period: string | undefined; currency: Currency }) {
  const subscription = props.pc.customers.byId(props.id).subscriptions.byId(props.sub);
  const q = props.period ? { period: props.period } : {};
  const [meters] = useLoad(
    () => subscription.usageRecords.meters.get(q),
    [props.pc, props.id, props.sub, props.period],
  );
  if (meters.state !== 'ok')
    return <p aria-busy={meters.state === 'loading'}>{meters.state === 'error' ? meters.message : t('loading')}</p>;
  const groups = new Map<string, Map<string, MeterUsageRecord[]>>();
  for (const m of meters.value.items) {
    const byCategory = groups.get(m.category) ?? new Map<string, MeterUsageRecord[]>();
    groups.set(m.category, byCategory);
    byCategory.set(m.subcategory, [...(byCategory.get(m.subcategory) ?? []), m]);
  }
  return (
    <div class="meters">
      <h3>
        {t('meters')}:{' '}
        <span data-meters-total={props.sub}>
          {money(sum(meters.value.items.map((m) => m.totalCost)), props.currency)}
        </span>
      </h3>
      {[...groups.entries()].map(([category, subs]) => (
        <details key={category}>
          <summary>
            {category} — {money(sum([...subs.values()].flat().map((m) => m.totalCost)), props.currency)}
          </summary>
          {[...subs.entries()].map(([subcategory, list]) => (
            <details key={subcategory} class="nested">
              <summary>
                {subcategory || '—'} — {money(sum(list.map((m) => m.totalCost)), props.currency)}
              </summary>
              <table aria-label={`${category} ${subcategory}`}>
                <thead>
                  <tr>
                    <th scope="col">{t('meters')}</th>
                    <th scope="col" class="num">
                      {t('quantity')}
                    </th>
                    <th scope="col">{t('unit')}</th>
                    <th scope="col" class="num">
                      {t('cost')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((m) => (
                    <tr key={m.meterId}>
                      <th scope="row">{m.meterName}</th>
                      <td class="num">{m.quantityUsed.text}</td>
                      <td>{m.unit}</td>
                      <td class="num" data-meter-cost={m.totalCost.text}>
                        {money(m.totalCost, props.currency)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ))}
        </details>
      ))}
    </div>
  );
}

/** An Azure plan's resources with their cost in the period, costliest first. */
function Resources(props: {
  pc: PartnerCenter;
  id: string;
  sub: string;
  period: string | undefined;
  currency: Currency;
}) {
  const subscription = props.pc.customers.byId(props.id).subscriptions.byId(props.sub);
  const q = props.period ? { period: props.period } : {};
  const [resources] = useLoad(
    () => subscription.usageRecords.resources.get(q),
    [props.pc, props.id, props.sub, props.period],
  );
  if (resources.state !== 'ok')
    return (
      <p aria-busy={resources.state === 'loading'}>{resources.state === 'error' ? resources.message : t('loading')}</p>
    );
  const items = [...resources.value.items].sort((a, b) => plotted(b.totalCost) - plotted(a.totalCost));
  return (
    <>
      <h3>{t('resources')}</h3>
      <table aria-label={t('resources')}>
        <thead>
          <tr>
            <th scope="col">{t('name')}</th>
            <th scope="col">{t('resourceGroup')}</th>
            <th scope="col">{t('type')}</th>
            <th scope="col" class="num">
              {t('cost')}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.resourceUri}>
              <th scope="row" title={r.resourceUri}>
                {r.resourceName}
              </th>
              <td>{r.resourceGroupName}</td>
              <td>{r.resourceType}</td>
              <td class="num">{money(r.totalCost, props.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
