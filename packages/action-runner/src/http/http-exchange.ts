import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import type { AllowedDestination } from '@packrun/core';
import { checkLiteral, checkProxiedTarget, guardedLookup } from './guarded-lookup.ts';

/** One request and its answer: no redirects followed here (http-request-runner.ts does that). */
export interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Longest wait for the connection and between two reads (requests' connect and read timeouts). */
  timeoutMs: number;
  verifyTls: boolean;
  /** The proxy for this URL's scheme (http_proxy / https_proxy). */
  proxy?: URL;
  /** Destinations on the runtime's own host the operator allows (PACKRUN_HTTP_ALLOW). */
  allowed: readonly AllowedDestination[];
  /** Bytes of the (decoded) answer body kept; past it the exchange fails with BodyTooLarge. */
  maxBodyBytes: number;
  signal: AbortSignal;
}

export interface ExchangeResponse {
  status: number;
  /** Header names as the server wrote them, repeated headers joined with ", " (as requests shows them). */
  headers: Record<string, string>;
  body: Buffer;
}

export class ExchangeTimeout extends Error {
  constructor(url: URL, timeoutMs: number) {
    super(`no answer from ${url.host} within ${timeoutMs / 1000} s`);
    this.name = 'ExchangeTimeout';
  }
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer body is larger than ${limit} bytes (PACKRUN_OUTPUT_CAP)`);
    this.name = 'BodyTooLarge';
  }
}

const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function portOf(url: URL): number {
  return url.port === '' ? (defaultPorts[url.protocol] ?? 80) : Number(url.port);
}

/** `[::1]` in a URL is `::1` to a socket. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/**
 * Where the socket goes and what it asks for: straight to the URL's host, to the proxy with the
 * whole URL as the path (plain HTTP through a proxy), or through a CONNECT tunnel made first
 * (HTTPS through a proxy). Every connection the runtime opens goes through the guarded lookup.
 */
async function requestOptions(request: ExchangeRequest): Promise<{ send: typeof http.request; options: RequestOptions; tunnel?: Socket }> {
  const { url, proxy, allowed } = request;
  const host = hostOf(url);
  const port = portOf(url);
  const secure = url.protocol === 'https:';
  const common = { method: request.method, agent: false as const, signal: request.signal };
  // SNI carries names only (RFC 6066); a certificate for an IP is still checked against it.
  const tlsOptions = { rejectUnauthorized: request.verifyTls, ...(net.isIP(host) === 0 ? { servername: host } : {}) };
  if (proxy === undefined) {
    checkLiteral(host, port, allowed);
    return {
      send: secure ? https.request : http.request,
      options: { ...common, ...(secure ? tlsOptions : {}), host, port, path: `${url.pathname}${url.search}`, headers: request.headers, lookup: guardedLookup(port, allowed) },
    };
  }
  await checkProxiedTarget(host, port, allowed);
  const proxyHost = hostOf(proxy);
  const proxyPort = portOf(proxy);
  checkLiteral(proxyHost, proxyPort, allowed);
  const viaProxy = { host: proxyHost, port: proxyPort, lookup: guardedLookup(proxyPort, allowed) };
  const proxySend = proxy.protocol === 'https:' ? https.request : http.request;
  if (!secure) {
    return { send: proxySend, options: { ...common, ...viaProxy, path: url.href, headers: { ...request.headers, ...proxyAuthorization(proxy) } } };
  }
  const tunnel = await openTunnel(request, proxySend, viaProxy, `${url.hostname}:${port}`);
  // No agent here: Node hands a request with an agent (even `agent: false`, a fresh one) to the
  // agent's own connect, which would ignore createConnection and dial the target directly.
  const { agent: _directAgent, ...throughTunnel } = common;
  return {
    send: https.request,
    options: {
      ...throughTunnel,
      // What an agent would say: the Host header leaves out the scheme's default port, as requests does.
      defaultPort: 443,
      ...tlsOptions,
      host,
      port,
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      createConnection: () => tls.connect({ socket: tunnel, ...tlsOptions }),
    },
    tunnel,
  };
}

/** A CONNECT tunnel through the proxy to `authority` (host:port). */
function openTunnel(request: ExchangeRequest, send: typeof http.request, viaProxy: RequestOptions, authority: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const connect = send({
      ...viaProxy,
      method: 'CONNECT',
      path: authority,
      agent: false,
      signal: request.signal,
      headers: { Host: authority, ...proxyAuthorization(request.proxy!) },
    });
    connect.setTimeout(request.timeoutMs, () => connect.destroy(new ExchangeTimeout(request.proxy!, request.timeoutMs)));
    connect.once('connect', (answer: IncomingMessage, socket: Socket) => {
      connect.setTimeout(0);
      if (answer.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`the proxy ${request.proxy!.host} refused the tunnel to ${authority}: HTTP ${answer.statusCode}`));
        return;
      }
      resolve(socket);
    });
    connect.once('error', reject);
    connect.end();
  });
}

/** requests shows headers as a dict of the names the server wrote, repeated ones joined. */
function headerRecord(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const nameOf = new Map<string, string>();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!;
    const value = raw[index + 1]!;
    const first = nameOf.get(name.toLowerCase());
    if (first === undefined) {
      nameOf.set(name.toLowerCase(), name);
      headers[name] = value;
    } else {
      headers[first] = `${headers[first]}, ${value}`;
    }
  }
  return headers;
}

/** The decoder for Content-Encoding (what requests undoes for the caller); the cap counts decoded bytes. */
function decoded(answer: IncomingMessage): NodeJS.ReadableStream {
  const encoding = String(answer.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return answer.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return answer.pipe(zlib.createInflate());
  if (encoding === 'br') return answer.pipe(zlib.createBrotliDecompress());
  return answer;
}

function readBody(request: ClientRequest, answer: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = decoded(answer);
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.destroy(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    request.once('error', reject);
  });
}

/** Sends one request and reads its whole answer (within the timeout between reads and the size cap). */
export async function exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
  const { send, options, tunnel } = await requestOptions(request);
  try {
    return await sendAndRead(request, send, options);
  } finally {
    // Closing the TLS socket over a tunnel leaves the tunnel's own socket open.
    tunnel?.destroy();
  }
}

function sendAndRead(request: ExchangeRequest, send: typeof http.request, options: RequestOptions): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = send(options);
    outgoing.setTimeout(request.timeoutMs, () => outgoing.destroy(new ExchangeTimeout(request.url, request.timeoutMs)));
    outgoing.once('error', reject);
    outgoing.once('response', (answer: IncomingMessage) => {
      if (request.method === 'HEAD') answer.resume();
      const body = request.method === 'HEAD' ? Promise.resolve(Buffer.alloc(0)) : readBody(outgoing, answer, request.maxBodyBytes);
      body.then(
        (bytes) => resolve({ status: answer.statusCode ?? 0, headers: headerRecord(answer.rawHeaders), body: bytes }),
        reject,
      );
    });
    outgoing.end(request.body);
  });
}
