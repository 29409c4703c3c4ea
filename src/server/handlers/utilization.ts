import { apiErrors } from '../../contract/api-errors.js';
import { MAX_PAGE_SIZE } from '../../contract/parameters.js';
import type { AzureUtilizationRecord } from '../../contract/resources.js';
import { azureUtilizationRecord } from '../../domain/usage-records.js';
import type { SubscriptionOwner, UsageLines } from '../../storage/store.js';
import { BoundedCache } from '../bounded-cache.js';
import type { OperationHandler } from '../operation-routes.js';
import type { ServerDeps } from '../server-deps.js';

const DAY_MS = 86_400_000;

/** The window a first request names, carried in its continuation token as the page scope. */
interface Window {
  readonly start: number;
  readonly end: number;
  readonly granularity: 'daily' | 'hourly';
  readonly details: boolean;
}

const scopeOf = (w: Window) => `${w.start}|${w.end}|${w.granularity}|${w.details ? 1 : 0}`;

function windowOf(scope: string): Window {
  const [start, end, granularity, details] = scope.split('|');
  return {
    start: Number(start),
    end: Number(end),
    granularity: granularity as Window['granularity'],
    details: details === '1',
  };
}

const yyyymmdd = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
};

/** The billing periods a window touches. */
function periodsOf(w: Window): string[] {
  const out: string[] = [];
  const d = new Date(w.start);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  for (;;) {
    if (Date.UTC(y, m, 1) >= w.end) break;
    out.push(`${y}-${String(m + 1).padStart(2, '0')}`);
    if (++m === 12) [y, m] = [y + 1, 0];
  }
  return out;
}

/** The first index whose (day, resource, meter) is at or after the key (rows are in that order). */
function lowerBound(lines: UsageLines, day: number, resource: number, meter: number): number {
  let lo = 0;
  let hi = lines.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const d = lines.day[mid]! - day || lines.resource[mid]! - resource || lines.meter[mid]! - meter;
    if (d < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Found = SubscriptionOwner & { readonly lines: UsageLines };

/**
 * Summed lines by subscription and periods, while the data version holds (bounded in bytes: a
 * subscription of a million lines takes ~80 MB, and an entry over a quarter of the bound is not
 * kept, so the bound is 512 MiB).
 */
const CACHES = new WeakMap<ServerDeps, { version: string; entries: BoundedCache<Found> }>();
const LINES_CACHE_BYTES = 512 * 2 ** 20;

function linesCache(deps: ServerDeps): BoundedCache<Found> {
  const version = deps.store.dataVersion();
  let cache = CACHES.get(deps);
  if (!cache || cache.version !== version) {
    cache = { version, entries: new BoundedCache<Found>(LINES_CACHE_BYTES, (key, v) => key.length + v.lines.bytes) };
    CACHES.set(deps, cache);
  }
  return cache.entries;
}

/**
 * GET …/{s}/utilizations/azure: the subscription's usage per (resource, meter, day) whose day
 * starts in [start_time, end_time), in (day, resource, meter) order, paged (size default and max
 * 1000). A window reaching into today (UTC) is not complete: 204 with Retry-After until midnight.
 */
export const getAzureUtilizationRecords: OperationHandler<'getAzureUtilizationRecords'> = async (request, deps) => {
  const { values, caller, seek } = request;
  const customer = values['customer-tenant-id'];
  const subscription = values['subscription-id'];
  let scope: string | undefined;
  if (!seek) {
    const w: Window = {
      start: values.start_time,
      end: values.end_time,
      granularity: values.granularity,
      details: values.show_details === 'true',
    };
    if (w.end <= w.start) throw apiErrors.invalidInput('The end_time must be later than the start_time.');
    if (w.end - w.start > 366 * DAY_MS)
      throw apiErrors.invalidInput('The window from start_time to end_time is longer than a year.');
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    if (w.end > today) {
      return { notReady: { retryAfterSeconds: Math.max(1, Math.ceil((today + DAY_MS - Date.now()) / 1000)) } };
    }
    scope = scopeOf(w);
  }
  const size = values.size ?? MAX_PAGE_SIZE;
  const query = selfQuery(size, scope);
  return {
    collection: {
      route: request.selfPath,
      selfUri: `${request.selfPath.slice(1)}${query}`,
      path: request.selfPath.slice(1),
      ...(scope === undefined ? {} : { scope }),
      defaultSize: MAX_PAGE_SIZE,
      fetch: async (pageScope, page) => {
        const w = windowOf(pageScope);
        const q = {
          partnerTenantId: caller.partnerTenantId,
          customerTenantId: customer,
          subscriptionId: subscription,
          period: '',
        };
        const periods = periodsOf(w);
        const key = `${caller.partnerTenantId}|${customer}|${subscription}|${periods.join(',')}`;
        const cache = linesCache(deps);
        let found = cache.get(key);
        if (!found) {
          const result = await deps.store.usageLines(q, periods);
          if (result.found === 'customer-missing') throw apiErrors.customerNotFound(customer);
          if (result.found === 'subscription-missing') throw apiErrors.subscriptionNotFound(subscription);
          found = result;
          cache.set(key, found);
        }
        const { lines } = found;
        const last = lowerBound(lines, yyyymmdd(w.end - 1) + 1, -Infinity, -Infinity);
        let at = lowerBound(lines, yyyymmdd(w.start + DAY_MS - 1), -Infinity, -Infinity);
        if (page?.after !== undefined) {
          const [d, r, m] = page.after.split(':').map(Number);
          at = Math.max(at, lowerBound(lines, d!, r!, m! + 1));
        }
        const limit = page?.limit ?? MAX_PAGE_SIZE;
        const to = Math.min(last, at + limit);
        const items: AzureUtilizationRecord[] = [];
        for (let i = at; i < to; i++) items.push(azureUtilizationRecord(lines, i, w.details));
        return {
          items,
          lastKey: to > at ? `${lines.day[to - 1]}:${lines.resource[to - 1]}:${lines.meter[to - 1]}` : undefined,
          more: to < last,
        };
      },
    },
  };
};

/** The self link's query, as Partner Center writes it (Daily, True). */
function selfQuery(size: number, scope: string | undefined): string {
  if (scope === undefined) return '?seek_operation=Next';
  const w = windowOf(scope);
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  return `?start_time=${iso(w.start)}&end_time=${iso(w.end)}&granularity=${cap(w.granularity)}&show_details=${w.details ? 'True' : 'False'}&size=${size}`;
}
