import { rm } from 'node:fs/promises';
import type { St2Execution } from '@packrun/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * core.inject_trigger is StackStorm's way to fire any trigger from an action. A pack's sensors may
 * fire only their own pack's triggers (sensor-dispatch.test.ts); a pack's rule running
 * core.inject_trigger would otherwise fire another pack's trigger with a payload the pack chose,
 * and that pack's rules would run their actions on it. An execution a pack's rule asked for now
 * fires only that pack's triggers; a caller who may fire triggers through the API (an operator)
 * still fires any.
 */
const sensorOf = (pack: string, trigger: string): Record<string, string> => ({
  // Disabled: only the trigger type it declares matters here, no process runs.
  [`sensors/quiet.yaml`]: `class_name: Quiet\nentry_point: quiet.mjs\nenabled: false\ntrigger_types:\n  - name: ${trigger}\n`,
  'sensors/quiet.mjs': 'export default class Quiet { async run() {} }\n',
  'pack.yaml': `ref: ${pack}\nname: ${pack}\ndescription: tests\nversion: 1.0.0\nauthor: tests\n`,
});

const victim = {
  ...sensorOf('victim', 'deploy'),
  'rules/on_deploy.yaml': 'name: on_deploy\nenabled: true\ntrigger: {type: victim.deploy}\naction: {ref: core.local, parameters: {cmd: "echo deployed {{ trigger.version }}"}}\n',
};

const mallory = {
  ...sensorOf('mallory', 'ping'),
  'rules/forge.yaml': [
    'name: forge',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: mallory-forge}}',
    'action: {ref: core.inject_trigger, parameters: {trigger_name: victim.deploy, payload: {version: evil}}}',
  ].join('\n'),
  'rules/own.yaml': [
    'name: own',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: mallory-own}}',
    'action: {ref: core.inject_trigger, parameters: {trigger_name: mallory.ping, payload: {n: 1}}}',
  ].join('\n'),
};

let deployment: EmbeddedDeployment;
let packDirs: string[];

beforeAll(async () => {
  packDirs = [await writePack(victim), await writePack(mallory)];
  deployment = await startEmbeddedDeployment({ name: 'inject-trigger', packDirs });
});

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs ?? []) await rm(dir, { recursive: true, force: true });
});

async function finished(id: string): Promise<ExecutionRecord> {
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = (await deployment.store.executions.get(id)) ?? undefined;
    return record !== undefined && ['succeeded', 'failed', 'timeout'].includes(record.status);
  }, { what: `execution ${id} to end`, withinMs: 30_000 });
  return record!;
}

describe('core.inject_trigger from a pack\'s rule', () => {
  it("cannot fire another pack's trigger: the execution fails TRIGGER_NOT_OWNED and the other pack's rule never runs", async () => {
    expect((await deployment.call('POST', '/api/v1/webhooks/mallory-forge', { anything: 1 })).statusCode).toBe(202);
    const injection = await deployment.executionOf('mallory.forge');
    expect(injection).toMatchObject({ action: 'core.inject_trigger', status: 'failed', error: { type: 'TRIGGER_NOT_OWNED' } });
    expect(injection.error?.message).toContain('rule mallory.forge of pack "mallory" may not dispatch victim.deploy');
    expect(await deployment.store.triggerInstances.find({ trigger: 'victim.deploy' })).toEqual([]);
    expect(await deployment.store.ruleEnforcements.find({ rule: 'victim.on_deploy' })).toEqual([]);
  });

  it("fires its own pack's trigger", async () => {
    expect((await deployment.call('POST', '/api/v1/webhooks/mallory-own', {})).statusCode).toBe(202);
    const injection = await deployment.executionOf('mallory.own');
    expect(injection).toMatchObject({ status: 'succeeded', result: { result: { trigger: 'mallory.ping', payload: { n: 1 } }, exit_code: 0 } });
    await retryUntil(async () => (await deployment.store.triggerInstances.find({ trigger: 'mallory.ping' })).length === 1, { what: 'the mallory.ping instance' });
  });
});

describe('core.inject_trigger from a caller of the API', () => {
  it('fires any trigger for an operator, as POST /webhooks/st2 would, and the rules on it run', async () => {
    const created = await deployment.call('POST', '/api/v1/executions', { action: 'core.inject_trigger', parameters: { trigger_name: 'victim.deploy', payload: { version: '1.2' } } });
    expect(created.statusCode).toBe(201);
    const injection = await finished(created.json<St2Execution>().id);
    expect(injection).toMatchObject({ status: 'succeeded', result: { result: { trigger: 'victim.deploy', payload: { version: '1.2' }, trigger_instance: expect.any(String) } } });
    const deployed = await deployment.executionOf('victim.on_deploy');
    expect(deployed).toMatchObject({ status: 'succeeded', result: { stdout: 'deployed 1.2' } });
  });

  it('narrows, never widens, on what a caller writes into the context: a forged pack rule context is held to that pack', async () => {
    const created = await deployment.call('POST', '/api/v1/executions', {
      action: 'core.inject_trigger',
      parameters: { trigger_name: 'victim.deploy', payload: { version: 'forged' } },
      context: { rule: { ref: 'mallory.forge', pack: 'mallory' } },
    });
    const injection = await finished(created.json<St2Execution>().id);
    expect(injection).toMatchObject({ status: 'failed', error: { type: 'TRIGGER_NOT_OWNED' } });
  });

  it('refuses a trigger that does not exist, and the two trigger parameters together', async () => {
    const unknown = await deployment.call('POST', '/api/v1/executions', { action: 'core.inject_trigger', parameters: { trigger_name: 'nobody.nothing' } });
    expect(await finished(unknown.json<St2Execution>().id)).toMatchObject({ status: 'failed', error: { type: 'TRIGGER_NOT_FOUND' } });
    const both = await deployment.call('POST', '/api/v1/executions', { action: 'core.inject_trigger', parameters: { trigger: 'a.b', trigger_name: 'c.d' } });
    expect(await finished(both.json<St2Execution>().id)).toMatchObject({ status: 'failed', error: { type: 'PARAMETER_INVALID' } });
  });
});
