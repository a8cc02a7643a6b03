import dns from 'node:dns';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type St2Execution } from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { homeWithPacks, realPython } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * core.http is StackStorm's HTTP runner, and the runtime makes the request: as root, on the host's
 * network. An operator (who may run actions, not read the API's keys or the broker's management)
 * points it at the host itself: the Packrun API on its loopback port, a service bound to every
 * address, the cloud metadata address; by name, by odd spellings of 127.0.0.1, through a redirect
 * from an allowed server, through a proxy on the host. Every one is refused before a connection
 * is made (HTTP_DESTINATION_REFUSED); a destination the operator allowed is still reached.
 */
let scratch: string;
let server: PackrunProcess;
let apiPort: number;
let operator: (body: unknown) => Promise<St2Execution>;
/** Stands for the outside world: on loopback, but allowed by PACKRUN_HTTP_ALLOW (its port only). */
let allowed: Server;
/** A service of the host bound to every address, which nothing allows. */
let internal: Server;
const internalHits: string[] = [];
const attacks = { internalPort: 0, allowedPort: 0 };

function listen(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve) => server.listen(port, host, () => resolve((server.address() as AddressInfo).port)));
}

function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces()).flat().find((info) => info?.family === 'IPv4' && !info.internal)?.address;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-ssrf-'));
  internal = http.createServer((request, response) => {
    internalHits.push(request.url ?? '');
    response.end('internal secret');
  });
  const internalPort = await listen(internal, '0.0.0.0');
  allowed = http.createServer((request, response) => {
    const to = new URL(request.url ?? '/', 'http://x').searchParams.get('to');
    if (to) response.writeHead(302, { Location: to }).end();
    else response.end('outside world');
  });
  const allowedPort = await listen(allowed, '127.0.0.1');
  apiPort = await freePort();
  const env = {
    PACKRUN_HOME: path.join(scratch, 'home'),
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(apiPort),
    PACKRUN_API_URL: `http://127.0.0.1:${apiPort}`,
    PACKRUN_HTTP_ALLOW: `127.0.0.1:${allowedPort}`,
  };
  // A fresh home: packrun up installs core itself.
  server = startPackrun(['up'], env);
  await server.waitForOutput(/packrun is up/, 120_000);
  const admin = await apiAt(env.PACKRUN_API_URL, env.PACKRUN_HOME);
  const created = await admin.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'mallory', role: 'operator' });
  const key = created.body.key;
  operator = async (body) => {
    const response = await admin.call<St2Execution>('POST', '/api/v1/executions', body, { 'x-api-key': key });
    expect(response.status).toBe(201);
    let done: St2Execution | undefined;
    await retryUntil(async () => {
      done = (await admin.call<St2Execution>('GET', `/api/v1/executions/${response.body.id}`)).body;
      return ['succeeded', 'failed', 'timeout'].includes(done.status);
    }, { what: 'the execution to end', withinMs: 60_000 });
    return done!;
  };
  attacks.internalPort = internalPort;
  attacks.allowedPort = allowedPort;
}, 180_000);

afterAll(async () => {
  server?.signal('SIGKILL');
  internal?.close();
  allowed?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('core.http against the runtime\'s own host', () => {
  it.each([
    ['the API on 127.0.0.1', () => `http://127.0.0.1:${apiPort}/api/v1/apikeys`],
    ['the API by the name localhost', () => `http://localhost:${apiPort}/api/v1/apikeys`],
    ['the API as an IPv4-mapped IPv6 address', () => `http://[::ffff:127.0.0.1]:${apiPort}/api/v1/apikeys`],
    ['the API as a decimal address', () => `http://2130706433:${apiPort}/api/v1/apikeys`],
    ['the API as 0.0.0.0', () => `http://0.0.0.0:${apiPort}/api/v1/apikeys`],
    ['the API over IPv6 loopback', () => `http://[::1]:${apiPort}/api/v1/apikeys`],
    ['a host service on the host\'s own LAN address', () => `http://${lanAddress() ?? '127.0.0.1'}:${attacks.internalPort}/`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s', async (_label, url) => {
    const done = await operator({ action: 'core.http', parameters: { url: url(), timeout: 5 } });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ type: 'HTTP_DESTINATION_REFUSED' });
    expect(done.result?.['status_code']).toBeUndefined();
    expect(internalHits).toEqual([]);
  });

  it('refuses the API as the target of a redirect from an allowed server', async () => {
    const url = `http://127.0.0.1:${attacks.allowedPort}/?to=${encodeURIComponent(`http://127.0.0.1:${apiPort}/api/v1/apikeys`)}`;
    const done = await operator({ action: 'core.http', parameters: { url, allow_redirects: true } });
    expect(done).toMatchObject({ status: 'failed', error: { type: 'HTTP_DESTINATION_REFUSED' } });
  });

  it('refuses a proxy on the host, whatever the URL', async () => {
    const done = await operator({ action: 'core.http', parameters: { url: 'http://example.invalid/', http_proxy: `http://127.0.0.1:${apiPort}` } });
    expect(done).toMatchObject({ status: 'failed', error: { type: 'HTTP_DESTINATION_REFUSED' } });
  });

  it('refuses a URL naming the host through an allowed proxy: a proxy on the host would reach it for the caller', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const done = await operator({ action: 'core.http', parameters: { url: `http://${host}:${apiPort}/api/v1/apikeys`, http_proxy: `http://127.0.0.1:${attacks.allowedPort}` } });
      expect(done, host).toMatchObject({ status: 'failed', error: { type: 'HTTP_DESTINATION_REFUSED' } });
    }
  });

  it('still reaches what the operator allowed', async () => {
    const done = await operator({ action: 'core.http', parameters: { url: `http://127.0.0.1:${attacks.allowedPort}/` } });
    expect(done).toMatchObject({ status: 'succeeded', result: { status_code: 200, body: 'outside world' } });
  });
});

describe('DNS rebinding', () => {
  it('connects to the very address it checked: a name resolving elsewhere the second time gains nothing', async (context) => {
    // Two servers on one port: "public" on 127.0.0.2 (allowed), "internal" on 127.0.0.1 (not).
    const publicServer = http.createServer((_request, response) => response.end('public'));
    const port = await listen(publicServer, '127.0.0.2').catch(() => undefined);
    if (port === undefined) {
      context.skip('127.0.0.2 cannot be bound on this host');
      return;
    }
    const internalServer = http.createServer((_request, response) => response.end('internal'));
    await listen(internalServer, '127.0.0.1', port);
    // A DNS server that answers differently each time cannot be put behind getaddrinfo here
    // without changing the machine's resolver, so the lookup itself is replaced: the first answer
    // is the allowed address, every later one the host's loopback.
    const real = dns.lookup;
    let calls = 0;
    const spy = vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, options: unknown, callback: unknown) => {
      if (hostname !== 'rebind.example') return (real as (...args: unknown[]) => void)(hostname, options, callback);
      calls += 1;
      const address = calls === 1 ? '127.0.0.2' : '127.0.0.1';
      (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address, family: 4 }]);
    }) as unknown as typeof dns.lookup);
    try {
      const home = await homeWithPacks(['core'], { PACKRUN_HTTP_ALLOW: `127.0.0.2:${port}` });
      const config = loadConfig(home.env);
      const outcome = await runAction({ paths: home.paths, config, ref: 'core.http', input: { url: `http://rebind.example:${port}/` }, datastore: new LocalFileKeyValues(home.paths) });
      expect(outcome.result).toMatchObject({ status_code: 200, body: 'public' });
      expect(calls).toBe(1);
      // A second request resolves again, gets the loopback, and is refused without connecting.
      await expect(runAction({ paths: home.paths, config, ref: 'core.http', input: { url: `http://rebind.example:${port}/` }, datastore: new LocalFileKeyValues(home.paths) }))
        .rejects.toMatchObject({ code: 'HTTP_DESTINATION_REFUSED' });
    } finally {
      spy.mockRestore();
      publicServer.close();
      internalServer.close();
    }
  });
});
