import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

/** What the echo routes saw of a request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * The routes the http-request tests call: every answer the runner has to handle, from a real
 * server on a real port. `/echo` answers what it received as JSON.
 */
async function route(request: IncomingMessage, response: ServerResponse, seen: SeenRequest[]): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://test');
  const body = await readBody(request);
  const record: SeenRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
  seen.push(record);
  const [, first, second] = url.pathname.split('/');
  switch (first) {
    case 'echo':
      response.writeHead(Number(url.searchParams.get('status') ?? 200), { 'Content-Type': 'application/json', 'X-Mixed-Case': 'kept' });
      response.end(JSON.stringify(record));
      return;
    case 'redirect':
      response.writeHead(Number(second), { Location: url.searchParams.get('to') ?? '/echo' });
      response.end();
      return;
    case 'loop':
      response.writeHead(302, { Location: '/loop' });
      response.end();
      return;
    case 'silent':
      // Never answers: the runner's timeout has to end it.
      return;
    case 'gzip':
      response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip' });
      response.end(zlib.gzipSync(JSON.stringify({ compressed: true })));
      return;
    case 'latin1':
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      return;
    case 'utf8':
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('café');
      return;
    case 'not-json':
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{oops');
      return;
    case 'big':
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('x'.repeat(Number(second)));
      return;
    case 'cookies':
      response.writeHead(200, { 'Set-Cookie': ['a=1', 'b=2'], 'Content-Type': 'text/plain' });
      response.end('two cookies');
      return;
    default:
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('no such route');
  }
}

export interface TestServer {
  server: Server;
  port: number;
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

async function listen(server: Server, url: (port: number) => string, seen: SeenRequest[]): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: url(port),
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function startHttpServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  return listen(http.createServer((request, response) => void route(request, response, seen)), (port) => `http://127.0.0.1:${port}`, seen);
}

/** An HTTPS server with a self-signed certificate for 127.0.0.1 made here with openssl. */
export function startHttpsServer(): Promise<TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const seen: SeenRequest[] = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => void route(request, response, seen));
  return listen(server, (port) => `https://127.0.0.1:${port}`, seen);
}

/** A forward proxy: plain requests by absolute URL, and CONNECT tunnels; it records what it was asked. */
export async function startProxy(): Promise<TestServer & { tunnels: string[]; openTunnels(): number }> {
  const seen: SeenRequest[] = [];
  const tunnels: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: '' });
    const target = new URL(request.url ?? '');
    const forwarded = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method, headers: { ...request.headers, 'x-via-proxy': 'yes' } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(forwarded);
  });
  const open = new Set<net.Socket>();
  server.on('connect', (request: IncomingMessage, client: net.Socket) => {
    tunnels.push(request.url ?? '');
    open.add(client);
    client.on('close', () => open.delete(client));
    const [host, port] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    // Either side hanging up ends the tunnel, as a proxy does; the client's side is the runner's.
    client.on('end', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listening = await listen(server, (port) => `http://127.0.0.1:${port}`, seen);
  return {
    ...listening,
    tunnels,
    openTunnels: () => open.size,
    close: async () => {
      // Tunnels leave the server's connection list once CONNECT is answered.
      for (const socket of open) socket.destroy();
      await listening.close();
    },
  };
}
