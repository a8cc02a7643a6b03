import { isPackrunError, maskedValue, type ActionOutcome } from '@packrun/core';
import type { InlineRunner, RunnerInput } from '../runner.ts';
import { BodyTooLarge, exchange, ExchangeTimeout, hostOf, type ExchangeResponse } from './http-exchange.ts';
import { headerNamed, httpRequestSpec, setHeader, type HttpRequestSpec } from './http-request-spec.ts';

type Outcome = Omit<ActionOutcome, 'durationMs'>;

/** StackStorm's HTTP runner counts 200 to 206 as success, anything else (a redirect not followed too) as failure. */
const succeededStatuses = new Set([200, 201, 202, 203, 204, 205, 206]);
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
/** requests' limit. */
const maxRedirects = 30;

/**
 * The answer body as requests' `response.text`: decoded with the charset the server named, else
 * ISO-8859-1 for text/*, else UTF-8; then, when the Content-Type is application/json, parsed
 * (`parsed: true`), otherwise left as text.
 */
function bodyOf(response: ExchangeResponse): { body: unknown; parsed: boolean } {
  const contentType = headerNamed(response.headers, 'content-type');
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  let text: string;
  if (charset !== undefined) {
    try {
      text = new TextDecoder(charset).decode(response.body);
    } catch {
      text = response.body.toString('utf8');
    }
  } else {
    text = contentType?.startsWith('text') ? response.body.toString('latin1') : response.body.toString('utf8');
  }
  if (contentType === undefined || contentType.split(';')[0] !== 'application/json') return { body: text, parsed: false };
  try {
    return { body: JSON.parse(text) as unknown, parsed: true };
  } catch {
    return { body: text, parsed: false };
  }
}

/** Authorization goes only to the host it was meant for (requests' should_strip_auth). */
function keepsAuthorization(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return false;
  const upgraded = from.protocol === 'http:' && to.protocol === 'https:' && (from.port === '' || from.port === '80') && (to.port === '' || to.port === '443');
  return upgraded || (from.protocol === to.protocol && from.port === to.port);
}

/** The next request of a redirect: requests turns 301/302 of a POST and every 303 (but HEAD) into a GET without a body. */
function redirected(current: HttpRequestSpec, status: number, location: URL): HttpRequestSpec {
  const method = (status === 303 && current.method !== 'HEAD') || ((status === 301 || status === 302) && current.method === 'POST') ? 'GET' : current.method;
  const headers = { ...current.headers };
  const next: HttpRequestSpec = { ...current, url: location, method, headers };
  if (method !== current.method || (status !== 307 && status !== 308)) {
    delete next.body;
    for (const name of Object.keys(headers)) if (/^(content-length|content-type|transfer-encoding)$/i.test(name)) delete headers[name];
  }
  if (!keepsAuthorization(current.url, location)) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
  }
  return next;
}

/** st2's url_hosts_blacklist / url_hosts_whitelist, checked on every URL the request goes to. */
function hostListRefusal(spec: HttpRequestSpec, url: URL): string | undefined {
  const host = hostOf(url).toLowerCase();
  if (spec.hostsBlacklist.includes(host)) return `URL "${url.href}" is blacklisted`;
  if (spec.hostsWhitelist.length > 0 && !spec.hostsWhitelist.includes(host)) return `URL "${url.href}" is not whitelisted`;
  return undefined;
}

function failed(error: string, stopReason?: ActionOutcome['stopReason']): Outcome {
  return { status: 'failed', result: { error }, ...(stopReason ? { stopReason } : {}) };
}

function describeRequest(spec: HttpRequestSpec): Record<string, unknown> {
  const headers = { ...spec.headers };
  if (headerNamed(headers, 'authorization') !== undefined) setHeader(headers, 'Authorization', maskedValue);
  return {
    runsIn: 'the runtime process (no job is started); destinations on its own host are refused unless PACKRUN_HTTP_ALLOW lists them',
    request: {
      method: spec.method,
      url: spec.url.href,
      headers,
      ...(spec.body ? { bodyBytes: spec.body.length } : {}),
      timeoutSeconds: spec.timeoutSeconds,
      allowRedirects: spec.allowRedirects,
      verifyTls: spec.verifyTls,
      ...(spec.proxies['http:'] ? { httpProxy: spec.proxies['http:'].host } : {}),
      ...(spec.proxies['https:'] ? { httpsProxy: spec.proxies['https:'].host } : {}),
    },
  };
}

/**
 * http-request: StackStorm's HTTP runner. The runtime makes the request itself (no pack code runs,
 * so no job is started), and every connection it opens, the proxy's, each redirect's, goes through
 * one DNS lookup whose answers are checked against the destination policy before the socket uses
 * them: never the runtime's own host unless the operator allowed it (PACKRUN_HTTP_ALLOW).
 * Result: `{status_code, body, parsed, headers}`, as StackStorm's.
 */
export const httpRequestRunner: InlineRunner = {
  inline: true,
  describe: (input) => describeRequest(httpRequestSpec(input)),
  async run(input: RunnerInput, context): Promise<Outcome> {
    let spec = httpRequestSpec(input);
    const overallSeconds = Math.min(Math.max(input.sandboxLimits.timeoutSeconds, spec.timeoutSeconds), input.config.sandboxTimeoutMaxSeconds);
    const deadline = AbortSignal.timeout(overallSeconds * 1000);
    const signal = context.signal ? AbortSignal.any([context.signal, deadline]) : deadline;
    try {
      for (let hop = 0; ; hop++) {
        const refusal = hostListRefusal(spec, spec.url);
        if (refusal !== undefined) return failed(refusal);
        const proxy = spec.proxies[spec.url.protocol as 'http:' | 'https:'];
        const response = await exchange({
          url: spec.url,
          method: spec.method,
          headers: spec.headers,
          ...(spec.body ? { body: spec.body } : {}),
          timeoutMs: spec.timeoutSeconds * 1000,
          verifyTls: spec.verifyTls,
          ...(proxy ? { proxy } : {}),
          allowed: input.config.httpAllow,
          maxBodyBytes: input.config.outputCapBytes,
          signal,
        });
        const location = headerNamed(response.headers, 'location');
        if (spec.allowRedirects && redirectStatuses.has(response.status) && location !== undefined) {
          if (hop + 1 > maxRedirects) return failed(`Exceeded ${maxRedirects} redirects.`);
          spec = redirected(spec, response.status, new URL(location, spec.url));
          continue;
        }
        const { body, parsed } = bodyOf(response);
        return {
          status: succeededStatuses.has(response.status) ? 'succeeded' : 'failed',
          result: { status_code: response.status, body, parsed, headers: response.headers },
        };
      }
    } catch (error) {
      if (isPackrunError(error)) throw error;
      if (context.signal?.aborted) return { status: 'canceled', result: { error: 'Action was canceled' }, stopReason: 'canceled' };
      if (error instanceof ExchangeTimeout) return { status: 'timeout', result: { error: error.message }, stopReason: 'timeout' };
      if (deadline.aborted) return { status: 'timeout', result: { error: `the request took longer than ${overallSeconds} s` }, stopReason: 'timeout' };
      if (error instanceof BodyTooLarge) return failed(error.message, 'output_limit');
      return failed(error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error));
    }
  },
};
