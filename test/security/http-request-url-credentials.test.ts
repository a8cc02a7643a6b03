import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@packrun/core';
import { describePlan, prepareAction, runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { startHttpServer, startProxy, type TestServer } from '../runner/http-servers.ts';

/**
 * An http-request action may carry its token in the URL (https://token:@host/, as
 * packagecloud.show_package does). The token is for the target's Authorization header only: it
 * must not travel in a proxy's request line (which the proxy logs) nor show in print-command.
 */
let home: PackrunHome;
let plain: TestServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;
const token = 'Tok3nSecret';

beforeAll(async () => {
  [plain, proxy] = await Promise.all([startHttpServer(), startProxy()]);
  home = await homeWithPacks(['core'], { PACKRUN_HTTP_ALLOW: [plain, proxy].map((server) => `127.0.0.1:${server.port}`).join(',') });
});

afterAll(async () => {
  await Promise.all([plain?.close(), proxy?.close()]);
});

const urlWithToken = () => `${plain.url.replace('//', `//${token}:@`)}/echo`;

describe('http-request: credentials written in the URL', () => {
  it('reach the target as Authorization, not the proxy\'s request line', async () => {
    const outcome = await runAction({ paths: home.paths, config: home.config, ref: 'core.http', input: { url: urlWithToken(), http_proxy: proxy.url }, datastore: new LocalFileKeyValues(home.paths) });
    expect(outcome.status).toBe('succeeded');
    const atProxy = proxy.seen.at(-1)!;
    expect(atProxy.url).toBe(`${plain.url}/echo`);
    expect(atProxy.url).not.toContain(token);
    expect(plain.seen.at(-1)!.headers['authorization']).toBe(`Basic ${Buffer.from(`${token}:`).toString('base64')}`);
  });

  it('are not shown by print-command', async () => {
    const prepared = await prepareAction(
      { paths: home.paths, config: loadConfig(home.env), ref: 'core.http', input: { url: urlWithToken() }, datastore: new LocalFileKeyValues(home.paths) },
      'describe-credentials',
      `${home.paths.jobs}/describe-credentials`,
    );
    const description = describePlan(prepared);
    expect(description).toMatchObject({ request: { url: `${plain.url}/echo`, headers: { Authorization: '********' } } });
    expect(JSON.stringify(description)).not.toContain(token);
  });
});
