import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@packrun/core';
import { runAction, type RunActionOptions } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, type PackrunHome } from './fixtures.ts';
import { startHttpServer, startHttpsServer, startProxy, type SeenRequest, type TestServer } from './http-servers.ts';

/**
 * core.http (the http-request runner) against real servers on this host's loopback, which the
 * runner may reach only because PACKRUN_HTTP_ALLOW names each of their ports.
 */
let home: PackrunHome;
let plain: TestServer;
let tls: TestServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;

beforeAll(async () => {
  [plain, tls, proxy] = await Promise.all([startHttpServer(), startHttpsServer(), startProxy()]);
  const allow = [plain, tls, proxy].map((server) => `127.0.0.1:${server.port}`).join(',');
  home = await homeWithPacks(['core'], { PACKRUN_HTTP_ALLOW: allow, PACKRUN_OUTPUT_CAP: '4096' });
});

afterAll(async () => {
  await Promise.all([plain?.close(), tls?.close(), proxy?.close()]);
});

function http(input: Record<string, unknown>, extra: Partial<RunActionOptions> = {}) {
  return runAction({ paths: home.paths, config: home.config, ref: 'core.http', input, datastore: new LocalFileKeyValues(home.paths), ...extra });
}

function echoed(result: Record<string, unknown>): SeenRequest {
  return result['body'] as SeenRequest;
}

describe('http-request: request', () => {
  it('sends a GET with the query params, headers and cookies given, and answers st2\'s result with the body parsed', async () => {
    const outcome = await http({
      url: `${plain.url}/echo?fixed=1`,
      params: { q: 'a b', many: [1, 2] },
      headers: { 'X-Custom': 'yes', 'User-Agent': 'mine' },
      cookies: { session: 'abc', theme: 'dark' },
    });
    expect(outcome.status).toBe('succeeded');
    expect(Object.keys(outcome.result)).toEqual(['status_code', 'body', 'parsed', 'headers']);
    expect(outcome.result).toMatchObject({ status_code: 200, parsed: true });
    // Header names as the server wrote them, as requests shows them.
    expect(outcome.result['headers']).toMatchObject({ 'Content-Type': 'application/json', 'X-Mixed-Case': 'kept' });
    const seen = echoed(outcome.result);
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/echo?fixed=1&q=a+b&many=1&many=2');
    // StackStorm's runner names itself and the action, whatever the caller set.
    expect(seen.headers).toMatchObject({ 'x-custom': 'yes', 'user-agent': 'st2/v3.9.0 (Packrun)', 'x-stanley-action': 'http', cookie: 'session=abc; theme=dark' });
  });

  it('posts a body: with Content-Type application/json it is parsed and sent as compact JSON, otherwise as is', async () => {
    const json = await http({ url: `${plain.url}/echo`, method: 'POST', body: '{ "a": [1, 2], "b": "c" }', headers: { 'Content-Type': 'application/json' } });
    expect(echoed(json.result)).toMatchObject({ method: 'POST', body: '{"a":[1,2],"b":"c"}', headers: { 'content-length': '19' } });
    // No method given: POST, because there is a body.
    const text = await http({ url: `${plain.url}/echo`, body: 'plain words, é' });
    expect(echoed(text.result)).toMatchObject({ method: 'POST', body: 'plain words, é', headers: { 'content-length': String(Buffer.byteLength('plain words, é')) } });
    await expect(http({ url: `${plain.url}/echo`, body: '{not json', headers: { 'Content-Type': 'application/json' } })).rejects.toMatchObject({
      code: 'PARAMETER_INVALID',
      details: { parameter: 'body' },
    });
  });

  it('uploads file_name and file_content as multipart/form-data', async () => {
    const outcome = await http({ url: `${plain.url}/echo`, file_name: 'notes.txt', file_content: 'line one', file_content_type: 'text/plain' });
    const seen = echoed(outcome.result);
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body).toContain('Content-Disposition: form-data; name="notes.txt"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nline one\r\n');
  });

  it('sends username and password as basic authentication, and refuses the auth parameter st2 cannot use either', async () => {
    const outcome = await http({ url: `${plain.url}/echo`, username: 'ann', password: 's3cret' });
    expect(echoed(outcome.result).headers['authorization']).toBe(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
    await expect(http({ url: `${plain.url}/echo`, auth: 'x-auth-token=XYZ' })).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'auth' } });
  });

  it('makes credentials in the URL basic authentication when no username or password is given, as requests does', async () => {
    const inUrl = await http({ url: `${plain.url.replace('//', '//t%40ken:@')}/echo`, headers: { Authorization: 'Bearer replaced' } });
    expect(echoed(inUrl.result).headers['authorization']).toBe(`Basic ${Buffer.from('t@ken:').toString('base64')}`);
    const given = await http({ url: `${plain.url.replace('//', '//t%40ken:@')}/echo`, username: 'ann', password: 's3cret' });
    expect(echoed(given.result).headers['authorization']).toBe(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
  });

  it('refuses a URL that is not http or https, naming the parameter', async () => {
    await expect(http({ url: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'url' } });
    await expect(http({ url: 'not a url' })).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'url' } });
  });
});

describe('http-request: answers', () => {
  it('decides the status as st2 does: 200 to 206 succeeded, anything else failed with the answer kept', async () => {
    expect((await http({ url: `${plain.url}/echo?status=206` })).status).toBe('succeeded');
    const missing = await http({ url: `${plain.url}/nowhere` });
    expect(missing.status).toBe('failed');
    expect(missing.result).toMatchObject({ status_code: 404, body: 'no such route', parsed: false });
    expect((await http({ url: `${plain.url}/echo?status=207` })).status).toBe('failed');
  });

  it('decodes gzip, keeps a body that says JSON but is not as text, and decodes text as requests does', async () => {
    expect((await http({ url: `${plain.url}/gzip` })).result).toMatchObject({ body: { compressed: true }, parsed: true });
    expect((await http({ url: `${plain.url}/not-json` })).result).toMatchObject({ body: '{oops', parsed: false });
    // text/* without a charset is ISO-8859-1 to requests; a charset is honoured.
    expect((await http({ url: `${plain.url}/latin1` })).result['body']).toBe('café');
    expect((await http({ url: `${plain.url}/utf8` })).result['body']).toBe('café');
    expect((await http({ url: `${plain.url}/cookies` })).result['headers']).toMatchObject({ 'Set-Cookie': 'a=1, b=2' });
  });

  it('sends HEAD without reading a body', async () => {
    const outcome = await http({ url: `${plain.url}/echo`, method: 'HEAD' });
    expect(outcome.result).toMatchObject({ status_code: 200, body: '', parsed: false });
  });

  it('stops reading an answer larger than the output cap, failed with output_limit', async () => {
    const outcome = await http({ url: `${plain.url}/big/10000` });
    expect(outcome).toMatchObject({ status: 'failed', stopReason: 'output_limit', result: { error: expect.stringContaining('4096 bytes') } });
  });

  it('ends timeout when the server does not answer within the timeout parameter', async () => {
    const started = Date.now();
    const outcome = await http({ url: `${plain.url}/silent`, timeout: 1 });
    expect(outcome).toMatchObject({ status: 'timeout', stopReason: 'timeout', result: { error: expect.stringContaining('within 1 s') } });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('ends canceled when the execution is canceled while it waits', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const outcome = await http({ url: `${plain.url}/silent`, timeout: 30 }, { signal: controller.signal });
    expect(outcome).toMatchObject({ status: 'canceled', stopReason: 'canceled' });
  });
});

describe('http-request: redirects', () => {
  it('does not follow a redirect unless allow_redirects: the 3xx is the failed result', async () => {
    const outcome = await http({ url: `${plain.url}/redirect/302?to=/echo` });
    expect(outcome).toMatchObject({ status: 'failed', result: { status_code: 302, headers: { Location: '/echo' } } });
  });

  it('follows them with allow_redirects as requests does: 302 of a POST becomes a GET without body, 307 keeps both', async () => {
    const found = await http({ url: `${plain.url}/redirect/302?to=/echo`, method: 'POST', body: 'payload', allow_redirects: true });
    expect(found.status).toBe('succeeded');
    expect(echoed(found.result)).toMatchObject({ method: 'GET', body: '' });
    const temporary = await http({ url: `${plain.url}/redirect/307?to=/echo`, method: 'POST', body: 'payload', allow_redirects: true });
    expect(echoed(temporary.result)).toMatchObject({ method: 'POST', body: 'payload' });
  });

  it('keeps Authorization for the same host and drops it for another', async () => {
    const same = await http({ url: `${plain.url}/redirect/302?to=/echo`, username: 'ann', password: 'pw', allow_redirects: true });
    expect(echoed(same.result).headers['authorization']).toBeDefined();
    const elsewhere = await http({ url: `${plain.url}/redirect/302?to=${encodeURIComponent(`http://localhost:${plain.port}/echo`)}`, username: 'ann', password: 'pw', allow_redirects: true });
    expect(elsewhere.status).toBe('succeeded');
    expect(echoed(elsewhere.result).headers['authorization']).toBeUndefined();
  });

  it('gives up after 30 redirects', async () => {
    const outcome = await http({ url: `${plain.url}/loop`, allow_redirects: true });
    expect(outcome).toMatchObject({ status: 'failed', result: { error: 'Exceeded 30 redirects.' } });
  });
});

describe('http-request: TLS and proxies', () => {
  it('verifies the server certificate by default and skips it with verify_ssl_cert: false', async () => {
    const verified = await http({ url: `${tls.url}/echo` });
    expect(verified.status).toBe('failed');
    expect(String(verified.result['error'])).toMatch(/self[- ]signed/i);
    const unverified = await http({ url: `${tls.url}/echo`, verify_ssl_cert: false });
    expect(unverified).toMatchObject({ status: 'succeeded', result: { status_code: 200, parsed: true } });
  });

  it('goes through http_proxy for http URLs and a CONNECT tunnel of https_proxy for https ones', async () => {
    const viaProxy = await http({ url: `${plain.url}/echo`, http_proxy: proxy.url });
    expect(echoed(viaProxy.result).headers['x-via-proxy']).toBe('yes');
    expect(proxy.seen.at(-1)?.url).toBe(`${plain.url}/echo`);
    const tunneled = await http({ url: `${tls.url}/echo`, https_proxy: proxy.url, verify_ssl_cert: false });
    expect(tunneled.status).toBe('succeeded');
    expect(proxy.tunnels).toContain(`127.0.0.1:${tls.port}`);
    // The tunnel is closed once the answer is read, not left to the server's timeouts.
    await retryUntil(() => proxy.openTunnels() === 0, { what: 'the tunnel to close', withinMs: 5000 });
  });
});

describe('http-request: url_hosts_blacklist and url_hosts_whitelist', () => {
  it('fail the request to a listed host, or to one the whitelist leaves out, redirect targets included', async () => {
    expect(await http({ url: `${plain.url}/echo`, url_hosts_blacklist: ['127.0.0.1'] })).toMatchObject({ status: 'failed', result: { error: expect.stringContaining('is blacklisted') } });
    expect(await http({ url: `${plain.url}/echo`, url_hosts_whitelist: ['example.com'] })).toMatchObject({ status: 'failed', result: { error: expect.stringContaining('is not whitelisted') } });
    expect((await http({ url: `${plain.url}/echo`, url_hosts_whitelist: ['127.0.0.1'] })).status).toBe('succeeded');
    const redirected = await http({
      url: `${plain.url}/redirect/302?to=${encodeURIComponent(`http://localhost:${plain.port}/echo`)}`,
      url_hosts_blacklist: ['localhost'],
      allow_redirects: true,
    });
    expect(redirected).toMatchObject({ status: 'failed', result: { error: expect.stringContaining('is blacklisted') } });
    await expect(http({ url: `${plain.url}/echo`, url_hosts_blacklist: ['a'], url_hosts_whitelist: ['b'] })).rejects.toMatchObject({ code: 'PARAMETER_INVALID' });
  });
});

describe('http-request: print-command', () => {
  it('describes the request it would make, with the password masked, without making it', async () => {
    const config = loadConfig(home.env);
    const { prepareAction, describePlan } = await import('@packrun/action-runner');
    const before = plain.seen.length;
    const prepared = await prepareAction(
      { paths: home.paths, config, ref: 'core.http', input: { url: `${plain.url}/echo`, username: 'ann', password: 'hunter2' }, datastore: new LocalFileKeyValues(home.paths) },
      'describe1',
      `${home.paths.jobs}/describe1`,
    );
    const description = describePlan(prepared);
    expect(description).toMatchObject({ runner: 'http-request', request: { method: 'GET', url: `${plain.url}/echo`, headers: { Authorization: '********' } } });
    expect(JSON.stringify(description)).not.toContain('hunter2');
    expect(plain.seen.length).toBe(before);
  });
});
