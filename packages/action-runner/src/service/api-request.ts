import { PackrunError } from '@packrun/core';

export interface ApiEndpoint {
  /** Base URL, e.g. http://api-host:9101 */
  url: string;
  apiKey: string;
  /** Sent with every request besides the key. */
  headers?: Record<string, string>;
}

/**
 * One JSON request to the API with retries on connection failures and 5xx (the API restarting or
 * briefly unreachable must not fail an execution). A 4xx is an answer and is thrown at once.
 */
export async function apiRequest<T>(
  endpoint: ApiEndpoint,
  method: string,
  path: string,
  body?: unknown,
  options: { retryForMs?: number; allowNotFound?: boolean } = {},
): Promise<T | undefined> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  let delay = 200;
  for (;;) {
    let response: Response | undefined;
    let failure: unknown;
    try {
      response = await fetch(new URL(path, endpoint.url), {
        method,
        headers: { ...endpoint.headers, 'x-api-key': endpoint.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      failure = error;
    }
    if (response && response.status < 500) {
      if (response.status === 204) return undefined;
      if (response.status === 404 && options.allowNotFound) return undefined;
      const payload = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      if (response.ok) return payload as T;
      throw new PackrunError('RUNNER_API_REJECTED', `the API refused ${method} ${path}: ${payload.message ?? response.status}`, {
        details: { status: response.status, code: payload.code, apiMessage: payload.message },
        userError: false,
      });
    }
    if (Date.now() > deadline) {
      throw new PackrunError('RUNNER_API_UNREACHABLE', `the API at ${endpoint.url} did not answer ${method} ${path}`, {
        hint: 'check PACKRUN_API_URL and that `packrun api` is running',
        details: { url: endpoint.url, status: response?.status },
        cause: failure,
        userError: false,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2000);
  }
}
