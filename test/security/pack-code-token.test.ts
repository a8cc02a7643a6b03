import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiProbePackDir, packCodeApiFixture, resultOf, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';

/**
 * Issue 15, item 3, as an attacker holding pack code: the token Packrun gives a job for
 * StackStorm's API (ST2_ACTION_AUTH_TOKEN), and the one way out to the API that comes with it,
 * give exactly what StackStorm lets an action do. Pack `apiprobe` (listed in
 * PACKRUN_ACTION_API_PACKS) runs inside a real `packrun up` with every sandbox layer, its Python
 * actions forked from its warm zygote, and tries: its token after its execution ended, another
 * pack's system keys, API keys, packs, other executions, the host's other ports, another job's
 * token, and the server's log.
 */
type Call = { status: number; body: unknown };

let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
let hostService: net.Server | undefined;
let hostPort = 0;
const leaked: string[] = [];

beforeAll(async () => {
  const made = await packCodeApiFixture({ warm: true, packs: [apiProbePackDir] });
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  fixture = made.fixture;
  hostService = net.createServer((socket) => socket.end('host service\n'));
  hostPort = await new Promise<number>((resolve) => hostService!.listen(0, '127.0.0.1', () => resolve((hostService!.address() as net.AddressInfo).port)));
  // Another pack's private key (and a secret one), and one of apiprobe's own.
  for (const [name, value, secret] of [['victim.Secrets:password', 'victim-canary', true], ['victim.Notes:plain', 'victim-note', false], ['apiprobe.Own:note', 'own-note', false]] as const) {
    const set = await fixture.api.call('PUT', `/api/v1/keys/${encodeURIComponent(name)}`, { value, secret, scope: 'system' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }
}, 400_000);

afterAll(async () => {
  hostService?.close();
  await fixture?.close();
});

async function calls(list: Array<[string, string, unknown?]>): Promise<Call[]> {
  return resultOf<Call[]>(await fixture!.execute('apiprobe.probe', { case: 'calls', calls: list }));
}

async function leakToken(): Promise<string> {
  const { token } = resultOf<{ token: string }>(await fixture!.execute('apiprobe.probe', { case: 'leak' }));
  leaked.push(token);
  return token;
}

describe.runIf(process.getuid?.() === 0)('the token and way out StackStorm\'s API gives pack code', () => {
  it('is given to the pack\'s jobs as StackStorm names it, pointing at the job\'s own loopback', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const env = resultOf<{ variables: Record<string, boolean>; api_url: string; same_token: boolean }>(await fixture!.execute('apiprobe.probe', { case: 'env' }));
    expect(env.variables).toEqual({ ST2_ACTION_API_URL: true, ST2_ACTION_AUTH_TOKEN: true, ST2_API_URL: true, ST2_AUTH_TOKEN: true, ST2_AUTH_URL: true, ST2_STREAM_URL: true });
    expect(env.api_url).toBe(`http://127.0.0.1:${fixture!.apiPort}/v1`);
    expect(env.same_token).toBe(true);
  });

  it('keeps the API address and token the runtime gave, whatever a caller\'s env says', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const given = { ST2_ACTION_API_URL: 'http://attacker.invalid/v1', ST2_API_URL: 'http://attacker.invalid/v1', ST2_ACTION_AUTH_TOKEN: 'chosen', ST2_AUTH_TOKEN: 'chosen' };
    const env = resultOf<{ api_url: string; same_token: boolean; token_sha256: string }>(await fixture!.execute('apiprobe.probe', { case: 'env', env: given }));
    expect(env.api_url).toBe(`http://127.0.0.1:${fixture!.apiPort}/v1`);
    expect(env.same_token).toBe(true);
    expect(env.token_sha256).not.toBe(createHash('sha256').update('chosen').digest('hex'));
  });

  it('works while its execution runs and is refused once it ended', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const [actions] = await calls([['GET', '/v1/actions/apiprobe.probe']]);
    expect(actions?.status, JSON.stringify(actions)).toBe(200);
    const token = await leakToken();
    for (const route of ['/api/v1/actions/apiprobe.probe', '/v1/keys/apiprobe.Own:note']) {
      const after = await fixture!.api.call<{ code?: string }>('GET', route, undefined, { 'x-auth-token': token });
      expect(after.status, JSON.stringify(after.body)).toBe(401);
    }
  });

  it('validates (POST /auth/v1/tokens/validate) while its execution runs, and not after', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const id = await fixture!.start('apiprobe.probe', { case: 'stash', seconds: 4 });
    let token = '';
    await retryUntil(
      async () => {
        const stashed = await fixture!.api.call<{ value?: string }>('GET', `/api/v1/keys/${encodeURIComponent('apiprobe.Stash:token')}`);
        token = stashed.status === 200 ? (stashed.body.value ?? '') : '';
        return token !== '';
      },
      { what: 'the job to stash its token', withinMs: 60_000, everyMs: 50 },
    );
    leaked.push(token);
    const during = await fixture!.api.call<{ valid: boolean }>('POST', '/auth/v1/tokens/validate', { token });
    expect(during.body, JSON.stringify(during.body)).toEqual({ valid: true });
    expect(resultOf(await fixture!.waitFor(id))).toEqual({ stored: 200 });
    const after = await fixture!.api.call<{ valid: boolean }>('POST', '/auth/v1/tokens/validate', { token });
    expect(after.body).toEqual({ valid: false });
  });

  it('reaches its own pack\'s keys, never another pack\'s system keys, in clear or not', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const [own, ownList, foreign, foreignDecrypted, foreignPlain, foreignWrite, foreignDelete, listAll, listForeign] = await calls([
      ['GET', '/v1/keys/apiprobe.Own:note'],
      ['GET', '/v1/keys?prefix=apiprobe.Own:'],
      ['GET', '/v1/keys/victim.Secrets:password'],
      ['GET', '/v1/keys/victim.Secrets:password?decrypt=true'],
      ['GET', '/v1/keys/victim.Notes:plain'],
      ['PUT', '/v1/keys/victim.Notes:plain', { value: 'overwritten' }],
      ['DELETE', '/v1/keys/victim.Notes:plain'],
      ['GET', '/v1/keys?decrypt=true'],
      ['GET', '/v1/keys?prefix=victim.'],
    ]);
    expect(own?.status, JSON.stringify(own)).toBe(200);
    expect(JSON.stringify(own?.body)).toContain('own-note');
    expect(ownList?.status, JSON.stringify(ownList)).toBe(200);
    for (const refused of [foreign, foreignDecrypted, foreignPlain, foreignWrite, foreignDelete, listAll, listForeign]) {
      expect(refused?.status, JSON.stringify(refused)).toBe(403);
      expect(JSON.stringify(refused?.body)).not.toMatch(/victim-canary|victim-note/);
    }
    const still = await fixture!.api.call<{ value: string }>('GET', '/api/v1/keys/victim.Notes:plain');
    expect(still.body.value).toBe('victim-note');
  });

  it('creates no API key, installs and removes no pack, mints no token, touches no rule', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const results = await calls([
      ['POST', '/v1/apikeys', { user: 'attacker' }],
      ['GET', '/v1/apikeys'],
      ['POST', '/v1/packs/install', { packs: ['https://example.invalid/evil.git'] }],
      ['POST', '/v1/packs/uninstall', { packs: ['apiprobe'] }],
      ['POST', '/auth/v1/tokens', {}],
      ['GET', '/v1/rules'],
      ['POST', '/v1/rules', { name: 'evil', pack: 'apiprobe', trigger: { type: 'core.st2.webhook' }, action: { ref: 'apiprobe.probe' } }],
      ['GET', '/v1/executions'],
    ]);
    for (const result of results) expect([401, 403], JSON.stringify(result)).toContain(result.status);
    const keys = await fixture!.api.call<Array<{ user: string }>>('GET', '/api/v1/apikeys');
    expect(keys.body.map((key) => key.user)).not.toContain('attacker');
  });

  it('starts executions as its own user, linked to it, and reads those but no other execution', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    // The API shows an execution's user in its context, as st2 does: here the CLI key's user.
    const user = other.context['user'];
    expect(user).toEqual(expect.any(String));
    const hold = { action: 'apiprobe.probe', parameters: { case: 'hold', seconds: 0 } };
    const [started, asAnother] = await calls([
      ['POST', '/v1/executions', hold],
      ['POST', '/v1/executions', { ...hold, user: 'victim' }],
    ]);
    expect(started?.status, JSON.stringify(started)).toBe(201);
    const record = await fixture!.waitFor((started!.body as St2Execution).id);
    expect(record.context['user']).toBe(user);
    const starter = await fixture!.waitFor(String(record.context['started_by_execution']));
    expect(starter.context['user']).toBe(user);
    // Naming the user to run as is an admin's, which a pack-code token never is.
    expect(asAnother?.status, JSON.stringify(asAnother)).toBe(403);
    const spawned = resultOf<{ started: number; child: string; read_child: number; read_self: number }>(await fixture!.execute('apiprobe.probe', { case: 'spawn' }));
    expect(spawned).toMatchObject({ started: 201, read_child: 200, read_self: 200 });
    await fixture!.waitFor(spawned.child);
    // Another execution, even of its own pack and user: as if it did not exist.
    const [foreignRead] = await calls([['GET', `/v1/executions/${other.id}`]]);
    expect(foreignRead?.status, JSON.stringify(foreignRead)).toBe(404);
  });

  it('reaches the API\'s port on its loopback and no other port of the host', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const probe = resultOf<Record<string, string>>(await fixture!.execute('apiprobe.probe', { case: 'connect', ports: [fixture!.apiPort, hostPort, 5672] }));
    expect(probe[String(fixture!.apiPort)]).toBe('connected');
    expect(probe[String(hostPort)]).toMatch(/^ConnectionRefusedError/);
    expect(probe['5672']).toMatch(/^ConnectionRefusedError/);
  });

  it('is invisible to other jobs, of its pack\'s zygote or not', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const holder = await fixture!.start('apiprobe.probe', { case: 'hold', seconds: 15 });
    await retryUntil(async () => (await fixture!.api.call<St2Execution>('GET', `/api/v1/executions/${holder}`)).body.status === 'running', {
      what: 'the holder to run',
      withinMs: 60_000,
      everyMs: 50,
    });
    const scan = resultOf<{ found: string[] }>(await fixture!.execute('apiprobe.probe', { case: 'scan' }));
    expect(scan.found).toEqual([]);
    await fixture!.waitFor(holder);
  });

  it('never reaches the server\'s log', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const { token_sha256: sha } = resultOf<{ token_sha256: string }>(await fixture!.execute('apiprobe.probe', { case: 'env' }));
    await leakToken();
    const output = fixture!.server.output();
    expect(output.length).toBeGreaterThan(0);
    for (const token of leaked) expect(output).not.toContain(token);
    const hexes = output.match(/[0-9a-f]{64}/g) ?? [];
    expect(hexes.filter((hex) => createHash('sha256').update(hex).digest('hex') === sha)).toEqual([]);
  });
});
