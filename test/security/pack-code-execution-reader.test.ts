import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiProbePackDir, packCodeApiFixture, resultOf, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';

/**
 * The operator's grant PACKRUN_ACTION_API_EXECUTION_READERS (for packs such as the Exchange's
 * syslog_client, which read the execution a rule names), played by an attacker holding the code
 * of a granted pack: `apiprobe`, in both lists, inside a real `packrun up` with every sandbox
 * layer. Its token reads executions, and only those its execution's user could read through the
 * role of their enabled keys; it cancels, re-runs, pauses, purges nothing, reaches no other
 * resource, and dies with its execution. A pack in the list without the API gets nothing, and
 * the operator is told. Without the grant the same reads are refused
 * (pack-code-token.test.ts: another execution answers 404, the listing 403).
 */
type Call = { status: number; body: unknown };

let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;

beforeAll(async () => {
  const made = await packCodeApiFixture({ warm: true, packs: [apiProbePackDir], env: { PACKRUN_ACTION_API_EXECUTION_READERS: 'apiprobe,unlisted' } });
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  fixture = made.fixture;
  const set = await fixture.api.call('PUT', `/api/v1/keys/${encodeURIComponent('victim.Secrets:password')}`, { value: 'victim-canary', secret: true, scope: 'system' });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
}, 400_000);

afterAll(async () => {
  await fixture?.close();
});

/** The probe's calls, its execution run as `user` (the CLI key's, a system_admin, when none). */
async function callsAs(user: string | undefined, list: Array<[string, string, unknown?]>): Promise<Call[]> {
  const created = await fixture!.api.call<ExecutionRecord>('POST', '/api/v1/executions', {
    action: 'apiprobe.probe',
    parameters: { case: 'calls', calls: list },
    ...(user === undefined ? {} : { user }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const record = await fixture!.waitFor(created.body.id);
  // The API answers st2's execution, its user under context.
  if (user !== undefined) expect(record.context['user']).toBe(user);
  return resultOf<Call[]>(record);
}

async function createKey(user: string, role: string): Promise<string> {
  const created = await fixture!.api.call<{ id: string }>('POST', '/api/v1/apikeys', { user, role });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

describe.runIf(process.getuid?.() === 0)('a pack the operator made an execution reader', () => {
  it('reads and lists an execution it did not start, its result and output', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    const [one, result, output, list] = await callsAs(undefined, [
      ['GET', `/v1/executions/${other.id}`],
      ['GET', `/v1/executions/${other.id}/result`],
      ['GET', `/v1/executions/${other.id}/output`],
      ['GET', `/v1/executions?action=apiprobe.probe&limit=20&include_attributes=id`],
    ]);
    expect(one?.status, JSON.stringify(one)).toBe(200);
    expect((one?.body as ExecutionRecord).id).toBe(other.id);
    expect(result?.status, JSON.stringify(result)).toBe(200);
    expect(JSON.stringify(result?.body)).toContain('"held":0');
    expect(output?.status, JSON.stringify(output)).toBe(200);
    expect(list?.status, JSON.stringify(list)).toBe(200);
    expect((list?.body as ExecutionRecord[]).map((item) => item.id)).toContain(other.id);
  });

  it('never cancels, re-runs, pauses or purges that execution, nor reaches another pack\'s keys or any other resource', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const target = await fixture!.start('apiprobe.probe', { case: 'hold', seconds: 8 });
    await retryUntil(async () => (await fixture!.api.call<ExecutionRecord>('GET', `/api/v1/executions/${target}`)).body.status === 'running', {
      what: 'the target to run',
      withinMs: 60_000,
      everyMs: 50,
    });
    const results = await callsAs(undefined, [
      ['DELETE', `/v1/executions/${target}`],
      ['POST', `/v1/executions/${target}/re_run`, {}],
      ['PUT', `/v1/executions/${target}`, { status: 'pausing' }],
      ['POST', '/v1/executions/purge', { older_than_days: 0 }],
      ['GET', `/v1/executions/${target}/children`],
      ['GET', '/v1/keys/victim.Secrets:password?decrypt=true'],
      ['GET', '/v1/keys/victim.Secrets:password'],
      ['GET', '/v1/apikeys'],
      ['GET', '/v1/rules'],
      ['GET', '/v1/packs'],
    ]);
    for (const result of results) {
      expect(result.status, JSON.stringify(result)).toBe(403);
      expect(JSON.stringify(result.body)).not.toContain('victim-canary');
    }
    const done = await fixture!.waitFor(target);
    expect(done.status).toBe('succeeded');
    const reruns = await fixture!.api.call<ExecutionRecord[]>('GET', `/api/v1/executions?rerun_of=${target}`);
    expect(reruns.body).toEqual([]);
  });

  it('reads no more than its execution\'s user could: nothing beyond its own scope for a user without a reading key', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    // One item listed: a probe's result holding every execution would be too big to inline.
    const reads: Array<[string, string]> = [['GET', `/v1/executions/${other.id}?include_attributes=id`], ['GET', '/v1/executions?limit=1&include_attributes=id']];
    const statuses = async (user: string): Promise<number[]> => (await callsAs(user, reads)).map((call) => call.status);
    // No key at all, as the user rules run as (`packrun`) unless the operator gives it one.
    expect(await statuses('keyless')).toEqual([404, 403]);
    // A runner key sees only its own runners' executions: that sight is not lent to pack code.
    await createKey('robot', 'runner');
    expect(await statuses('robot')).toEqual([404, 403]);
    // An observer reads every execution, and so does its pack code, until the key goes.
    const observerKey = await createKey('watcher', 'observer');
    expect(await statuses('watcher')).toEqual([200, 200]);
    const deleted = await fixture!.api.call('DELETE', `/api/v1/apikeys/${observerKey}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    expect(await statuses('watcher')).toEqual([404, 403]);
  });

  it('is nothing for a pack not given the API: the operator is warned', (context) => {
    if (skipReason) return context.skip(skipReason);
    const warning = fixture!.server.output().split('\n').find((line) => line.includes('PACKRUN_ACTION_API_EXECUTION_READERS names packs not in PACKRUN_ACTION_API_PACKS'));
    expect(warning).toBeDefined();
    expect(warning).toContain('"packs":["unlisted"]');
  });

  it('stops working when its execution ends, the grant with it', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    const [during] = await callsAs(undefined, [['GET', `/v1/executions/${other.id}`]]);
    expect(during?.status, JSON.stringify(during)).toBe(200);
    const { token } = resultOf<{ token: string }>(await fixture!.execute('apiprobe.probe', { case: 'leak' }));
    for (const route of [`/api/v1/executions/${other.id}`, '/api/v1/executions']) {
      const after = await fixture!.api.call<{ code?: string }>('GET', route, undefined, { 'x-auth-token': token });
      expect(after.status, JSON.stringify(after.body)).toBe(401);
      // Deleted with its execution's end (TOKEN_INVALID), or refused as ended should the delete lag.
      expect(['TOKEN_INVALID', 'TOKEN_EXPIRED']).toContain(after.body.code);
    }
  });
});
