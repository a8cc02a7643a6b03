import { retryUntil } from './retry-until.ts';

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A Server-Sent Events response read in the background over a real socket, every event kept. */
export interface EventStreamReader {
  status: number;
  events: StreamEvent[];
  /** Resolves with the first event (kept so far or to come) that `matches`. */
  waitFor(matches: (event: StreamEvent) => boolean, what: string, withinMs?: number): Promise<StreamEvent>;
  close(): void;
}

/** Opens `url` (an event stream of the API) and reads its events until closed; a refusal is read as its status alone. */
export async function openEventStream(url: URL, headers: Record<string, string>): Promise<EventStreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  if (response.ok && response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    })().catch(() => undefined);
  } else {
    await response.text();
  }
  return {
    status: response.status,
    events,
    async waitFor(matches, what, withinMs = 30_000) {
      await retryUntil(() => events.some(matches), { what, withinMs, everyMs: 50 }).catch((error: Error) => {
        throw new Error(`${error.message}; received ${events.map((item) => item.event).join(', ') || 'nothing'}`);
      });
      return events.find(matches)!;
    },
    close: () => controller.abort(),
  };
}
