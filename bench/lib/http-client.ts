import http from 'node:http';

export interface JsonClient {
  request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: http.IncomingHttpHeaders }>;
  /** The response body as bytes, unparsed: for measuring what a route sends. */
  raw(method: string, path: string): Promise<{ status: number; body: Buffer }>;
  close(): void;
}

/**
 * A small JSON client over keep-alive connections. The benchmarks drive the API from the process
 * that runs it, so the client's own cost is counted against the server: node:http costs a fraction
 * of what fetch (undici) does per request, which took about a sixth of that process's CPU.
 */
export function jsonClient(baseUrl: string, headers: Record<string, string> = {}): JsonClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(baseUrl);
  const send = (method: string, path: string, payload: string | undefined): Promise<{ response: http.IncomingMessage; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ response, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  return {
    async request<T>(method: string, path: string, body?: unknown) {
      const { response, body: bytes } = await send(method, path, body === undefined ? undefined : JSON.stringify(body));
      const text = bytes.toString('utf8');
      try {
        return { status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
      } catch (error) {
        throw new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 200)} (${(error as Error).message})`);
      }
    },
    async raw(method: string, path: string) {
      const { response, body } = await send(method, path, undefined);
      return { status: response.statusCode ?? 0, body };
    },
    close() {
      agent.destroy();
    },
  };
}
