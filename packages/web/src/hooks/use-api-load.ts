import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client.ts';
import { useSession } from '../session.ts';

export interface ApiLoad<T> {
  /** What the load answered; undefined until it has (and again while other `deps` load). */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping what is shown until the new answer arrives. */
  reload(): void;
  /** Changes what is shown in place (after an update the server answered, an event of a stream). */
  setData(update: (current: T | undefined) => T | undefined): void;
}

/**
 * Loads something from the API when a view mounts and whenever `deps` change: the one place the
 * views' load-on-mount lives. An answer that arrives after the view moved on (unmounted, other
 * deps) is dropped, so a slow answer never overwrites a newer one.
 */
export function useApiLoad<T>(load: (api: Api) => Promise<T>, deps: readonly unknown[] = []): ApiLoad<T> {
  const { api } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loaded = useRef<{ api: Api; deps: readonly unknown[] }>();

  useEffect(() => {
    let live = true;
    const previous = loaded.current;
    // Other deps: what is shown belongs to something else. A reload keeps it until the answer.
    if (!previous || previous.api !== api || previous.deps.length !== deps.length || previous.deps.some((value, index) => value !== deps[index])) setData(undefined);
    loaded.current = { api, deps };
    setError(undefined);
    setLoading(true);
    load(api).then(
      (answer) => {
        if (!live) return;
        setData(() => answer);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!live) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [api, round, ...deps]);

  return { data, error, loading, reload: () => setRound((value) => value + 1), setData };
}
