import type { Store } from '../storage/store.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { ContinuationTokens } from './paging/continuation-token.js';
import type { ResponseCache } from './response-cache.js';

/** What the routes need, passed in once by createServer. */
export interface ServerDeps {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  readonly tokens: ContinuationTokens;
  readonly cache: ResponseCache;
}
