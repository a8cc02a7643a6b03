import { useEffect, useState } from 'preact/hooks';

/**
 * A small history router: every view has its own URL (deep links reload to the same view; the
 * server answers the view paths with the app). Links are real <a href> elements, so they work
 * from the keyboard, open in a new tab and show their target.
 */
const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((listener) => listener());
  window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = (): void => setVersion((version) => version + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Follows a same-app link without a reload (a modified click opens a tab, as browsers do). */
export function followLink(event: MouseEvent): void {
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? undefined;
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href') ?? '/');
}

/** A query string from the non-empty entries, in the order given. */
export function withQuery(path: string, entries: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(entries)) if (value !== undefined && value !== '' && value !== 0) params.set(name, String(value));
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}
