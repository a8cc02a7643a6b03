import { rm } from 'node:fs/promises';
import type { ExecutionRecord, TriggerInstanceRecord } from '@packrun/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * StackStorm's notify on workflows, under the whole embedded deployment: the workflow execution
 * notifies when it ends, as any execution does; an action chain's node notifies with its own
 * `notify` or else the workflow's, unless `skip_notify` names it; an Orquesta task notifies with
 * the workflow's block when the `notify` runner parameter names it
 * (st2 action_chain_runner._get_notify, st2common services/workflows.py).
 */
let deployment: EmbeddedDeployment;
let packDir: string;
const lines = (...text: string[]) => `${text.join('\n')}\n`;

function notifyWorkflowsPack(): Record<string, string> {
  return {
    'pack.yaml': lines('ref: wfnotify', 'name: wfnotify', 'description: workflow notify tests', 'version: 1.0.0', 'author: tests'),
    'actions/chain.yaml': lines(
      'name: chain',
      'runner_type: action-chain',
      'entry_point: chains/chain.yaml',
      'parameters:',
      '  skip_notify: {default: [three]}',
      'notify:',
      '  on-complete:',
      '    routes: [wf-route]',
      '    message: "{{ action_ref | default(\'chain\') }} done"',
    ),
    'actions/chains/chain.yaml': lines(
      'chain:',
      '  - name: one',
      '    ref: core.echo',
      '    params: {message: "from one"}',
      '    notify:',
      '      on-success:',
      '        routes: [one-route]',
      '        message: "one said {{ action_results.stdout }}"',
      '    on-success: two',
      '  - name: two',
      '    ref: core.echo',
      '    params: {message: "from two"}',
      '    on-success: three',
      '  - name: three',
      '    ref: core.echo',
      '    params: {message: "from three"}',
    ),
    'actions/flow.yaml': lines(
      'name: flow',
      'runner_type: orquesta',
      'entry_point: workflows/flow.yaml',
      'parameters:',
      '  notify: {default: [t1]}',
      'notify:',
      '  on-complete:',
      '    routes: [flow-route]',
    ),
    'actions/workflows/flow.yaml': lines(
      'version: 1.0',
      'tasks:',
      '  t1:',
      '    action: core.echo message="t1"',
      '    next:',
      '      - do: t2',
      '  t2:',
      '    action: core.echo message="t2"',
    ),
    // The rules engine keeps the notify triggers it hears of; this rule makes sure it listens.
    'rules/on_notify.yaml': lines('name: on_notify', 'pack: wfnotify', 'enabled: true', 'trigger: {type: core.st2.generic.notifytrigger}', 'action:', '  ref: core.noop'),
  };
}

beforeAll(async () => {
  packDir = await writePack(notifyWorkflowsPack());
  deployment = await startEmbeddedDeployment({ name: 'workflow-notify', packDirs: [packDir] });
}, 180_000);

afterAll(async () => {
  await deployment?.stop();
  await rm(packDir, { recursive: true, force: true });
});

async function run(action: string): Promise<ExecutionRecord> {
  const response = await deployment.call('POST', '/api/v1/executions', { action, parameters: {} });
  expect(response.statusCode).toBe(201);
  const id = (response.json() as { id: string }).id;
  let found: ExecutionRecord | undefined;
  await retryUntil(async () => {
    found = await deployment.store.executions.get(id);
    return found !== undefined && ['succeeded', 'failed', 'canceled'].includes(found.status);
  }, { what: `workflow ${id}`, withinMs: 60_000 });
  return found!;
}

/** The notify triggers fired for the workflow and its tasks, once `count` of them are there. */
async function notified(workflow: ExecutionRecord, count: number): Promise<TriggerInstanceRecord[]> {
  const ids = new Set([workflow.id, ...(workflow.children ?? [])]);
  let found: TriggerInstanceRecord[] = [];
  await retryUntil(async () => {
    found = (await deployment.store.triggerInstances.find({ trigger: 'core.st2.generic.notifytrigger' })).filter((instance) => ids.has(String(instance.payload['execution_id'])));
    return found.length >= count;
  }, { what: `${count} notify triggers of ${workflow.id}`, withinMs: 30_000 });
  return found;
}

async function taskNamed(workflow: ExecutionRecord, name: string): Promise<string> {
  for (const id of workflow.children ?? []) {
    const child = await deployment.store.executions.get(id);
    const context = child?.context as { chain?: { name?: string }; orquesta?: { task_name?: string } } | undefined;
    if (context?.chain?.name === name || context?.orquesta?.task_name === name) return id;
  }
  throw new Error(`no task ${name} in ${workflow.id}`);
}

describe('notify on workflows (StackStorm)', () => {
  it("an action chain: the workflow notifies when it ends, a node with its own notify, a node without it the workflow's, a node in skip_notify nothing", async () => {
    const workflow = await run('wfnotify.chain');
    expect(workflow.status).toBe('succeeded');
    const [one, two, three] = [await taskNamed(workflow, 'one'), await taskNamed(workflow, 'two'), await taskNamed(workflow, 'three')];
    const found = await notified(workflow, 3);
    const routes = found.map((instance) => [instance.payload['execution_id'], instance.payload['route'], instance.payload['message']]);
    expect(routes).toEqual(
      expect.arrayContaining([
        [one, 'one-route', 'one said from one'],
        [two, 'wf-route', 'chain done'],
        [workflow.id, 'wf-route', 'chain done'],
      ]),
    );
    expect(found.some((instance) => instance.payload['execution_id'] === three)).toBe(false);
    expect(found.find((instance) => instance.payload['execution_id'] === workflow.id)?.payload['action_ref']).toBe('wfnotify.chain');
  }, 90_000);

  it('an Orquesta workflow: the tasks its notify parameter names notify with its block, the others not, and it notifies when it ends', async () => {
    const workflow = await run('wfnotify.flow');
    expect(workflow.status).toBe('succeeded');
    const [t1, t2] = [await taskNamed(workflow, 't1'), await taskNamed(workflow, 't2')];
    const found = await notified(workflow, 2);
    expect(found.map((instance) => [instance.payload['execution_id'], instance.payload['route']])).toEqual(expect.arrayContaining([[t1, 'flow-route'], [workflow.id, 'flow-route']]));
    expect(found.find((instance) => instance.payload['execution_id'] === t1)?.payload['message']).toBe('Action core.echo completed.');
    expect(found.find((instance) => instance.payload['execution_id'] === workflow.id)?.payload['message']).toBe('Action wfnotify.flow completed.');
    expect(found.some((instance) => instance.payload['execution_id'] === t2)).toBe(false);
  }, 90_000);
});
