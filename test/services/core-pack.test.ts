import { mkdtemp, rm } from 'node:fs/promises';
import type { St2Execution } from '@packrun/core';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '@packrun/core';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { realPython } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * StackStorm's core actions on a fresh data folder: `packrun up` installs the core pack itself,
 * and its actions answer as StackStorm's do, through the API and through `packrun run` alone.
 */
let scratch: string;
let server: PackrunProcess;
let env: Record<string, string>;
let api: Awaited<ReturnType<typeof apiAt>>;
let web: Server;
let webUrl: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-core-pack-'));
  web = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ method: request.method, path: request.url }));
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const webPort = (web.address() as AddressInfo).port;
  webUrl = `http://127.0.0.1:${webPort}`;
  const port = await freePort();
  env = {
    PACKRUN_HOME: path.join(scratch, 'home'),
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_HTTP_ALLOW: `127.0.0.1:${webPort}`,
    PACKRUN_KILL_GRACE: '1',
  };
  server = startPackrun(['up'], env);
  await server.waitForOutput(/packrun is up/, 120_000);
  api = await apiAt(env['PACKRUN_API_URL']!, env['PACKRUN_HOME']!);
}, 180_000);

afterAll(async () => {
  server?.signal('SIGTERM');
  await server?.exited;
  web?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function run(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
  const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  let record: St2Execution | undefined;
  await retryUntil(async () => {
    record = (await api.call<St2Execution>('GET', `/api/v1/executions/${created.body.id}`)).body;
    return ['succeeded', 'failed', 'timeout'].includes(record.status);
  }, { what: `${action} to end`, withinMs: 60_000 });
  return record!;
}

const uuidShape = (version: number) => new RegExp(`^[0-9a-f]{8}-[0-9a-f]{4}-${version}[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`);

describe('packrun up on a fresh data folder', () => {
  it("installs Packrun's core pack, every StackStorm core action registered, those whose runner is missing marked", async () => {
    expect(server.output()).toContain('built-in pack core 3.9.0 installed');
    expect((await api.call('GET', '/api/v1/packs/core')).body).toMatchObject({ ref: 'core', version: '3.9.0' });
    const actions = (await api.call<ActionRecord[]>('GET', '/api/v1/actions?pack=core')).body;
    expect(actions.map((action) => action.name)).toEqual([
      'announcement', 'ask', 'echo', 'error', 'http', 'inject_trigger', 'local', 'local_sudo', 'noop', 'pause', 'remote', 'remote_sudo', 'sendmail', 'uuid', 'winrm_cmd', 'winrm_ps_cmd',
    ]);
    const missing = Object.fromEntries(actions.filter((action) => action.unavailable).map((action) => [action.name, action.unavailable!.runner]));
    expect(missing).toEqual({ winrm_cmd: 'winrm-cmd', winrm_ps_cmd: 'winrm-ps-cmd' });
  });

  it("runs core's actions with StackStorm's results", async () => {
    expect(await run('core.local', { cmd: 'echo local' })).toMatchObject({ status: 'succeeded', result: { succeeded: true, failed: false, return_code: 0, stdout: 'local', stderr: '' } });
    expect(await run('core.echo', { message: 'say "$(id)"' })).toMatchObject({ status: 'succeeded', result: { stdout: 'say "$(id)"' } });
    expect(await run('core.error', { message: 'to stderr' })).toMatchObject({ status: 'succeeded', result: { stdout: '', stderr: 'to stderr' } });
    expect(await run('core.noop', {})).toMatchObject({ status: 'succeeded', result: { failed: false, succeeded: true, return_code: 0 } });
    const uuid4 = await run('core.uuid', {});
    expect(uuid4.result).toMatchObject({ result: expect.stringMatching(uuidShape(4)), exit_code: 0 });
    expect((await run('core.uuid', { uuid_type: 'uuid1' })).result?.['result']).toMatch(uuidShape(1));
    expect(await run('core.pause', { max_pause: 1 })).toMatchObject({ status: 'succeeded', result: { result: 1 } });
    expect(await run('core.http', { url: `${webUrl}/hello`, method: 'PUT' })).toMatchObject({
      status: 'succeeded',
      result: { status_code: 200, parsed: true, body: { method: 'PUT', path: '/hello' } },
    });
    const mail = await run('core.sendmail', { to: 'ann@example.com', subject: 'Déploiement', body: 'done', sendmail_binary: 'cat' });
    expect(mail.status).toBe('succeeded');
    expect(String(mail.result?.['stdout'])).toContain('To: ann@example.com\nFrom: stanley@');
    expect(String(mail.result?.['stdout'])).toContain(`Subject: =?UTF-8?B?${Buffer.from('Déploiement').toString('base64')}?=`);
    expect(String(mail.result?.['stdout'])).toMatch(/Successfully sent mail to ann@example.com$/);
  });

  it('says why an action cannot run: sudo refused, a runner missing, no sendmail program', async () => {
    expect(await run('core.local_sudo', { cmd: 'id' })).toMatchObject({ status: 'failed', error: { type: 'ACTION_SUDO_UNSUPPORTED' } });
    const winrm = await api.call('POST', '/api/v1/executions', { action: 'core.winrm_cmd', parameters: { cmd: 'dir' } });
    expect(winrm.status).toBe(409);
    expect(winrm.body).toMatchObject({ code: 'ACTION_RUNNER_MISSING', details: { runner: 'winrm-cmd' } });
    const mail = await run('core.sendmail', { to: 'ann@example.com', subject: 's', body: 'b', sendmail_binary: '/nonexistent/sendmail' });
    expect(mail).toMatchObject({ status: 'failed', result: { return_code: 2 } });
  });

  it('asks with core.ask: packrun run stops at pending, packrun inquiry lists it and takes the response', async () => {
    const asked = await runPackrunCli(['run', 'core.ask', '--params-json', JSON.stringify({ schema: { type: 'object', properties: { approved: { type: 'boolean', required: true } } }, ttl: 5 })], env);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('status: pending');
    const id = /^id: (\S+)$/m.exec(asked.stdout)?.[1];
    expect(asked.stdout).toContain(`packrun inquiry respond ${id}`);
    const listed = await runPackrunCli(['inquiry', 'list'], env);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+5 min\\s+anyone who may respond$`, 'm'));
    const wrong = await runPackrunCli(['inquiry', 'respond', id!, '-r', '{"approved": "yes"}'], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('INQUIRY_RESPONSE_INVALID');
    const answered = await runPackrunCli(['inquiry', 'respond', id!, '-r', '{"approved": true}'], env);
    expect(answered.code, answered.stderr).toBe(0);
    const shown = await runPackrunCli(['execution', 'get', id!, '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'succeeded', result: { response: { approved: true } } });
  });

  it('streams an announcement as st2.announcement__<route>, and fires a trigger the rules engine records', async () => {
    const stream = await fetch(`${env['PACKRUN_API_URL']}/api/v1/stream`, { headers: { 'x-api-key': api.key } });
    const reader = stream.body!.getReader();
    let text = '';
    const heard = (async () => {
      while (!text.includes('event: st2.announcement__general')) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    expect(await run('core.announcement', { message: { note: 'hello stream' } })).toMatchObject({
      status: 'succeeded',
      result: { output: { message: { note: 'hello stream' } }, message: { note: 'hello stream' } },
    });
    await Promise.race([heard, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await reader.cancel();
    expect(text).toContain('event: st2.announcement__general\ndata: {"message":{"note":"hello stream"}}');
    // The route names the event: a route that would write its own lines into the stream is refused.
    const forged = await run('core.announcement', { message: {}, route: 'general\nevent: execution-updates\ndata: {}' });
    expect(forged).toMatchObject({ status: 'failed', error: { type: 'PARAMETER_INVALID', details: { parameter: 'route' } } });

    const injected = await run('core.inject_trigger', { trigger_name: 'core.st2.webhook', payload: { headers: {}, body: { x: 1 } } });
    expect(injected.status).toBe('succeeded');
    const instance = (injected.result?.['result'] as { trigger_instance: string }).trigger_instance;
    await retryUntil(async () => (await api.call<{ status: string }>('GET', `/api/v1/triggerinstances/${instance}`)).body?.status === 'processed', { what: 'the trigger instance processed' });
  });

  it('keeps the built-in pack: removing it fails PACK_REF_RESERVED', async () => {
    const removal = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/uninstall', { packs: ['core'] });
    expect(removal.status).toBe(202);
    let done: St2Execution | undefined;
    await retryUntil(async () => {
      done = (await api.call<St2Execution>('GET', `/api/v1/executions/${removal.body.execution_id}`)).body;
      return done.status === 'failed' || done.status === 'succeeded';
    }, { what: 'the removal to end' });
    expect(done).toMatchObject({ status: 'failed', error: { type: 'PACK_REF_RESERVED' } });
    expect((await api.call('GET', '/api/v1/actions/core.local')).status).toBe(200);
  });
});

describe('packrun run without a server', () => {
  it("runs core's actions right away in a fresh data folder, installing core on the first run only", async () => {
    const local = { PACKRUN_HOME: path.join(scratch, 'local-home'), PACKRUN_PYTHON: realPython() };
    const first = await runPackrunCli(['run', 'core.local', 'cmd=echo first', '--json'], local);
    expect(first.stderr).toContain('built-in pack core 3.9.0 installed');
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', result: { stdout: 'first' } });
    const second = await runPackrunCli(['run', 'core.uuid', '--json'], local);
    expect(second.stderr).toBe('');
    expect(JSON.parse(second.stdout).result.result).toMatch(uuidShape(4));
    const announce = await runPackrunCli(['run', 'core.announcement'], local);
    expect(announce.code).not.toBe(0);
    expect(announce.stderr).toContain('ACTION_NEEDS_SERVER');
    // Nothing could answer an inquiry without a server.
    const ask = await runPackrunCli(['run', 'core.ask'], local);
    expect(ask.code).not.toBe(0);
    expect(ask.stderr).toContain('ACTION_NEEDS_SERVER');
  });
});
