import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus, createLogger, loadConfig, openEmbeddedStore, openKeyValues, type Store } from '@packrun/core';
import { startApiService, type ApiService } from '@packrun/api';

/**
 * The web UI's static files and the API's CORS, attacked over a real socket (raw request lines,
 * so no client normalizes the paths first): traversal out of the UI's folder in every spelling,
 * preflights from origins the operator did not name, and the page's Content-Security-Policy.
 * The UI's folder is a fixture with a canary file beside it (outside it) that no path may reach.
 */
let scratch: string;
let store: Store;
let api: ApiService;
let url: URL;
const canary = `canary-outside-the-ui-${process.pid}-${Date.now()}`;
const allowedOrigin = 'https://ops.example.com';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function raw(method: string, requestPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path: requestPath, headers, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-web-static-'));
  const root = path.join(scratch, 'site', 'dist');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>ui</title><script type="module" src="/assets/app-abc123.js"></script>');
  await writeFile(path.join(root, 'assets', 'app-abc123.js'), 'console.log("app")');
  await writeFile(path.join(scratch, 'site', 'secret.txt'), canary);
  await writeFile(path.join(scratch, 'secret.txt'), canary);
  const env = { PACKRUN_HOME: path.join(scratch, 'home'), PACKRUN_API_PORT: '0', PACKRUN_API_CORS_ORIGINS: allowedOrigin };
  const config = loadConfig(env);
  const logger = createLogger({ level: 'silent' });
  store = await openEmbeddedStore({ dir: path.join(config.home, 'store'), logger });
  const bus = createInProcessBus({ logger });
  api = await startApiService({ config, store, bus, keyValues: openKeyValues(store, config), logger, listen: true, webUiRoot: root });
  url = new URL(api.url!);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await store?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('the web UI\'s static files', () => {
  it('serves the app at / and at its views with a Content-Security-Policy that forbids inline script', async () => {
    for (const view of ['/', '/executions', '/executions/abc123', '/actions/core.local', '/health', '/login']) {
      const answer = await raw('GET', view);
      expect(answer.status, view).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.body).toContain('<title>ui</title>');
      const policy = String(answer.headers['content-security-policy']);
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves hashed assets with their content type, cached for a year', async () => {
    const answer = await raw('GET', '/assets/app-abc123.js');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(answer.body).toBe('console.log("app")');
  });

  it('refuses every spelling of a path out of its folder, and never shows a file outside it', async () => {
    const attacks = [
      '/..%2f..%2fetc/passwd',
      '/..%2F..%2Fetc%2Fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/../../etc/passwd',
      '/./../secret.txt',
      '/..%2fsecret.txt',
      '/..%2f..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/../../secret.txt',
      '/.%2e/secret.txt',
      '/%2e%2e%5csecret.txt',
      '/..\\..\\secret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/%252e%252e%252fsecret.txt',
      '/%c0%ae%c0%ae/secret.txt',
      '/index.html%00.js',
      '/assets/app-abc123.js%00',
      '/executions/..%2f..%2fsecret.txt',
      '//etc/passwd',
      '/secret.txt',
      '/site/secret.txt',
    ];
    for (const attack of attacks) {
      const answer = await raw('GET', attack);
      expect([400, 404], `${attack}: ${answer.status} ${answer.body.slice(0, 120)}`).toContain(answer.status);
      expect(answer.body, attack).not.toContain(canary);
      expect(answer.body, attack).not.toContain('root:x:0:0');
      expect(answer.headers['content-type'], attack).toMatch(/^application\/json/);
    }
    // Dot segments are refused by name, before any file is looked at.
    expect(JSON.parse((await raw('GET', '/..%2f..%2fetc/passwd')).body)).toMatchObject({ code: 'WEB_PATH_INVALID' });
  });

  it('leaves the API\'s paths to the API: an unknown one is its JSON 404, never the page', async () => {
    for (const apiPath of ['/api/v1/nothing', '/v1/nothing', '/auth/nothing', '/stream/nothing', '/%61pi/v1/nothing', '/API/v1/nothing']) {
      const answer = await raw('GET', apiPath);
      expect(answer.status, apiPath).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    }
    // Only GET and HEAD reach the UI.
    expect((await raw('POST', '/executions')).status).toBe(404);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    raw('OPTIONS', '/api/v1/executions', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'st2-api-key, content-type' });

  it('refuses a preflight from an origin not in PACKRUN_API_CORS_ORIGINS, allowing it nothing', async () => {
    for (const origin of ['https://evil.example', 'https://ops.example.com.evil.example', 'http://ops.example.com', 'null', `${allowedOrigin}:8443`]) {
      const answer = await preflight(origin);
      expect(answer.status, origin).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'CORS_ORIGIN_REFUSED' });
      expect(answer.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(answer.headers['access-control-allow-headers'], origin).toBeUndefined();
    }
    // A plain request from such an origin gets no allowance either: its page cannot read the answer.
    const simple = await raw('GET', '/api/v1/health', { origin: 'https://evil.example' });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight from a named origin with exactly that origin, the credential headers and no cookies', async () => {
    const answer = await preflight(allowedOrigin);
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(allowedOrigin);
    expect(String(answer.headers['access-control-allow-headers'])).toMatch(/St2-Api-Key/i);
    expect(String(answer.headers['access-control-allow-headers'])).toMatch(/X-Auth-Token/i);
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(answer.headers['vary']).toContain('Origin');
    const simple = await raw('GET', '/api/v1/health', { origin: allowedOrigin });
    expect(simple.headers['access-control-allow-origin']).toBe(allowedOrigin);
    expect(String(simple.headers['access-control-expose-headers'])).toContain('X-Total-Count');
  });

  it('refuses origins given in a form that is not an origin', () => {
    for (const bad of ['*', 'https://ops.example.com/', 'https://ops.example.com/app', 'ops.example.com', 'ftp://ops.example.com', 'https://user:pw@ops.example.com']) {
      expect(() => loadConfig({ PACKRUN_API_CORS_ORIGINS: bad }), bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(loadConfig({ PACKRUN_API_CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).apiCorsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(loadConfig({}).apiCorsOrigins).toEqual([]);
  });
});
