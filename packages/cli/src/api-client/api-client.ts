import { PackrunError, entryOfKeyValuePair, type KeyValueEntry, type KeyValuePair, type St2Execution } from '@packrun/core';

export interface ApiErrorBody {
  code?: string;
  message?: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export type StreamEvent = { event: string; data: unknown };

/** A small fetch-based client of the Packrun API for the CLI. API errors come back as PackrunErrors. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly apiKey: string | undefined,
  ) {}

  private headers(json: boolean): Record<string, string> {
    return { ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}), ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ data: T; headers: Headers }> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), {
        method,
        headers: this.headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new PackrunError('API_UNREACHABLE', `the Packrun API at ${this.url} does not answer`, {
        hint: 'start it with `packrun up`, or set PACKRUN_API_URL',
        cause,
      });
    }
    const text = await response.text();
    const data = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const error = (data ?? {}) as ApiErrorBody;
      throw new PackrunError(error.code ?? 'API_ERROR', error.message ?? `${method} ${path} failed with HTTP ${response.status}`, {
        ...(error.hint ? { hint: error.hint } : {}),
        details: { ...error.details, status: response.status },
      });
    }
    return { data: data as T, headers: response.headers };
  }

  async health(timeoutMs: number): Promise<boolean> {
    try {
      const response = await fetch(new URL('/api/v1/health', this.url), { signal: AbortSignal.timeout(timeoutMs) });
      return response.ok;
    } catch {
      return false;
    }
  }

  async createExecution(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
    return (await this.request<St2Execution>('POST', '/api/v1/executions', { action, parameters })).data;
  }

  async getExecution(id: string): Promise<St2Execution> {
    return (await this.request<St2Execution>('GET', `/api/v1/executions/${encodeURIComponent(id)}`)).data;
  }

  /**
   * The execution with its whole result: a result too big for the record is left out of it
   * (`result_omitted`) and fetched from its own route.
   */
  async withWholeResult(execution: St2Execution): Promise<St2Execution> {
    if (execution.result_omitted !== true) return execution;
    const result = (await this.request<Record<string, unknown>>('GET', `/api/v1/executions/${encodeURIComponent(execution.id)}/result`)).data;
    const { result_omitted: _omitted, ...rest } = execution;
    return { ...rest, result };
  }

  /** One stream of the output as text: the stored output once completed, the live part while running. */
  async getOutput(id: string, stream: 'stdout' | 'stderr'): Promise<string> {
    const response = await this.fetchOk(`/api/v1/executions/${encodeURIComponent(id)}/output?output_type=${stream}`);
    return response.text();
  }

  async listExecutions(query: Record<string, string | number | undefined>): Promise<{ items: St2Execution[]; total: number }> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const { data, headers } = await this.request<St2Execution[]>('GET', `/api/v1/executions?${params}`);
    return { items: data, total: Number(headers.get('x-total-count') ?? data.length) };
  }

  /** st2's cancel: DELETE /executions/{id}. */
  async cancelExecution(id: string): Promise<St2Execution> {
    return (await this.request<St2Execution>('DELETE', `/api/v1/executions/${encodeURIComponent(id)}`)).data;
  }

  /** Every execution under a workflow execution, each after its parent. */
  async executionChildren(id: string): Promise<St2Execution[]> {
    return (await this.request<St2Execution[]>('GET', `/api/v1/executions/${encodeURIComponent(id)}/children?depth=-1`)).data;
  }

  async setExecutionStatus(id: string, status: 'pausing' | 'resuming'): Promise<St2Execution> {
    return (await this.request<St2Execution>('PUT', `/api/v1/executions/${encodeURIComponent(id)}`, { status })).data;
  }

  /** st2's re_run: the same action again, `parameters` overriding; with tasks, an Orquesta workflow from those tasks. */
  async rerunExecution(id: string, parameters: Record<string, unknown>, tasks: string[] = []): Promise<St2Execution> {
    return (await this.request<St2Execution>('POST', `/api/v1/executions/${encodeURIComponent(id)}/re_run`, { parameters, tasks })).data;
  }

  async getKey(name: string, options: { scope: string; decrypt: boolean }): Promise<KeyValueEntry> {
    const query = new URLSearchParams({ scope: options.scope, decrypt: String(options.decrypt) });
    return entryOfKeyValuePair((await this.request<KeyValuePair>('GET', `/api/v1/keys/${encodeURIComponent(name)}?${query}`)).data);
  }

  async setKey(name: string, body: { value: string; secret: boolean; scope: string; ttl?: number }): Promise<KeyValueEntry> {
    return entryOfKeyValuePair((await this.request<KeyValuePair>('PUT', `/api/v1/keys/${encodeURIComponent(name)}`, body)).data);
  }

  async deleteKey(name: string, scope: string): Promise<void> {
    await this.request('DELETE', `/api/v1/keys/${encodeURIComponent(name)}?scope=${scope}`);
  }

  async listKeys(options: { scope: string; prefix?: string; decrypt: boolean }): Promise<KeyValueEntry[]> {
    const query = new URLSearchParams({ scope: options.scope, decrypt: String(options.decrypt), limit: '-1', ...(options.prefix ? { prefix: options.prefix } : {}) });
    return (await this.request<KeyValuePair[]>('GET', `/api/v1/keys?${query}`)).data.map(entryOfKeyValuePair);
  }

  /** A GET whose body is not JSON (text, an event stream); API errors come back as PackrunErrors. */
  private async fetchOk(path: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.url), { headers: this.headers(false), ...(signal ? { signal } : {}) });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new PackrunError('API_UNREACHABLE', `the Packrun API at ${this.url} does not answer`, { hint: 'start it with `packrun up`, or set PACKRUN_API_URL', cause });
    }
    if (!response.ok) {
      const error = (await response.json().catch(() => ({}))) as ApiErrorBody;
      throw new PackrunError(error.code ?? 'API_ERROR', error.message ?? `GET ${path} failed with HTTP ${response.status}`, {
        ...(error.hint ? { hint: error.hint } : {}),
        details: { ...error.details, status: response.status },
      });
    }
    return response;
  }

  /** Reads a Server-Sent Events route until it ends, the handler returns false or the signal aborts. */
  async stream(path: string, onEvent: (event: StreamEvent) => boolean | void, signal?: AbortSignal): Promise<void> {
    const response = await this.fetchOk(path, signal);
    if (!response.body) throw new PackrunError('API_ERROR', `stream ${path} has no body`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseSseBlock(block);
          if (event && onEvent(event) === false) return;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

function parseSseBlock(block: string): StreamEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) as unknown };
  } catch {
    // st2's `EOF` event carries `''`, which is no JSON.
    return { event, data: text };
  }
}
