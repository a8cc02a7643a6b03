import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import type { ExecutionRecord, TriggerInstanceRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * StackStorm's internal triggers are system triggers: any pack's rule may match them, so what they
 * carry must not hand one pack another's secrets. The victim's action has a secret parameter and
 * a notify block that tries to read a system secret; mallory's rules copy whole payloads into
 * executions mallory can read. None of the secrets arrives: parameters are masked as st2 masks
 * them, notify templates of pack metadata decrypt nothing, a caller's decrypt only what the caller
 * may, and a template inside a result is text. Mallory cannot forge the triggers either.
 */
const token = 'victim-TOKEN-5f1e';
const vault = 'vault-SECRET-9c2a';

const pack = (ref: string, files: Record<string, string>): Record<string, string> => ({
  'pack.yaml': `ref: ${ref}\nname: ${ref}\ndescription: tests\nversion: 1.0.0\nauthor: tests\n`,
  ...files,
});

const victim = pack('victim', {
  'actions/deploy.yaml': [
    'name: deploy',
    'runner_type: local-shell-script',
    'entry_point: deploy.sh',
    'parameters:',
    '  token: {type: string, secret: true, required: true}',
    'notify:',
    '  on-complete:',
    '    routes: [deploys]',
    '    message: "deployed with {{ action_parameters.token }}"',
    '    data: {token: "{{ action_parameters.token }}", vault: "{{ st2kv.system.vault | decrypt_kv }}", out: "{{ action_results.stdout }}"}',
  ].join('\n'),
  // What the action prints is data too: a template in it must stay text wherever it goes.
  'actions/deploy.sh': '#!/bin/sh\necho "ok {{ st2kv.system.vault | decrypt_kv }}"\n',
});

const mallory = pack('mallory', {
  'rules/steal_action.yaml': [
    'name: steal_action',
    'enabled: true',
    'trigger: {type: core.st2.generic.actiontrigger}',
    'criteria: {trigger.action_ref: {type: equals, pattern: victim.deploy}}',
    'action: {ref: core.echo, parameters: {message: "stolen {{ trigger }}"}}',
  ].join('\n'),
  'rules/steal_notify.yaml': [
    'name: steal_notify',
    'enabled: true',
    'trigger: {type: core.st2.generic.notifytrigger}',
    'action: {ref: core.echo, parameters: {message: "stolen {{ trigger }} {{ trigger.data }}"}}',
  ].join('\n'),
  'rules/forge.yaml': [
    'name: forge',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: mallory-forge}}',
    'action: {ref: core.inject_trigger, parameters: {trigger_name: core.st2.generic.actiontrigger, payload: {action_ref: victim.deploy, status: succeeded}}}',
  ].join('\n'),
});

let deployment: EmbeddedDeployment;
let packDirs: string[];

beforeAll(async () => {
  packDirs = [await writePack(victim), await writePack(mallory)];
  deployment = await startEmbeddedDeployment({ name: 'internal-trigger-scope', packDirs });
  expect((await deployment.call('PUT', '/api/v1/keys/vault', { value: vault, secret: true })).statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs ?? []) await rm(dir, { recursive: true, force: true });
});

async function finished(id: string): Promise<ExecutionRecord> {
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = await deployment.store.executions.get(id);
    return record !== undefined && ['succeeded', 'failed', 'canceled'].includes(record.status);
  }, { what: `execution ${id}`, withinMs: 20_000 });
  return record!;
}

async function processed(trigger: string, executionId: string, count = 1): Promise<TriggerInstanceRecord[]> {
  let found: TriggerInstanceRecord[] = [];
  await retryUntil(async () => {
    found = (await deployment.store.triggerInstances.find({ trigger })).filter((instance) => instance.payload['execution_id'] === executionId);
    return found.length >= count && found.every((instance) => instance.status === 'processed');
  }, { what: `${trigger} for ${executionId}` });
  return found;
}

async function ruleRuns(rule: string, instances: TriggerInstanceRecord[]): Promise<ExecutionRecord[]> {
  const runs: ExecutionRecord[] = [];
  for (const instance of instances) {
    let run: ExecutionRecord | undefined;
    await retryUntil(async () => {
      run = (await deployment.store.executions.find({ rule, triggerInstance: instance.id, status: { $in: ['succeeded', 'failed'] } }))[0];
      return run !== undefined;
    }, { what: `${rule} for ${instance.id}: ${JSON.stringify(await deployment.store.ruleEnforcements.find({ triggerInstance: instance.id }))}` });
    runs.push(run!);
  }
  return runs;
}

describe('internal trigger payloads hand no pack another pack\'s secrets', () => {
  it("another pack's rules on actiontrigger and notifytrigger see the secret parameter masked and the system secret never in clear", async () => {
    const created = await deployment.call('POST', '/api/v1/executions', { action: 'victim.deploy', parameters: { token } });
    expect(created.statusCode).toBe(201);
    const execution = await finished((created.json() as { id: string }).id);
    expect(execution.status).toBe('succeeded');

    const actionInstances = await processed('core.st2.generic.actiontrigger', execution.id);
    const notifyInstances = await processed('core.st2.generic.notifytrigger', execution.id);
    expect(actionInstances[0]!.payload['parameters']).toEqual({ token: '********' });
    expect(notifyInstances[0]!.payload).toMatchObject({ message: 'deployed with ********', data: { token: '********', out: 'ok {{ st2kv.system.vault | decrypt_kv }}' } });

    const stolen = [...(await ruleRuns('mallory.steal_action', actionInstances)), ...(await ruleRuns('mallory.steal_notify', notifyInstances))];
    expect(stolen.every((run) => run.status === 'succeeded')).toBe(true);
    // The template in the result reached mallory's echo as text.
    expect(String(stolen[1]!.result?.['stdout'])).toContain('ok {{ st2kv.system.vault | decrypt_kv }}');
    const seen = JSON.stringify([stolen, await deployment.store.triggerInstances.find({})]);
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(vault);
  });

  it("a caller's notify block decrypts only what that caller may: an operator's decrypt_kv yields no secret", async () => {
    const operator = (await createApiKey(deployment.store, { user: 'oscar', role: 'operator' })).key;
    const created = await deployment.call('POST', '/api/v1/executions', {
      action: 'core.noop',
      parameters: {},
      notify: { 'on-complete': { routes: ['leak'], message: '{{ st2kv.system.vault | decrypt_kv }}', data: { v: '{{ st2kv.system.vault | decrypt_kv }}' } } },
    }, { 'x-api-key': operator });
    expect(created.statusCode).toBe(201);
    const execution = await finished((created.json() as { id: string }).id);
    const [instance] = await processed('core.st2.generic.notifytrigger', execution.id);
    expect(JSON.stringify(instance!.payload)).not.toContain(vault);
    const [run] = await ruleRuns('mallory.steal_notify', [instance!]);
    expect(JSON.stringify(run)).not.toContain(vault);
  });

  it('a pack cannot forge an internal trigger through core.inject_trigger', async () => {
    const fired = await deployment.call('POST', '/api/v1/webhooks/mallory-forge', { go: true });
    expect(fired.statusCode).toBe(202);
    let run: ExecutionRecord | undefined;
    await retryUntil(async () => {
      run = (await deployment.store.executions.find({ rule: 'mallory.forge', status: { $in: ['succeeded', 'failed'] } }))[0];
      return run !== undefined;
    }, { what: 'the forge attempt' });
    expect(run!.status).toBe('failed');
    expect(JSON.stringify(run)).toContain('TRIGGER_NOT_OWNED');
    const forged = (await deployment.store.triggerInstances.find({ trigger: 'core.st2.generic.actiontrigger' })).filter((instance) => instance.source !== 'packrun');
    expect(forged).toEqual([]);
  });
});
