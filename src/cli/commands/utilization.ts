import { defineCommand } from 'citty';
import { stringifyExact } from '../../contract/exact-json.js';
import { parseDateTime } from '../../contract/parameters.js';
import type { AzureUtilizationRecord } from '../../contract/resources.js';
import { CliError, EXIT } from '../cli-error.js';
import { withLocalApi } from '../local-api.js';
import { dbArg, jsonArg, partnerArg } from '../shared-args.js';
import { renderTable } from '../text-table.js';
import { subscriptionArgs } from './subscription-args.js';

function time(name: string, value: string | undefined): string {
  if (value === undefined || parseDateTime(value) === undefined) {
    throw new CliError(
      `--${name} must be a date or date-time (2026-11-01, 2026-11-01T00:00:00Z), got ${JSON.stringify(value)}`,
      EXIT.usage,
    );
  }
  return new Date(parseDateTime(value)!).toISOString().replace('.000Z', 'Z');
}

export const utilizationCommand = defineCommand({
  meta: {
    name: 'utilization',
    description: 'Usage per resource, meter and day in a window (GET …/subscriptions/{s}/utilizations/azure)',
  },
  args: {
    ...subscriptionArgs,
    from: { type: 'string', description: 'window start (inclusive)', valueHint: 'date-time', required: true },
    to: { type: 'string', description: 'window end (exclusive)', valueHint: 'date-time', required: true },
    details: { type: 'boolean', description: 'include instance data (resource URI, location, tags)', default: true },
    ...partnerArg,
    ...dbArg,
    ...jsonArg,
  },
  async run({ args }) {
    const startTime = time('from', args.from);
    const endTime = time('to', args.to);
    const records = await withLocalApi(args.db, args.partner, async (pc) => {
      const all: AzureUtilizationRecord[] = [];
      const azure = pc.customers.byId(args.customer).subscriptions.byId(args.subscription).utilizations.azure;
      for await (const r of azure.list({ startTime, endTime, showDetails: args.details })) all.push(r);
      return all;
    });
    if (args.json) {
      console.log(stringifyExact(records, 2));
      return;
    }
    console.log(`${startTime} to ${endTime}: ${records.length} records`);
    const rows = records.map((r) => [
      r.usageStartTime.slice(0, 10),
      r.resource.name ?? r.resource.id,
      r.instanceData?.resourceUri ?? '',
      r.quantity.text,
      r.unit ?? '',
    ]);
    console.log(renderTable(['day', 'meter', 'resource', 'quantity', 'unit'], rows, [3]));
  },
});
