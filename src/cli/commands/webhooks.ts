import { defineCommand } from 'citty';
import { ALERT_TYPES, type AlertType } from '../../domain/alert-rules.js';
import { CliError, EXIT } from '../cli-error.js';
import { jsonArg, partnerSettingsArgs, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

function parseEvents(text: string | undefined): AlertType[] | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new CliError(`--events names no event: leave it out for all of them`, EXIT.usage);
  const events = text.split(',').map((e) => e.trim());
  for (const e of events) {
    if (!ALERT_TYPES.includes(e as AlertType))
      throw new CliError(`--events: unknown event ${JSON.stringify(e)}; one of ${ALERT_TYPES.join(', ')}`, EXIT.usage);
  }
  return events as AlertType[];
}

const add = defineCommand({
  meta: { name: 'add', description: 'Register a webhook endpoint; prints its id and signing secret (whsec_…)' },
  args: {
    url: { type: 'positional', description: 'http(s) URL that receives POSTed events', required: true },
    events: {
      type: 'string',
      description: `comma-separated event types (default all: ${ALERT_TYPES.join(', ')})`,
      valueHint: 'types',
    },
    ...partnerSettingsArgs,
    ...jsonArg,
  },
  async run({ args }) {
    const events = parseEvents(args.events);
    const ep = await withPartner(args, (store, partner) => store.alerts.addWebhook(partner, args.url, events, 'cli'));
    if (args.json) console.log(JSON.stringify(ep, null, 2));
    else
      console.log(
        `webhook endpoint ${ep.id} added for ${ep.url} (${ep.events.join(', ')})\n` +
          `signing secret (verify with any Standard Webhooks library): ${ep.secret}`,
      );
  },
});

const list = defineCommand({
  meta: { name: 'list', description: "The partner's webhook endpoints" },
  args: { ...partnerSettingsArgs, ...jsonArg },
  async run({ args }) {
    const eps = await withPartner(args, (store, partner) => store.alerts.webhooks(partner));
    if (args.json) return console.log(JSON.stringify(eps, null, 2));
    console.log(
      renderTable(
        ['id', 'url', 'events', 'enabled', 'failures'],
        eps.map((e) => [e.id, e.url, e.events.join(','), e.enabled ? 'yes' : 'no', String(e.failures)]),
        [4],
      ),
    );
  },
});

const remove = defineCommand({
  meta: { name: 'remove', description: 'Remove a webhook endpoint (its pending deliveries are dropped)' },
  args: { id: { type: 'positional', description: 'endpoint id (ep_…)', required: true }, ...partnerSettingsArgs },
  async run({ args }) {
    await withPartner(args, (store, partner) => store.alerts.removeWebhook(partner, args.id, 'cli'));
    console.log(`webhook endpoint ${args.id} removed`);
  },
});

const deliveries = defineCommand({
  meta: { name: 'deliveries', description: 'The delivery log: every alert sent or to send, newest first' },
  args: {
    endpoint: { type: 'string', description: 'only this endpoint (or e-mail address)', valueHint: 'id' },
    status: { type: 'string', description: 'pending, delivered or failed', valueHint: 'status' },
    limit: { type: 'string', description: 'at most this many (default 100)', valueHint: 'n' },
    ...partnerSettingsArgs,
    ...jsonArg,
  },
  async run({ args }) {
    if (args.status !== undefined && !['pending', 'delivered', 'failed'].includes(args.status))
      throw new CliError('--status is pending, delivered or failed', EXIT.usage);
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    if (!(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit is a positive whole number', EXIT.usage);
    const rows = await withPartner(args, (store, partner) =>
      store.alerts.deliveries(partner, {
        ...(args.endpoint ? { target: args.endpoint } : {}),
        ...(args.status ? { status: args.status } : {}),
        limit,
      }),
    );
    if (args.json) return console.log(JSON.stringify(rows, null, 2));
    console.log(
      renderTable(
        ['id', 'event', 'to', 'status', 'attempts', 'next attempt', 'last error'],
        rows.map((d) => [
          d.id,
          d.type,
          d.target,
          d.status,
          String(d.attempts),
          d.status === 'pending' ? d.nextAttemptAt : '',
          d.lastError,
        ]),
        [4],
      ),
    );
  },
});

const replay = defineCommand({
  meta: { name: 'replay', description: 'Send a delivery again, with the same webhook-id' },
  args: { id: { type: 'positional', description: 'delivery id (msg_…)', required: true }, ...partnerSettingsArgs },
  async run({ args }) {
    await withPartner(args, (store, partner) => store.alerts.replay(partner, args.id, 'cli'));
    console.log(`delivery ${args.id} queued again (serve or \`partner-usage deliver --once\` sends it)`);
  },
});

export const webhooksCommand = defineCommand({
  meta: { name: 'webhooks', description: 'Webhook endpoints that receive alerts, signed as Standard Webhooks' },
  subCommands: { add, list, remove, deliveries, replay },
});
