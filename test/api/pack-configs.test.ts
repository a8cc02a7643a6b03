import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from './harness.ts';

/**
 * st2's pack config routes: /configs (configs/<pack>.yaml as written, secrets masked) and
 * /config_schemas, and PUT checked against the pack's config.schema.yaml before anything is
 * written. A secret sent back as ******** keeps its stored value; the next execution of the pack
 * reads what was written. Real API (fastify inject), real store, real runner and Python child.
 */
let stack: ServiceStack;
let operatorKey: string;
const configFile = () => path.join(stack.home.paths.configs, 'configured.yaml');

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/api/fixtures/configured'] });
  operatorKey = (await createApiKey(stack.store, { user: 'ops', role: 'operator' })).key;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function run(action: string): Promise<St2Execution> {
  const id = (await stack.call('POST', '/api/v1/executions', { action })).json<St2Execution>().id;
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { withinMs: 60_000, what: `${action} to complete` });
  return record!;
}

describe("st2's pack config routes", () => {
  it("serves the pack's config schema as st2's ConfigSchema", async () => {
    const one = await stack.call('GET', '/api/v1/config_schemas/configured');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: 'configured', pack: 'configured', attributes: { api_url: { type: 'string', required: true }, token: { secret: true } } });
    expect((await stack.call('GET', '/api/v1/config_schemas')).json<Array<{ pack: string }>>().map((schema) => schema.pack)).toContain('configured');
    expect((await stack.call('GET', '/api/v1/config_schemas/core')).statusCode).toBe(404);
    expect((await stack.call('GET', '/api/v1/configs/configured')).json()).toMatchObject({ code: 'PACK_CONFIG_NOT_FOUND' });
  });

  it('refuses a config the schema refuses, naming the attribute, and writes nothing', async () => {
    const missing = await stack.call('PUT', '/api/v1/configs/configured', { token: 't' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'PACK_CONFIG_INVALID', details: { pack: 'configured', attribute: 'api_url', field: 'body.api_url' } });
    expect(missing.json<{ message: string }>().message).toContain('the config of pack "configured" attribute "api_url": is required');
    const wrongType = await stack.call('PUT', '/api/v1/configs/configured', { api_url: 'https://svc.example', retries: 'many' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({ details: { attribute: 'retries' } });
    await expect(stat(configFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes a config the next execution reads, shows its secrets masked, and keeps a secret sent back masked', async () => {
    const written = await stack.call('PUT', '/api/v1/configs/configured', { api_url: 'https://svc.example', token: 'tok-SECRET-1', auth: { user: 'bot', password: 'pw-SECRET-2' } });
    expect(written.statusCode).toBe(200);
    expect(written.json()).toEqual({ id: 'configured', pack: 'configured', values: { api_url: 'https://svc.example', token: '********', auth: { user: 'bot', password: '********' } } });
    expect((await stat(configFile())).mode & 0o777).toBe(0o600);
    const shown = await stack.call('GET', '/api/v1/configs/configured');
    expect(JSON.stringify(shown.json())).not.toContain('SECRET');
    expect((await stack.call('GET', '/api/v1/configs/configured?show_secrets=true')).json()).toMatchObject({ values: { token: 'tok-SECRET-1', auth: { password: 'pw-SECRET-2' } } });

    const first = await run('configured.show_config');
    expect(first.status).toBe('succeeded');
    expect(first.result?.['result']).toEqual({ api_url: 'https://svc.example', retries: 3, token_length: 'tok-SECRET-1'.length });

    // A form shows the masked config and saves it with one change: the secrets stay as stored.
    const edited = { ...shown.json<{ values: Record<string, unknown> }>().values, api_url: 'https://other.example', retries: 5 };
    expect((await stack.call('PUT', '/api/v1/configs/configured', edited)).statusCode).toBe(200);
    const file = await readFile(configFile(), 'utf8');
    expect(file).toContain('tok-SECRET-1');
    expect(file).toContain('pw-SECRET-2');
    expect(file).not.toContain('********');
    const second = await run('configured.show_config');
    expect(second.result?.['result']).toEqual({ api_url: 'https://other.example', retries: 5, token_length: 'tok-SECRET-1'.length });
    expect((await stack.call('GET', '/api/v1/configs')).json<Array<{ pack: string }>>().map((config) => config.pack)).toEqual(['configured']);
  });

  it("gives an operator the config with secrets masked even when it asks for them, and refuses its write", async () => {
    const asOperator = (method: string, url: string, body?: unknown) => stack.call(method, url, body, { 'x-api-key': operatorKey });
    const shown = await asOperator('GET', '/api/v1/configs/configured?show_secrets=True');
    expect(shown.statusCode).toBe(200);
    expect(JSON.stringify(shown.json())).not.toContain('SECRET');
    const refused = await asOperator('PUT', '/api/v1/configs/configured', { api_url: 'https://evil.example', token: 'mine' });
    expect(refused.statusCode).toBe(403);
    expect(await readFile(configFile(), 'utf8')).not.toContain('evil.example');
  });
});
