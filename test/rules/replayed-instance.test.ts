import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from './embedded-deployment.ts';

/**
 * A rules engine that dies after it asked for an execution but before it recorded the rule's
 * enforcement leaves the trigger instance `processing`, and the broker hands it out again. The
 * execution the rule asks for has an id derived from the trigger instance and the rule, so the
 * second try gets the execution the first one started, never a second one.
 */
let deployment: EmbeddedDeployment;
let packDir: string;

beforeAll(async () => {
  packDir = await writePack({
    'pack.yaml': 'ref: replay\nname: replay\ndescription: a rule on a webhook\nversion: 1.0.0\nauthor: tests\n',
    'actions/say.yaml': 'name: say\nrunner_type: local-shell-cmd\nparameters:\n  cmd: {type: string, default: "echo once"}\n',
    'rules/once.yaml': ['name: once', 'pack: replay', 'enabled: true', 'trigger: {type: core.st2.webhook, parameters: {url: replay}}', 'action: {ref: replay.say}'].join('\n'),
  });
  deployment = await startEmbeddedDeployment({ name: 'replayed-instance', packDirs: [packDir] });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  await rm(packDir, { recursive: true, force: true });
});

describe('a trigger instance handed out again after the rules engine died mid-way', () => {
  it('starts no second execution for the same rule', async () => {
    const { store, bus } = deployment;
    expect((await deployment.call('POST', '/api/v1/webhooks/replay', { n: 1 })).statusCode).toBe(202);
    const first = await deployment.executionOf('replay.once');
    const instance = (await store.triggerInstances.get(first.triggerInstance!))!;
    const message = { id: instance.id, trigger: instance.trigger, payload: instance.payload, occurredAt: instance.occurredAt, source: instance.source };
    // What the engine had done when it died: the execution asked for, no enforcement yet.
    await store.ruleEnforcements.remove({ triggerInstance: message.id });
    await store.triggerInstances.update({ id: message.id }, { set: { status: 'processing' } });
    await bus.enqueue('trigger-instances', message);
    await retryUntil(async () => (await store.ruleEnforcements.find({ triggerInstance: message.id })).length === 1, { what: 'the rule enforced again' });
    const enforcement = await store.ruleEnforcements.findOne({ triggerInstance: message.id });
    expect(enforcement).toMatchObject({ status: 'succeeded', execution: first.id });
    expect(await store.executions.count({ rule: 'replay.once' })).toBe(1);
  });
});
