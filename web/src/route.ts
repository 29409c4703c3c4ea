import { useEffect, useState } from 'preact/hooks';
import { readViewState, type ViewState } from './view-state.js';

const CHANGED = 'partner-usage:navigate';

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGED));
}

/** The state the page's URL says (view-state.ts), kept current as it changes. */
export function useRoute(): ViewState {
  const [route, setRoute] = useState(() => readViewState(window.location.pathname, window.location.search));
  useEffect(() => {
    const update = () => setRoute(readViewState(window.location.pathname, window.location.search));
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
