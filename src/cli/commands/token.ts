import { defineCommand } from 'citty';
import { ROLES } from '../../contract/access.js';
import { isGuid } from '../../domain/field-syntax.js';
import { issueLocalToken } from '../../server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../../server/auth/local-keys.js';
import { CliError } from '../cli-error.js';
import { cloudArg, cloudOf, dbArg, withStore } from '../shared-args.js';

export const tokenCommand = defineCommand({
  meta: {
    name: 'token',
    description: 'Print a bearer token the server accepts (signed with the local key beside the database)',
  },
  args: {
    tenant: {
      type: 'string',
      description: "the tid claim: a partner's tenant, or a grantee's (partner-usage access add)",
      required: true,
      valueHint: 'tid',
    },
    user: { type: 'string', description: 'user principal name of an App+User token', valueHint: 'upn' },
    'app-only': { type: 'boolean', description: 'an application token (refused by App+User routes with 403)' },
    ingest: {
      type: 'boolean',
      description: 'with the PartnerUsage.Ingest role or scope: may POST line items to /v1/partnerusage/lineitems',
    },
    graph: {
      type: 'boolean',
      description:
        "an application token for Microsoft Graph's audience with PartnerBilling.Read.All: for the billing export routes",
    },
    role: {
      type: 'string',
      description:
        "partner-usage's role: admin, analyst or viewer (the PartnerUsage.* app role); none keeps Partner Center's rules",
      valueHint: 'role',
    },
    'expires-in': { type: 'string', description: 'lifetime in seconds (default 3600)', valueHint: 'seconds' },
    ...cloudArg,
    ...dbArg,
  },
  async run({ args }) {
    if (!isGuid(args.tenant)) throw new CliError(`--tenant must be a tenant id (GUID), got ${args.tenant}`, 2);
    const expiresIn = args['expires-in'] === undefined ? 3600 : Number(args['expires-in']);
    if (!Number.isInteger(expiresIn) || expiresIn <= 0)
      throw new CliError('--expires-in must be a positive number of seconds', 2);
    const role = args.role === undefined ? undefined : ROLES.find((r) => r === args.role?.toLowerCase());
    if (args.role !== undefined && !role)
      throw new CliError(`--role must be admin, analyst or viewer, got ${JSON.stringify(args.role)}`, 2);
    if (role && (args['app-only'] || args.graph))
      throw new CliError('--role is for a user token (App+User): not with --app-only or --graph', 2);
    const cloud = cloudOf(args.cloud);
    const keys = await withStore(args.db, (store) => loadOrCreateLocalKeys(store));
    console.log(
      await issueLocalToken(keys, {
        tenant: args.tenant,
        ...(args.user ? { user: args.user } : {}),
        appOnly: args['app-only'] === true,
        ingest: args.ingest === true,
        graph: args.graph === true,
        ...(role ? { role } : {}),
        expiresInSeconds: expiresIn,
        cloud: cloud.name,
      }),
    );
  },
});
