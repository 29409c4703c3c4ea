import { defineCommand } from 'citty';
import { grantJson, type GrantRole } from '../../domain/access-grant.js';
import { CliError, EXIT } from '../cli-error.js';
import { jsonArg, lineScopeArgs, partnerSettingsArgs, withPartner } from '../shared-args.js';
import { renderTable } from '../text-table.js';

const add = defineCommand({
  meta: {
    name: 'add',
    description:
      "Give a customer's or a tier-2 reseller's tenant a view of its own: its users see that scope only, at the customers' prices",
  },
  args: {
    tenant: {
      type: 'string',
      description: "the grantee's tenant id (its users' tokens carry it)",
      valueHint: 'tenant-id',
    },
    ...lineScopeArgs,
    role: {
      type: 'string',
      description: "viewer (reads; the default) or analyst (also exports and sets its customers' budgets)",
      valueHint: 'viewer|analyst',
    },
    ...partnerSettingsArgs,
    ...jsonArg,
  },
  async run({ args }) {
    if (args.tenant === undefined) throw new CliError('give --tenant: the tenant whose users get the view', EXIT.usage);
    if ((args.customer === undefined) === (args.reseller === undefined))
      throw new CliError('give one of --customer and --reseller', EXIT.usage);
    const role = (args.role ?? 'viewer').toLowerCase();
    if (role !== 'viewer' && role !== 'analyst') throw new CliError('--role is viewer or analyst', EXIT.usage);
    const grant = await withPartner(args, (store, partner) =>
      store.access.add(
        partner,
        {
          tenantId: args.tenant!,
          scope: args.customer !== undefined ? 'customer' : 'reseller',
          id: (args.customer ?? args.reseller)!,
          role: role as GrantRole,
        },
        'cli',
      ),
    );
    if (args.json) console.log(JSON.stringify(grantJson(grant), null, 2));
    else console.log(`tenant ${grant.tenantId} sees ${grant.scope} ${grant.id} as ${grant.role}`);
  },
});

const list = defineCommand({
  meta: { name: 'list', description: "The partner's access grants" },
  args: { ...partnerSettingsArgs, ...jsonArg },
  async run({ args }) {
    const grants = await withPartner(args, (store, partner) => store.access.list(partner));
    if (args.json) return console.log(JSON.stringify(grants.map(grantJson), null, 2));
    if (grants.length === 0) return console.log("no access grants: only the partner's own users sign in");
    console.log(
      renderTable(
        ['tenant', 'sees', 'role', 'since'],
        grants.map((g) => [g.tenantId, `${g.scope} ${g.id}`, g.role, g.createdAt.slice(0, 10)]),
      ),
    );
  },
});

const remove = defineCommand({
  meta: { name: 'remove', description: "Remove a tenant's access grant: its users see nothing from then on" },
  args: {
    tenant: { type: 'string', description: "the grantee's tenant id", valueHint: 'tenant-id' },
    ...partnerSettingsArgs,
  },
  async run({ args }) {
    if (args.tenant === undefined) throw new CliError('give --tenant', EXIT.usage);
    const grant = await withPartner(args, (store, partner) => store.access.remove(partner, args.tenant!, 'cli'));
    console.log(`access of tenant ${grant.tenantId} removed (it saw ${grant.scope} ${grant.id})`);
  },
});

export const accessCommand = defineCommand({
  meta: {
    name: 'access',
    description: "Views of their own for customers and resellers: tenants given one customer's or one reseller's lines",
  },
  subCommands: { add, list, remove },
});
