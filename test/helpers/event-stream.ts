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
    const body = response.body;
    void (async () => {
      for await (const blocks of eventBlocks(body)) {
        for (const block of blocks) {
          const event = parseEventBlock(block);
          if (event) events.push(event);
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

/**
 * The complete event blocks (each ended by a blank line) of a Server-Sent Events body, one list per
 * chunk read as it arrives: an empty list when a chunk completes no block, so a reader can act on
 * the stream's first bytes.
 */
export async function* eventBlocks(body: ReadableStream<Uint8Array>): AsyncGenerator<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const blocks: string[] = [];
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      blocks.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
    yield blocks;
  }
}

/**
 * An event block as the API writes it: an `event:` line and one `data:` line of JSON, except st2's
 * `EOF`, whose data is `''` and reads as `{}`. Undefined for a block without both (a comment).
 */
export function parseEventBlock(block: string): StreamEvent | undefined {
  const event = /^event: (.*)$/m.exec(block)?.[1];
  const data = /^data: (.*)$/m.exec(block)?.[1];
  if (!event || !data) return undefined;
  return { event, data: (event === 'EOF' ? {} : JSON.parse(data)) as Record<string, unknown> };
}
