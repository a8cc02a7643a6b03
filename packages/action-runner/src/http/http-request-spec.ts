import { PackrunError } from '@packrun/core';
import type { RunnerInput } from '../runner.ts';

/** The http-request runner's inputs, from the runner's parameters and the action's, checked. */
export interface HttpRequestSpec {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutSeconds: number;
  allowRedirects: boolean;
  verifyTls: boolean;
  proxies: { 'http:'?: URL; 'https:'?: URL };
  hostsBlacklist: string[];
  hostsWhitelist: string[];
}

/** StackStorm's runner identifies itself; Packrun says what it is too. */
const userAgent = 'st2/v3.9.0 (Packrun)';

function invalid(input: RunnerInput, parameter: string, message: string): PackrunError {
  return new PackrunError('PARAMETER_INVALID', `action ${input.action.ref}: parameter "${parameter}" ${message}`, {
    details: { action: input.action.ref, parameter },
  });
}

function httpUrl(input: RunnerInput, parameter: string, text: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(text));
  } catch {
    throw invalid(input, parameter, `is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(input, parameter, `must be an http:// or https:// URL, got ${url.protocol}`);
  return url;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => String(item).toLowerCase()) : [];
}

/** Header values as strings; a null one is left out, as requests leaves out a None. */
function headerValues(input: RunnerInput, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(input, 'headers', 'must be an object');
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== null && item !== undefined)
      .map(([name, item]) => [name, typeof item === 'string' ? item : JSON.stringify(item)]),
  );
}

export function headerNamed(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  headers[name] = value;
}

/**
 * The request body as StackStorm's runner sends it: with `Content-Type: application/json` the body
 * is JSON (a string is parsed first, then encoded again compactly); otherwise a string is sent as
 * UTF-8 and an object form-encoded, as requests does with a dict.
 */
function bodyBytes(input: RunnerInput, body: unknown, json: boolean): Buffer | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (json) {
    let value = body;
    if (typeof body === 'string') {
      try {
        value = JSON.parse(body);
      } catch {
        throw invalid(input, 'body', `can't be parsed as JSON, which its Content-Type says it is`);
      }
    }
    return Buffer.from(JSON.stringify(value));
  }
  if (typeof body === 'string') return Buffer.from(body);
  if (typeof body === 'object' && !Array.isArray(body)) {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) if (item !== null && item !== undefined) form.append(name, String(item));
    }
    return Buffer.from(form.toString());
  }
  return Buffer.from(String(body));
}

/** One file part (file_name, file_content, file_content_type), as a multipart/form-data body. */
function multipart(name: string, content: string, contentType: string | undefined): { body: Buffer; type: string } {
  const boundary = `packrun${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
  const quoted = name.replace(/["\r\n\\]/g, '_');
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted}"; filename="${quoted}"\r\n${contentType ? `Content-Type: ${contentType}\r\n` : ''}\r\n`;
  return { body: Buffer.concat([Buffer.from(head), Buffer.from(content), Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * The credentials written in a URL, taken out of it: they are sent only as the Authorization
 * header, never in a request line (a proxy's) or a message.
 */
function credentialsOf(url: URL): { username: string; password: string } | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  return credentials;
}

export function httpRequestSpec(input: RunnerInput): HttpRequestSpec {
  const runner = input.runnerParameters;
  const action = input.parameters;
  const url = httpUrl(input, 'url', runner['url']);
  const query = action['params'];
  if (query !== undefined && query !== null) {
    if (typeof query !== 'object' || Array.isArray(query)) throw invalid(input, 'params', 'must be an object');
    for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) if (item !== null && item !== undefined) url.searchParams.append(name, String(item));
    }
  }

  const headers = headerValues(input, runner['headers']);
  setHeader(headers, 'User-Agent', userAgent);
  setHeader(headers, 'X-Stanley-Action', input.action.name);
  if (headerNamed(headers, 'accept') === undefined) headers['Accept'] = '*/*';
  if (headerNamed(headers, 'accept-encoding') === undefined) headers['Accept-Encoding'] = 'gzip, deflate';

  const cookies = runner['cookies'];
  if (cookies !== undefined && cookies !== null && typeof cookies === 'object') {
    const pairs = Object.entries(cookies as Record<string, unknown>).filter(([, value]) => value !== null && value !== undefined);
    if (pairs.length > 0) setHeader(headers, 'Cookie', pairs.map(([name, value]) => `${name}=${String(value)}`).join('; '));
  }

  const username = runner['username'];
  const password = runner['password'];
  const urlCredentials = credentialsOf(url);
  if ((typeof username === 'string' && username !== '') || (typeof password === 'string' && password !== '')) {
    setHeader(headers, 'Authorization', basicAuthorization(String(username ?? ''), String(password ?? '')));
  } else if (typeof action['auth'] === 'string' && action['auth'] !== '') {
    // StackStorm hands this string to requests as an auth object, which fails the execution.
    throw invalid(input, 'auth', 'is not used by the http-request runner: give username and password (basic authentication) or an Authorization header');
  } else if (urlCredentials !== undefined) {
    // With no other authentication, requests turns credentials in the URL (https://token:@host/)
    // into basic authentication, replacing an Authorization header; Exchange packs rely on it
    // (packagecloud.show_package).
    setHeader(headers, 'Authorization', basicAuthorization(urlCredentials.username, urlCredentials.password));
  }

  let body: Buffer | undefined;
  const fileName = action['file_name'];
  const fileContent = action['file_content'];
  if (typeof fileName === 'string' && fileName !== '' && typeof fileContent === 'string' && fileContent !== '') {
    const part = multipart(fileName, fileContent, typeof action['file_content_type'] === 'string' ? action['file_content_type'] : undefined);
    body = part.body;
    setHeader(headers, 'Content-Type', part.type);
  } else {
    body = bodyBytes(input, action['body'], headerNamed(headers, 'content-type') === 'application/json');
  }
  if (body !== undefined) setHeader(headers, 'Content-Length', String(body.length));

  const method = typeof action['method'] === 'string' && action['method'] !== '' ? action['method'].toUpperCase() : body !== undefined ? 'POST' : 'GET';
  const timeout = Number(action['timeout'] ?? 60);
  if (!Number.isFinite(timeout) || timeout <= 0) throw invalid(input, 'timeout', `must be a positive number of seconds, got ${JSON.stringify(action['timeout'])}`);

  const hostsBlacklist = stringList(runner['url_hosts_blacklist']);
  const hostsWhitelist = stringList(runner['url_hosts_whitelist']);
  if (hostsBlacklist.length > 0 && hostsWhitelist.length > 0) {
    throw invalid(input, 'url_hosts_blacklist', 'and "url_hosts_whitelist" are mutually exclusive: give only one');
  }
  const proxies: HttpRequestSpec['proxies'] = {};
  if (typeof runner['http_proxy'] === 'string' && runner['http_proxy'] !== '') proxies['http:'] = httpUrl(input, 'http_proxy', runner['http_proxy']);
  if (typeof runner['https_proxy'] === 'string' && runner['https_proxy'] !== '') proxies['https:'] = httpUrl(input, 'https_proxy', runner['https_proxy']);

  return {
    url,
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutSeconds: timeout,
    allowRedirects: runner['allow_redirects'] === true,
    verifyTls: runner['verify_ssl_cert'] !== false,
    proxies,
    hostsBlacklist,
    hostsWhitelist,
  };
}

