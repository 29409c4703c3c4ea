import { defineCommand } from 'citty';
import { CliError, EXIT } from '../cli-error.js';
import { dbArg, jsonArg, partnerArg, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

export const auditCommand = defineCommand({
  meta: { name: 'audit', description: 'Budget and alert rule changes: who, when, old → new (newest first)' },
  args: {
    limit: { type: 'string', description: 'at most this many (default 100)', valueHint: 'n' },
    ...partnerArg,
    ...dbArg,
    ...jsonArg,
  },
  async run({ args }) {
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    if (!(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit is a positive whole number', EXIT.usage);
    const rows = await withPartner(args, (store, partner) => store.alerts.audit(partner, limit));
    if (args.json) return console.log(JSON.stringify(rows, null, 2));
    console.log(
      renderTable(
        ['at', 'who', 'what', 'subject', 'old', 'new'],
        rows.map((r) => [r.at, r.actor, r.action, r.subject, r.oldValue ?? '—', r.newValue ?? '—']),
      ),
    );
  },
});
