import { defineCommand } from 'citty';
import { JsonDecimal } from '../../contract/exact-json.js';
import { ALERT_TYPES, parseThresholds, type AlertType } from '../../domain/alert-rules.js';
import { formatMoney } from '../../domain/money-format.js';
import { CliError, EXIT } from '../cli-error.js';
import { jsonArg, partnerSettingsArgs, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

const customerOption = {
  customer: { type: 'string', description: 'one customer instead of the partner default', valueHint: 'tenant-id' },
} as const;

const thresholds = defineCommand({
  meta: {
    name: 'thresholds',
    description: 'Set alert thresholds in percent of the budget (default 80,100); without a value, show them',
  },
  args: {
    percents: {
      type: 'positional',
      description: 'e.g. 50,80,100; "default" removes a customer override',
      required: false,
    },
    ...customerOption,
    ...partnerSettingsArgs,
  },
  async run({ args }) {
    await withPartner(args, async (store, partner) => {
      if (args.percents === undefined) {
        const rules = await store.alerts.thresholds(partner);
        const partnerRule = rules.find((r) => r.customerTenantId === null)?.thresholds ?? '80,100 (default)';
        console.log(
          renderTable(
            ['applies to', 'thresholds (%)'],
            [
              ['every customer', partnerRule],
              ...rules.filter((r) => r.customerTenantId !== null).map((r) => [r.customerTenantId!, r.thresholds]),
            ],
          ),
        );
        return;
      }
      let values: number[] | null;
      if (args.percents === 'default') {
        if (args.customer === undefined) throw new CliError('"default" removes a --customer override', EXIT.usage);
        values = null;
      } else {
        try {
          values = parseThresholds(args.percents);
        } catch (error) {
          throw new CliError((error as Error).message, EXIT.usage);
        }
      }
      await store.alerts.setThresholds(partner, args.customer, values, 'cli');
      console.log(
        `alert thresholds of ${args.customer ?? 'every customer'}: ${values === null ? 'the partner default' : values.join(', ') + ' %'}`,
      );
    });
  },
});

const list = defineCommand({
  meta: { name: 'list', description: 'Alerts raised, newest first' },
  args: {
    ...customerOption,
    limit: { type: 'string', description: 'at most this many (default 100)', valueHint: 'n' },
    ...partnerSettingsArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    if (!(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit is a positive whole number', EXIT.usage);
    const rows = await withPartner(args, (store, partner) =>
      store.alerts.alerts(partner, { limit, ...(args.customer ? { customerTenantId: args.customer } : {}) }),
    );
    if (args.json)
      return console.log(
        JSON.stringify(
          rows.map((r) => r.event),
          null,
          2,
        ),
      );
    console.log(
      renderTable(
        ['at', 'event', 'customer', 'period', 'detail', 'spent', 'budget', 'currency'],
        rows.map((r) => {
          const d = r.event.data;
          const detail =
            r.type === 'budget.threshold_reached'
              ? `${d.threshold} %`
              : r.type === 'usage.anomaly'
                ? `day ${d.anomaly!.day}: ${d.anomaly!.amount} (usual ${d.anomaly!.median})`
                : `forecast ${d.forecast.totalCost}`;
          const money = (amount: string | null) =>
            amount === null ? '' : formatMoney(new JsonDecimal(amount), { currencyCode: d.currency });
          return [
            r.createdAt,
            r.type,
            d.customer.name,
            r.period,
            detail,
            money(d.totalCost),
            money(d.budget),
            d.currency,
          ];
        }),
      ),
    );
  },
});

const test = defineCommand({
  meta: { name: 'test', description: 'Send a test event to every webhook and e-mail recipient' },
  args: {
    customer: { type: 'string', description: 'the customer it names (default: the first)', valueHint: 'tenant-id' },
    type: { type: 'string', description: `event type (default budget.threshold_reached)`, valueHint: 'type' },
    ...partnerSettingsArgs,
  },
  async run({ args }) {
    const type = (args.type ?? 'budget.threshold_reached') as AlertType;
    if (!ALERT_TYPES.includes(type)) throw new CliError(`--type is one of ${ALERT_TYPES.join(', ')}`, EXIT.usage);
    const event = await withPartner(args, (store, partner) => store.alerts.test(partner, args.customer, type));
    console.log(`test event ${event.id} queued (serve or \`partner-usage deliver --once\` sends it)`);
  },
});

const emailAdd = defineCommand({
  meta: { name: 'add', description: 'Send alerts to this address too (through PARTNER_USAGE_SMTP_URL)' },
  args: { address: { type: 'positional', description: 'e-mail address', required: true }, ...partnerSettingsArgs },
  async run({ args }) {
    await withPartner(args, (store, partner) => store.alerts.addEmailRecipient(partner, args.address, 'cli'));
    console.log(`alerts will be e-mailed to ${args.address}`);
  },
});

const emailRemove = defineCommand({
  meta: { name: 'remove', description: 'Stop e-mailing alerts to this address' },
  args: { address: { type: 'positional', description: 'e-mail address', required: true }, ...partnerSettingsArgs },
  async run({ args }) {
    await withPartner(args, (store, partner) => store.alerts.removeEmailRecipient(partner, args.address, 'cli'));
    console.log(`alerts are no longer e-mailed to ${args.address}`);
  },
});

const emailList = defineCommand({
  meta: { name: 'list', description: 'Addresses alerts are e-mailed to' },
  args: { ...partnerSettingsArgs },
  async run({ args }) {
    for (const a of await withPartner(args, (store, partner) => store.alerts.emailRecipients(partner))) console.log(a);
  },
});

export const alertsCommand = defineCommand({
  meta: { name: 'alerts', description: 'Budget thresholds, the forecast rule and anomalies: rules, alerts, e-mail' },
  subCommands: {
    thresholds,
    list,
    test,
    email: defineCommand({
      meta: { name: 'email', description: 'Who alerts are e-mailed to' },
      subCommands: { add: emailAdd, list: emailList, remove: emailRemove },
    }),
  },
});
