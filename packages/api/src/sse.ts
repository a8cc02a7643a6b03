import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseChannel {
  send(event: string, data: unknown): void;
  /** An event whose data line is `text` as it is (one line: st2's `EOF` event carries `''`). */
  sendText(event: string, text: string): void;
  close(): void;
  readonly closed: Promise<void>;
}

/**
 * Bytes a client may leave unread before its stream is ended. Events for it are written as they
 * come, and a reader slower than fifty actions printing at full speed would otherwise hold all of
 * it in this process. Ended, a client reconnects or fetches what it missed (the CLI does: its
 * stream drops and it reads the stored output once the execution has completed).
 */
const maxUnreadBytes = 16 * 1024 * 1024;

/** Opens a Server-Sent Events response; keep-alive comments stop proxies from timing it out. */
export function openSse(request: FastifyRequest, reply: FastifyReply): SseChannel {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': connected\n\n');
  let done = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  const finish = (): void => {
    if (done) return;
    done = true;
    clearInterval(keepAlive);
    resolveClosed();
  };
  request.raw.on('close', finish);
  raw.on('close', finish);
  const write = (event: string, line: string): void => {
    if (done) return;
    if (raw.writableLength > maxUnreadBytes) {
      request.log.warn({ unread: raw.writableLength }, 'event stream ended: its client reads too slowly');
      raw.destroy();
      finish();
      return;
    }
    raw.write(`event: ${event}\ndata: ${line}\n\n`);
  };
  return {
    send(event, data) {
      write(event, JSON.stringify(data));
    },
    sendText(event, text) {
      write(event, text.replace(/[\r\n]/g, ' '));
    },
    close() {
      if (!done) raw.end();
      finish();
    },
    closed,
  };
}
