import { useEffect, useState } from 'preact/hooks';

/** The page and its state, all in the URL: a view can be shared, and Back works. */
export interface Route {
  readonly page: 'customers' | 'customer' | 'alerts' | 'docs';
  readonly customerId?: string;
  readonly params: URLSearchParams;
}

export function routeOf(location: Location): Route {
  const params = new URLSearchParams(location.search);
  const customer = /^\/customers\/([0-9a-f-]{36})\/?$/i.exec(location.pathname);
  if (customer) return { page: 'customer', customerId: customer[1]!.toLowerCase(), params };
  if (/^\/alerts\/?$/.test(location.pathname)) return { page: 'alerts', params };
  if (/^\/docs\/?$/.test(location.pathname)) return { page: 'docs', params };
  return { page: 'customers', params };
}

const CHANGED = 'partner-usage:navigate';

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGED));
}

/** A query string from values, leaving out empty ones and defaults. */
export function withParams(path: string, values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  return q.size > 0 ? `${path}?${q.toString()}` : path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location));
  useEffect(() => {
    const update = () => setRoute(routeOf(window.location));
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return route;
}

/** A link that navigates in the page (a real href: open in a new tab, copy, keyboard all work). */
export function onLinkClick(event: MouseEvent): void {
  const a = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href')!);
}
