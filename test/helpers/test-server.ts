import type { FastifyInstance } from 'fastify';
import { issueLocalToken, type TokenRequest } from '../../src/server/auth/issue-token.js';
import { createServer, type ServerOptions } from '../../src/server/create-server.js';
import { createServerAuth, type AuthSettings, type ServerAuth } from '../../src/server/server-auth.js';
import type { Store } from '../../src/storage/store.js';
import type { TestDatabase } from './backends.js';

export interface TestServer {
  readonly baseUrl: string;
  readonly store: Store;
  readonly auth: ServerAuth;
  readonly app: FastifyInstance;
  /** A token from the server's local key. */
  token(request: TokenRequest): Promise<string>;
  close(): Promise<void>;
}

/** A real server over a real database, listening on 127.0.0.1 at a free port. */
export async function startTestServer(
  db: TestDatabase,
  settings: Partial<AuthSettings> = {},
  wrapStore?: (s: Store) => Store,
  graph?: Omit<NonNullable<ServerOptions['graph']>, 'verifier' | 'sasKey'>,
  more: Pick<ServerOptions, 'emulator' | 'rateLimits' | 'metricsToken' | 'https'> = {},
): Promise<TestServer> {
  const opened = await db.open();
  const store = wrapStore ? wrapStore(opened) : opened;
  const auth = await createServerAuth(store, settings);
  const app = createServer({
    store,
    verifier: auth.verifier,
    tokens: auth.tokens,
    signIn: auth.signIn,
    graph: { verifier: auth.graphVerifier, sasKey: auth.keys.hmacSecret, ...graph },
    ...more,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: address,
    store,
    auth,
    app,
    token: (request) => issueLocalToken(auth.keys, request),
    close: async () => {
      await app.close();
      await opened.close();
    },
  };
}
