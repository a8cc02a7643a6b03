import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeWithPackFolders, type ExchangeHome } from './exchange-home.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';

/**
 * stackstorm-packagecloud's show_package is an http-request action whose URL is an immutable
 * default naming https://packagecloud.io with the API token as its user. This machine cannot reach
 * packagecloud.io, so the run goes as an operator behind a proxy would send it: through a real
 * CONNECT proxy (https_proxy) that tunnels every connection to a real HTTPS server on this host
 * playing packagecloud's API. Its certificate is self-signed for packagecloud.io, which nothing
 * here can make trusted by Node's CA list, hence verify_ssl_cert: false.
 */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const received: Received[] = [];
const tunnels: string[] = [];
const openSockets = new Set<net.Socket>();
let api: https.Server;
let proxy: http.Server;
let proxyUrl: string;
let pack: ExchangeHome;

/** What packagecloud answers for one package (the fields of its package detail API). */
const packageDetail = { name: 'st2', distro_version: 'ubuntu/focal', version: '3.8.0', release: '1', filename: 'st2_3.8.0-1_amd64.deb' };

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function startApi(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-packagecloud-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=packagecloud.io', '-addext', 'subjectAltName=DNS:packagecloud.io',
  ], { stdio: 'ignore' });
  api = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': 'test-1' });
      response.end(JSON.stringify(packageDetail));
    });
  });
  return listen(api);
}

/** A forward proxy that records each CONNECT authority and tunnels it to the API server. */
async function startProxy(apiPort: number): Promise<number> {
  proxy = http.createServer((_request, response) => {
    response.writeHead(405);
    response.end();
  });
  proxy.on('connect', (request: IncomingMessage, client: net.Socket) => {
    tunnels.push(request.url ?? '');
    openSockets.add(client);
    client.on('close', () => openSockets.delete(client));
    const upstream = net.connect(apiPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  return listen(proxy);
}

beforeAll(async () => {
  const proxyPort = await startProxy(await startApi());
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  // Only the proxy is on this host as far as Packrun knows; the API server is the proxy's business.
  pack = await homeWithPackFolders([path.join(repoRoot, 'test/fixtures/exchange/packagecloud')], { PACKRUN_HTTP_ALLOW: `127.0.0.1:${proxyPort}` });
}, 180_000);

afterAll(async () => {
  for (const socket of openSockets) socket.destroy();
  proxy?.closeAllConnections();
  api?.closeAllConnections();
  await Promise.all([new Promise((resolve) => proxy?.close(resolve)), new Promise((resolve) => api?.close(resolve))]);
});

const deb = {
  repo: 'StackStorm/stable', distro: 'ubuntu', distro_version: 'focal', arch: 'amd64',
  package: 'st2', package_type: 'deb', package_version: '3.8.0', package_revision: '1',
  api_token: 'tok3n', verify_ssl_cert: false,
};

describe('packagecloud (StackStorm-Exchange/stackstorm-packagecloud, unmodified)', () => {
  it('show_package sends the GET its URL template builds, the token as basic authentication, and answers st2\'s result', async () => {
    const outcome = await pack.run('packagecloud.show_package', { ...deb, https_proxy: proxyUrl });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    expect(outcome.result).toEqual({
      status_code: 200,
      body: packageDetail,
      parsed: true,
      headers: expect.objectContaining({ 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': 'test-1' }),
    });
    expect(Object.keys(outcome.result)).toEqual(['status_code', 'body', 'parsed', 'headers']);

    expect(tunnels.at(-1)).toBe('packagecloud.io:443');
    const request = received.at(-1)!;
    expect(request.method).toBe('GET');
    // deb: the version and the revision joined by "-" (the template's {% if distro == "el" %}).
    expect(request.url).toBe('/api/v1/repos/StackStorm/stable/package/deb/ubuntu/focal/st2/amd64/3.8.0-1.json');
    expect(request.body).toBe('');
    expect(request.headers).toMatchObject({
      host: 'packagecloud.io',
      // requests makes `https://tok3n:@packagecloud.io/...` basic authentication with an empty password.
      authorization: `Basic ${Buffer.from('tok3n:').toString('base64')}`,
      'user-agent': 'st2/v3.9.0 (Packrun)',
      'x-stanley-action': 'show_package',
      accept: '*/*',
    });
    expect(request.headers['content-length']).toBeUndefined();
    // The runner closes the tunnel once the answer is read.
    await retryUntil(() => openSockets.size === 0, { what: 'the tunnel to close', withinMs: 5000 });
  });

  it('show_package for an el package joins version and revision with "/"', async () => {
    const outcome = await pack.run('packagecloud.show_package', { ...deb, distro: 'el', distro_version: '8', arch: 'x86_64', package_type: 'rpm', https_proxy: proxyUrl });
    expect(outcome.status).toBe('succeeded');
    expect(received.at(-1)!.url).toBe('/api/v1/repos/StackStorm/stable/package/rpm/el/8/st2/x86_64/3.8.0/1.json');
  });

  it('show_package refuses a distro its enum does not list, before any request', async () => {
    const before = received.length;
    await expect(pack.run('packagecloud.show_package', { ...deb, distro: 'arch', https_proxy: proxyUrl }))
      .rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'distro' } });
    expect(received.length).toBe(before);
  });
});
