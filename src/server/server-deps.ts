import type { Store } from '../storage/store.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { ContinuationTokens } from './paging/continuation-token.js';
import type { CustomerViewData } from '../domain/customer-view.js';
import type { ResponseCache } from './response-cache.js';
import type { ViewCache } from './view-cache.js';
import type { GrantViews } from './grant-views.js';
import type { RateLimits } from './rate-limits.js';

/** What the routes need, passed in once by createServer. */
export interface ServerDeps {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  readonly tokens: ContinuationTokens;
  readonly cache: ResponseCache;
  /** The dashboard's customers view per partner and period (handlers/customer-view.ts). */
  readonly views: ViewCache<CustomerViewData>;
  /** Access grants and the grantees' priced views (issue #30). */
  readonly grants: GrantViews;
  /** Request budgets per partner and customer (`serve --rate-limit`); undefined: no limit. */
  readonly limits?: RateLimits | undefined;
}
