import http from 'node:http';

const completed = new Set(['succeeded', 'failed', 'timeout', 'canceled', 'abandoned']);

export interface ExecutionStream {
  /** Resolves with the final status once the stream reports `id` completed (also if it already did). */
  completion(id: string): Promise<string>;
  close(): void;
}

/**
 * Follows /stream/v1/stream (st2.execution__update events only) as an outside client waiting on
 * its executions would, instead of polling each record: with hundreds in flight, polling is
 * itself the load that the benchmark would measure.
 */
export async function executionStream(baseUrl: string, apiKey: string): Promise<ExecutionStream> {
  const finals = new Map<string, string>();
  const waiting = new Map<string, (status: string) => void>();
  const url = new URL('/stream/v1/stream?events=st2.execution__update', baseUrl);
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.get(url, { headers: { 'st2-api-key': apiKey, accept: 'text/event-stream' } }, resolve);
    request.on('error', reject);
  });
  if (response.statusCode !== 200) throw new Error(`GET ${url.pathname}: ${response.statusCode}`);
  let buffered = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf('\n\n');
    while (end !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const execution = JSON.parse(data.slice('data: '.length)) as { id?: string; status?: string };
      if (!execution.id || !execution.status || !completed.has(execution.status)) continue;
      finals.set(execution.id, execution.status);
      waiting.get(execution.id)?.(execution.status);
      waiting.delete(execution.id);
    }
  });
  return {
    completion(id) {
      const known = finals.get(id);
      if (known) return Promise.resolve(known);
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    close() {
      response.destroy();
    },
  };
}
