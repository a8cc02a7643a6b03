/**
 * A stand-in for the event stream, to measure what the page can take apart from what the server
 * can produce: on 2 cores `packrun up` runs about thirty executions a second, a hundred-odd
 * updates, and that bounds the end-to-end figure. Everything else is proxied to the real server
 * (the page, its first read of the list); `/api/v1/stream` is answered here with executions made
 * from a real one (as the API serves it), each a create and three updates, at an offered rate.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReplayedStream {
  url: string;
  /** Streams `rate` updates a second for `seconds` to every open stream, then the last ones' final states; resolves once written. */
  offer(rate: number, seconds: number): Promise<Offered>;
  close(): Promise<void>;
}

export interface Offered {
  updates: number;
  /** Newest first, the executions the offer created: the list's first page should end showing these, each succeeded. */
  newest: string[];
  /** performance.now() when the last update was written. */
  lastWrittenAt: number;
}

const statuses = ['requested', 'scheduled', 'running', 'succeeded'] as const;
/** Executions in flight at once, so the updates of one interleave with those of others as a busy server's do. */
const inFlight = 8;

export async function startReplayedStream(target: string, template: Record<string, unknown>): Promise<ReplayedStream> {
  const streams = new Set<http.ServerResponse>();
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    if (request.url?.startsWith('/api/v1/stream')) {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      response.write(': connected\n\n');
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let serial = 0;

  function event(id: string, step: number, createdAt: string): string {
    const status = statuses[step]!;
    const log = statuses.slice(0, step + 1).map((name) => ({ status: name, timestamp: createdAt }));
    const data = {
      ...template,
      id,
      status,
      start_timestamp: createdAt,
      log,
      ...(status === 'succeeded' ? { end_timestamp: createdAt, elapsed_seconds: 0.012 } : { end_timestamp: undefined, elapsed_seconds: undefined }),
    };
    return `event: ${step === 0 ? 'st2.execution__create' : 'st2.execution__update'}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  return {
    url,
    async offer(rate, seconds) {
      const created: string[] = [];
      const flight: { id: string; step: number; createdAt: string }[] = [];
      let written = 0;
      const write = (): void => {
        // A new execution every fourth update while the flight has room; otherwise the executions
        // in flight advance in turn.
        const next = flight.length < inFlight && written % statuses.length === 0 ? undefined : flight.shift();
        let text: string;
        if (next === undefined) {
          serial += 1;
          const id = `replay${String(serial).padStart(10, '0')}`;
          const createdAt = new Date().toISOString();
          flight.push({ id, step: 0, createdAt });
          created.unshift(id);
          text = event(id, 0, createdAt);
        } else {
          next.step += 1;
          text = event(next.id, next.step, next.createdAt);
          if (next.step < statuses.length - 1) flight.push(next);
        }
        for (const stream of streams) stream.write(text);
        written += 1;
      };
      const started = performance.now();
      // Written in slices of 10 ms, each catching up to where the rate says the offer should be.
      while (performance.now() - started < seconds * 1000) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate);
        while (written < due) write();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      while (flight.length > 0) write();
      return { updates: written, newest: created.slice(0, 50), lastWrittenAt: performance.now() };
    },
    async close() {
      for (const stream of streams) stream.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
