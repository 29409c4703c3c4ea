import { issueLocalToken } from '../server/auth/issue-token.js';
import { createServer } from '../server/create-server.js';
import { createServerAuth } from '../server/server-auth.js';
import { PartnerCenter } from '../sdk/partner-center.js';
import { APIError } from '../sdk/errors.js';
import { CliError } from './cli-error.js';
import { choosePartner, withStore } from './shared-args.js';

/**
 * Runs `fn` with the SDK talking to this database's own API, in process (no port): the CLI shows
 * exactly what the HTTP API answers, so that it, the SDK and the dashboard read the same figures.
 * An API error becomes one clear CLI line.
 */
export async function withLocalApi<T>(
  db: string | undefined,
  partnerArg: string | undefined,
  fn: (pc: PartnerCenter, partner: string) => Promise<T>,
): Promise<T> {
  return withStore(db, async (store) => {
    const partner = await choosePartner(store, partnerArg);
    const auth = await createServerAuth(store);
    const app = createServer({ store, verifier: auth.verifier, tokens: auth.tokens, cacheBytes: 0 });
    try {
      const pc = new PartnerCenter({
        baseUrl: 'http://local',
        credential: await issueLocalToken(auth.keys, { tenant: partner, user: 'cli' }),
        maxRetries: 0,
        fetch: async (input, init) => {
          const url = new URL(String(input));
          const response = await app.inject({
            method: (init?.method ?? 'GET') as 'GET',
            url: `${url.pathname}${url.search}`,
            headers: Object.fromEntries(new Headers(init?.headers).entries()),
            ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
          });
          return new Response(response.statusCode === 204 ? null : response.body, {
            status: response.statusCode,
            headers: response.headers as Record<string, string>,
          });
        },
      });
      return await fn(pc, partner);
    } catch (error) {
      if (error instanceof APIError) throw new CliError(error.message);
      throw error;
    } finally {
      await app.close();
    }
  });
}
