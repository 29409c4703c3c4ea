import { defineCommand } from 'citty';
import { isGuid } from '../../domain/field-syntax.js';
import { issueLocalToken } from '../../server/auth/issue-token.js';
import { loadOrCreateLocalKeys } from '../../server/auth/local-keys.js';
import { CliError } from '../cli-error.js';
import { dbArg, withStore } from '../shared-args.js';

export const tokenCommand = defineCommand({
  meta: {
    name: 'token',
    description: 'Print a bearer token the server accepts (signed with the local key beside the database)',
  },
  args: {
    tenant: { type: 'string', description: 'partner tenant id (the tid claim)', required: true, valueHint: 'tid' },
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
    'expires-in': { type: 'string', description: 'lifetime in seconds (default 3600)', valueHint: 'seconds' },
    ...dbArg,
  },
  async run({ args }) {
    if (!isGuid(args.tenant)) throw new CliError(`--tenant must be a tenant id (GUID), got ${args.tenant}`, 2);
    const expiresIn = args['expires-in'] === undefined ? 3600 : Number(args['expires-in']);
    if (!Number.isInteger(expiresIn) || expiresIn <= 0)
      throw new CliError('--expires-in must be a positive number of seconds', 2);
    const keys = await withStore(args.db, (store) => loadOrCreateLocalKeys(store));
    console.log(
      await issueLocalToken(keys, {
        tenant: args.tenant,
        ...(args.user ? { user: args.user } : {}),
        appOnly: args['app-only'] === true,
        ingest: args.ingest === true,
        graph: args.graph === true,
        expiresInSeconds: expiresIn,
      }),
    );
  },
});
