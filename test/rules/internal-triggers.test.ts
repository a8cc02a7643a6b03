import { rm } from 'node:fs/promises';
import type { ExecutionRecord, TriggerInstanceRecord } from '@packrun/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { pythonSensorPack, writePack } from '../sensors/sensor-fixtures.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from './embedded-deployment.ts';

/**
 * StackStorm's internal triggers under the whole embedded deployment: each is fired by the service
 * whose event it reports, with st2's payload, and a pack's rule on it runs its action.
 */
let deployment: EmbeddedDeployment;
const packDirs: string[] = [];
const lines = (...text: string[]) => `${text.join('\n')}\n`;

/** A pack whose action has a secret parameter and a notify block, and rules on the internal triggers. */
function notifyPack(): Record<string, string> {
  return {
    'pack.yaml': lines('ref: notifyme', 'name: notifyme', 'description: internal trigger tests', 'version: 1.0.0', 'author: tests'),
    'actions/secretive.yaml': lines(
      'name: secretive',
      'runner_type: local-shell-script',
      'entry_point: secretive.sh',
      'parameters:',
      '  label: {type: string, required: true}',
      '  password: {type: string, secret: true, required: true}',
      '  fail: {type: boolean, default: false}',
      'notify:',
      '  on-complete:',
      '    routes: [audit]',
      '    message: "secretive {{ action_parameters.label }} ended; password {{ action_parameters.password }}"',
      '    data:',
      '      label: "{{ action_parameters.label }}"',
      '      out: "{{ action_results.stdout }}"',
      '  on-success:',
      '    routes: [good, chat]',
      '  on-failure:',
      '    channels: [bad]',
    ),
    // The output holds a template: it must reach rules and their actions as text.
    'actions/secretive.sh': lines('#!/bin/sh', 'case "$*" in *--fail*) echo "failing {{ st2kv.system.canary }}"; exit 3;; esac', 'echo "note {{ st2kv.system.canary }}"'),
    'rules/on_actiontrigger.yaml': lines(
      'name: on_actiontrigger',
      'pack: notifyme',
      'enabled: true',
      'trigger: {type: core.st2.generic.actiontrigger}',
      'criteria:',
      '  trigger.action_ref: {type: equals, pattern: notifyme.secretive}',
      'action:',
      '  ref: core.echo',
      '  parameters: {message: "{{ trigger.status }} {{ trigger.runner_ref }} {{ trigger.parameters.password }} {{ trigger.result.stdout }}"}',
    ),
    'rules/on_notify.yaml': lines(
      'name: on_notify',
      'pack: notifyme',
      'enabled: true',
      'trigger: {type: core.st2.generic.notifytrigger}',
      'criteria:',
      '  trigger.route: {type: equals, pattern: audit}',
      'action:',
      '  ref: core.echo',
      '  parameters: {message: "{{ trigger.message }} | {{ trigger.data.out }}"}',
    ),
    'rules/on_inquiry.yaml': lines(
      'name: on_inquiry',
      'pack: notifyme',
      'enabled: true',
      'trigger: {type: core.st2.generic.inquiry}',
      'action:',
      '  ref: core.echo',
      '  parameters: {message: "inquiry {{ trigger.id }} for {{ trigger.route }}"}',
    ),
    'rules/on_kv_change.yaml': lines(
      'name: on_kv_change',
      'pack: notifyme',
      'enabled: true',
      'trigger: {type: core.st2.key_value_pair.value_change}',
      'criteria:',
      '  trigger.new_object.name: {type: equals, pattern: watched}',
      'action:',
      '  ref: core.echo',
      '  parameters: {message: "{{ trigger.old_object.value }} -> {{ trigger.new_object.value }}"}',
    ),
    'rules/on_sensor_spawn.yaml': lines(
      'name: on_sensor_spawn',
      'pack: notifyme',
      'enabled: true',
      'trigger: {type: core.st2.sensor.process_spawn}',
      'criteria:',
      '  trigger.id: {type: equals, pattern: Poller}',
      'action:',
      '  ref: core.echo',
      '  parameters: {message: "spawned {{ trigger.id }}"}',
    ),
  };
}

beforeAll(async () => {
  packDirs.push(await writePack(notifyPack()), await writePack(pythonSensorPack()));
  deployment = await startEmbeddedDeployment({ name: 'internal-triggers', packDirs });
  await deployment.call('PUT', '/api/v1/keys/canary', { value: 'CANARY-VALUE' });
}, 180_000);

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs) await rm(dir, { recursive: true, force: true });
});

async function run(action: string, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ExecutionRecord> {
  const response = await deployment.call('POST', '/api/v1/executions', { action, parameters, ...extra });
  expect(response.statusCode).toBe(201);
  const id = (response.json() as { id: string }).id;
  let found: ExecutionRecord | undefined;
  await retryUntil(async () => {
    found = await deployment.store.executions.get(id);
    return found !== undefined && ['succeeded', 'failed', 'timeout', 'canceled'].includes(found.status);
  }, { what: `execution ${id}`, withinMs: 20_000 });
  return found!;
}

async function instances(trigger: string, match: (payload: Record<string, unknown>) => boolean, count = 1): Promise<TriggerInstanceRecord[]> {
  let found: TriggerInstanceRecord[] = [];
  await retryUntil(async () => {
    found = (await deployment.store.triggerInstances.find({ trigger }, { sort: { occurredAt: 1, id: 1 } })).filter((instance) => match(instance.payload));
    return found.length >= count && found.every((instance) => instance.status === 'processed');
  }, { what: `${count} processed ${trigger} instance(s)`, withinMs: 20_000 });
  return found;
}

/** The finished execution a rule requested for a trigger instance. */
async function ruleExecution(rule: string, instance: TriggerInstanceRecord): Promise<ExecutionRecord> {
  let found: ExecutionRecord | undefined;
  await retryUntil(async () => {
    found = (await deployment.store.executions.find({ rule, triggerInstance: instance.id, status: { $in: ['succeeded', 'failed'] } }))[0];
    return found !== undefined;
  }, { what: `the execution of ${rule} for ${instance.id}`, withinMs: 20_000 });
  return found!;
}

describe('StackStorm internal triggers', () => {
  it('registers every internal trigger type, and pack rules on them', async () => {
    const types = (await deployment.call('GET', '/api/v1/triggertypes')).json() as Array<{ ref: string }>;
    const refs = types.map((type) => type.ref);
    for (const ref of [
      'core.st2.generic.actiontrigger',
      'core.st2.generic.notifytrigger',
      'core.st2.generic.inquiry',
      'core.st2.key_value_pair.create',
      'core.st2.key_value_pair.update',
      'core.st2.key_value_pair.value_change',
      'core.st2.key_value_pair.delete',
      'core.st2.sensor.process_spawn',
      'core.st2.sensor.process_exit',
    ]) {
      expect(refs).toContain(ref);
    }
    const rules = (await deployment.call('GET', '/api/v1/rules?pack=notifyme')).json() as Array<{ ref: string; enabled: boolean }>;
    expect(rules.map((rule) => rule.ref).sort()).toEqual(['notifyme.on_actiontrigger', 'notifyme.on_inquiry', 'notifyme.on_kv_change', 'notifyme.on_notify', 'notifyme.on_sensor_spawn']);
  });

  it('fires core.st2.generic.actiontrigger with st2 payload, secret parameters masked, and the pack rule runs', async () => {
    const execution = await run('notifyme.secretive', { label: 'first', password: 'hunter2-SECRET' });
    expect(execution.status).toBe('succeeded');
    const [instance] = await instances('core.st2.generic.actiontrigger', (payload) => payload['execution_id'] === execution.id);
    expect(Object.keys(instance!.payload).sort()).toEqual(['action_name', 'action_ref', 'execution_id', 'parameters', 'result', 'runner_ref', 'start_timestamp', 'status']);
    expect(instance!.payload).toMatchObject({
      status: 'succeeded',
      action_name: 'notifyme.secretive',
      action_ref: 'notifyme.secretive',
      runner_ref: 'local-shell-script',
      parameters: { label: 'first', password: '********' },
      result: { return_code: 0, stdout: 'note {{ st2kv.system.canary }}' },
    });
    // Python's str(datetime) of the request time, as st2's notifier sends it.
    expect(instance!.payload['start_timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    const echoed = await ruleExecution('notifyme.on_actiontrigger', instance!);
    // The result's template is text all the way: never rendered, the canary never read.
    expect(echoed.result?.['stdout']).toBe('succeeded local-shell-script ******** note {{ st2kv.system.canary }}');
    expect(JSON.stringify(echoed)).not.toContain('hunter2');
    expect(JSON.stringify(echoed)).not.toContain('CANARY-VALUE');
  });

  it("fires core.st2.generic.notifytrigger per route of each section that applies, from the action's notify block", async () => {
    const execution = await run('notifyme.secretive', { label: 'second', password: 'hunter2-SECRET' });
    const fired = await instances('core.st2.generic.notifytrigger', (payload) => payload['execution_id'] === execution.id, 3);
    expect(fired.map((instance) => instance.payload['route']).sort()).toEqual(['audit', 'chat', 'good']);
    const audit = fired.find((instance) => instance.payload['route'] === 'audit')!;
    expect(Object.keys(audit.payload).sort()).toEqual(
      ['action_ref', 'channel', 'data', 'end_timestamp', 'execution_id', 'message', 'route', 'runner_ref', 'start_timestamp', 'status'],
    );
    expect(audit.payload).toMatchObject({
      channel: 'audit',
      status: 'succeeded',
      action_ref: 'notifyme.secretive',
      runner_ref: 'local-shell-script',
      message: 'secretive second ended; password ********',
      data: { label: 'second', out: 'note {{ st2kv.system.canary }}' },
    });
    expect(audit.payload['end_timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    // st2 sends the result as a JSON string in data.result.
    expect(JSON.parse((audit.payload['data'] as { result: string }).result)).toMatchObject({ stdout: 'note {{ st2kv.system.canary }}' });
    const good = fired.find((instance) => instance.payload['route'] === 'good')!;
    expect(good.payload['message']).toBe('Action notifyme.secretive succeeded.');

    const echoed = await ruleExecution('notifyme.on_notify', audit);
    expect(echoed.result?.['stdout']).toBe('secretive second ended; password ******** | note {{ st2kv.system.canary }}');
    expect(JSON.stringify(echoed)).not.toContain('hunter2');
  });

  it('on failure fires the on-failure section (channels, st2 deprecated name) and not on-success', async () => {
    const execution = await run('notifyme.secretive', { label: 'third', password: 'x', fail: true });
    expect(execution.status).toBe('failed');
    const fired = await instances('core.st2.generic.notifytrigger', (payload) => payload['execution_id'] === execution.id, 2);
    expect(fired.map((instance) => instance.payload['route']).sort()).toEqual(['audit', 'bad']);
    expect(fired.find((instance) => instance.payload['route'] === 'bad')!.payload['message']).toBe('Action notifyme.secretive failed.');
  });

  it("uses the request's notify block when the action has none", async () => {
    const execution = await run('core.local', { cmd: 'exit 4' }, { notify: { 'on-failure': { routes: ['ops'], message: 'local failed: {{ action_results.return_code }}' } } });
    expect(execution.status).toBe('failed');
    expect(execution.notify).toEqual({ 'on-failure': { routes: ['ops'], message: 'local failed: {{ action_results.return_code }}' } });
    const [fired] = await instances('core.st2.generic.notifytrigger', (payload) => payload['execution_id'] === execution.id);
    expect(fired!.payload).toMatchObject({ route: 'ops', message: 'local failed: 4', status: 'failed', runner_ref: 'local-shell-cmd' });
  });

  it('fires core.st2.generic.inquiry {id, route} when an inquiry starts waiting; answered, its execution fires actiontrigger', async () => {
    const response = await deployment.call('POST', '/api/v1/executions', { action: 'core.ask', parameters: { route: 'approvers' } });
    expect(response.statusCode).toBe(201);
    const id = (response.json() as { id: string }).id;
    const [asked] = await instances('core.st2.generic.inquiry', (payload) => payload['id'] === id);
    expect(asked!.payload).toEqual({ id, route: 'approvers' });
    const echoed = await ruleExecution('notifyme.on_inquiry', asked!);
    expect(echoed.result?.['stdout']).toBe(`inquiry ${id} for approvers`);
    // Still waiting: no actiontrigger until it ends.
    expect((await deployment.store.triggerInstances.find({ trigger: 'core.st2.generic.actiontrigger' })).some((instance) => instance.payload['execution_id'] === id)).toBe(false);
    expect((await deployment.call('PUT', `/api/v1/inquiries/${id}`, { response: { continue: true } })).statusCode).toBe(200);
    const [ended] = await instances('core.st2.generic.actiontrigger', (payload) => payload['execution_id'] === id);
    expect(ended!.payload).toMatchObject({ status: 'succeeded', action_ref: 'core.ask', runner_ref: 'inquirer', result: { response: { continue: true }, route: 'approvers' } });
  });

  it('fires the key_value_pair triggers on create, update, value_change and delete; secret values masked', async () => {
    const isWatched = (payload: Record<string, unknown>) =>
      (payload['object'] as { name?: string } | undefined)?.name === 'watched' || (payload['new_object'] as { name?: string } | undefined)?.name === 'watched';
    await deployment.call('PUT', '/api/v1/keys/watched', { value: 'one' });
    const [created] = await instances('core.st2.key_value_pair.create', isWatched);
    expect(created!.payload).toEqual({ object: { id: 'system:watched', name: 'watched', value: 'one', secret: false, encrypted: false, scope: 'st2kv.system' } });

    await deployment.call('PUT', '/api/v1/keys/watched', { value: 'one' });
    await deployment.call('PUT', '/api/v1/keys/watched', { value: 'two' });
    await instances('core.st2.key_value_pair.update', isWatched, 2);
    const [changed] = await instances('core.st2.key_value_pair.value_change', isWatched);
    expect(changed!.payload).toMatchObject({ old_object: { value: 'one' }, new_object: { value: 'two' } });
    // Setting the same value again was an update, not a value change.
    expect(await deployment.store.triggerInstances.count({ trigger: 'core.st2.key_value_pair.value_change' })).toBe(1);
    const echoed = await ruleExecution('notifyme.on_kv_change', changed!);
    expect(echoed.result?.['stdout']).toBe('one -> two');

    await deployment.call('PUT', '/api/v1/keys/watched', { value: 'top-SECRET', secret: true });
    const [secretChange] = await instances('core.st2.key_value_pair.value_change', (payload) => (payload['new_object'] as { secret?: boolean })?.secret === true);
    expect(secretChange!.payload).toMatchObject({ new_object: { value: '********', secret: true, encrypted: true } });
    const echoedSecret = await ruleExecution('notifyme.on_kv_change', secretChange!);
    expect(echoedSecret.result?.['stdout']).toBe('two -> ********');

    expect((await deployment.call('DELETE', '/api/v1/keys/watched')).statusCode).toBe(204);
    const [deleted] = await instances('core.st2.key_value_pair.delete', isWatched);
    expect(deleted!.payload).toMatchObject({ object: { name: 'watched', value: '********', secret: true } });
    expect(JSON.stringify(await deployment.store.triggerInstances.find({}))).not.toContain('top-SECRET');
  });

  it('fires core.st2.sensor.process_spawn and process_exit with st2 payloads', async () => {
    const [spawned] = await instances('core.st2.sensor.process_spawn', (payload) => payload['id'] === 'Poller');
    expect(spawned!.payload).toMatchObject({ id: 'Poller', pid: expect.any(Number), timestamp: expect.any(Number) });
    expect(spawned!.payload['cmd']).toContain('--class-name=Poller');
    const echoed = await ruleExecution('notifyme.on_sensor_spawn', spawned!);
    expect(echoed.result?.['stdout']).toBe('spawned Poller');

    expect((await deployment.call('POST', '/api/v1/sensortypes/pysense.Poller/restart')).statusCode).toBeLessThan(300);
    const [exited] = await instances('core.st2.sensor.process_exit', (payload) => payload['id'] === 'Poller');
    expect(exited!.payload).toEqual({ id: 'Poller', timestamp: expect.any(Number), exit_code: expect.any(Number) });
  });
});
