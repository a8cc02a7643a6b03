import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream, type StreamEvent, type StreamState } from '../api/stream.ts';
import { useSession } from '../session.ts';

/**
 * Follows the API's event stream `path` (`/api/v1/stream?events=...`) while the view is mounted,
 * handing each event to `onEvent` (the latest one given, so a view passes a fresh closure every
 * render without reopening the stream). After a reconnect `onReconnect` is called: what changed
 * while the stream was down was never sent, and the view reads it again.
 */
export function useLiveStream(path: string, onEvent: (event: StreamEvent) => void, onReconnect: () => void): StreamState {
  const { api } = useSession();
  const [state, setState] = useState<StreamState>('connecting');
  const handlers = useRef({ onEvent, onReconnect });
  handlers.current = { onEvent, onReconnect };

  useEffect(() => {
    let dropped = false;
    const stream = openStream(api, path, (event) => handlers.current.onEvent(event), {
      onState: (next) => {
        if (next === 'reconnecting') dropped = true;
        if (next === 'live' && dropped) {
          dropped = false;
          handlers.current.onReconnect();
        }
        setState(next);
      },
    });
    return () => stream.close();
  }, [api, path]);

  return state;
}
