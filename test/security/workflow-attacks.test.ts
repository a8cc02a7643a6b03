import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type ExecutionRecord, type St2Execution } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * Workflows against the trust boundaries (docs/security.md): what a trigger payload or a task's
 * result carries into a workflow is data, inserted once and never rendered again; a workflow
 * does no more than the user who started it may (it decrypts what that user may decrypt, and its
 * tasks are refused as that user's would be); and a child of a pack's rule keeps that rule's
 * scope, so a chain cannot launder core.inject_trigger into another pack's trigger.
 */
const victim = {
  'pack.yaml': 'ref: victim\nname: victim\ndescription: tests\nversion: 1.0.0\nauthor: tests\n',
  'sensors/quiet.yaml': 'class_name: Quiet\nentry_point: quiet.mjs\nenabled: false\ntrigger_types:\n  - name: deploy\n',
  'sensors/quiet.mjs': 'export default class Quiet { async run() {} }\n',
  // A secret in victim's config: no other pack's workflow may see it through config_context.
  'config.schema.yaml': 'api_token: {type: string, secret: true, default: VICTIM-CONFIG-TOKEN}\n',
  'rules/on_deploy.yaml': 'name: on_deploy\nenabled: true\ntrigger: {type: victim.deploy}\naction: {ref: core.local, parameters: {cmd: "echo deployed {{ trigger.version }}"}}\n',
};

const mallory = {
  'pack.yaml': 'ref: mallory\nname: mallory\ndescription: tests\nversion: 1.0.0\nauthor: tests\n',
  'actions/relay.yaml': 'name: relay\nrunner_type: action-chain\nentry_point: chains/relay.yaml\nparameters:\n  text: {type: string, required: true}\n',
  'actions/chains/relay.yaml': [
    'chain:',
    '  - name: say',
    '    ref: core.echo',
    '    parameters: {message: "{{ text }}"}',
    '    publish: {said: "{{ say.stdout }}"}',
    '    on-success: again',
    '  - name: again',
    '    ref: core.echo',
    '    parameters: {message: "{{ said }} / {{ say.stdout }}"}',
  ].join('\n'),
  'config.schema.yaml': 'own: {type: string, default: mallory-own-config}\n',
  'actions/config_leak.yaml': 'name: config_leak\nrunner_type: action-chain\nentry_point: chains/config_leak.yaml\n',
  'actions/chains/config_leak.yaml': 'chain:\n  - name: peek\n    ref: core.echo\n    parameters: {message: "{{ config_context }}|{{ config_context.api_token | default(\'none\') }}"}\n',
  'actions/read_secret.yaml': 'name: read_secret\nrunner_type: action-chain\nentry_point: chains/read_secret.yaml\n',
  'actions/chains/read_secret.yaml': 'chain:\n  - name: reveal\n    ref: core.echo\n    parameters: {message: "{{ st2kv.system.wf_secret | decrypt_kv }}"}\n',
  'actions/forge_chain.yaml': 'name: forge_chain\nrunner_type: action-chain\nentry_point: chains/forge_chain.yaml\n',
  'actions/chains/forge_chain.yaml': 'chain:\n  - name: forge\n    ref: core.inject_trigger\n    parameters: {trigger_name: victim.deploy, payload: {version: evil}}\n',
  'rules/relay.yaml': 'name: relay\nenabled: true\ntrigger: {type: core.st2.webhook, parameters: {url: mallory-relay}}\naction: {ref: mallory.relay, parameters: {text: "{{ trigger.body.text }}"}}\n',
  'rules/forge.yaml': 'name: forge\nenabled: true\ntrigger: {type: core.st2.webhook, parameters: {url: mallory-forge}}\naction: {ref: mallory.forge_chain}\n',
  'rules/read.yaml': 'name: read\nenabled: true\ntrigger: {type: core.st2.webhook, parameters: {url: mallory-read}}\naction: {ref: mallory.read_secret}\n',
};

let deployment: EmbeddedDeployment;
let packDirs: string[];

beforeAll(async () => {
  packDirs = [await writePack(victim), await writePack(mallory)];
  deployment = await startEmbeddedDeployment({ name: 'workflow-attacks', packDirs });
  await deployment.api.app.inject({ method: 'PUT', url: '/api/v1/keys/wf_secret', headers: { 'x-api-key': deployment.apiKey }, payload: { value: 'TOPSECRET', secret: true } });
  await deployment.api.app.inject({ method: 'PUT', url: '/api/v1/keys/wf_plain', headers: { 'x-api-key': deployment.apiKey }, payload: { value: 'PLAINSECRET' } });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs ?? []) await rm(dir, { recursive: true, force: true });
});

async function finished(id: string): Promise<ExecutionRecord> {
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = await deployment.store.executions.get(id);
    return record !== undefined && isCompleted(record.status);
  }, { what: `execution ${id} to end`, withinMs: 30_000 });
  return record!;
}

async function childrenOf(id: string): Promise<ExecutionRecord[]> {
  return deployment.store.executions.find({ parent: id }, { sort: { createdAt: 1, id: 1 } });
}

describe('config_context', () => {
  it("a chain's config_context is its own pack's config: another pack's config secret is not in it", async () => {
    const response = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.config_leak', parameters: {} });
    expect(response.statusCode).toBe(201);
    const workflow = await finished((response.json() as { id: string }).id);
    expect(workflow.status, JSON.stringify(workflow.result)).toBe('succeeded');
    const [peek] = await childrenOf(workflow.id);
    const said = String((peek?.result as { stdout?: string } | undefined)?.stdout);
    expect(said).toContain('mallory-own-config');
    expect(said).not.toContain('VICTIM-CONFIG-TOKEN');
    expect(JSON.stringify(await deployment.store.workflows.get(workflow.id))).not.toContain('VICTIM-CONFIG-TOKEN');
  }, 60_000);
});

describe('workflows and untrusted data', () => {
  it('a trigger payload\'s {{ }} reaches a chain\'s tasks as text, and a task result\'s {{ }} reaches the next task as text', async () => {
    const text = "{{ st2kv.system.wf_plain }}{% for x in range(3) %}{{ x }}{% endfor %}{{ ''.__class__ }}";
    expect((await deployment.call('POST', '/api/v1/webhooks/mallory-relay', { text })).statusCode).toBe(202);
    const workflow = await deployment.executionOf('mallory.relay');
    expect(workflow.status).toBe('succeeded');
    const [say, again] = await childrenOf(workflow.id);
    expect(say?.parameters['message']).toBe(text);
    expect(say?.result?.['stdout']).toBe(text);
    expect(again?.parameters['message']).toBe(`${text} / ${text}`);
    expect(again?.result?.['stdout']).toBe(`${text} / ${text}`);
    expect(JSON.stringify(await childrenOf(workflow.id))).not.toContain('PLAINSECRET');
    expect(JSON.stringify(workflow.result)).not.toContain('PLAINSECRET');
    expect(say?.parameterOrigin).toEqual({ from: 'data' });
  });
});

describe('workflows and the rights of who started them', () => {
  it('an operator, who may not decrypt system secrets, cannot have a workflow decrypt one: it fails and starts no task', async () => {
    const { key } = await createApiKey(deployment.store, { user: 'opal', role: 'operator' });
    const started = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.read_secret' }, { 'x-api-key': key });
    expect(started.statusCode).toBe(201);
    const done = await finished(started.json<St2Execution>().id);
    expect(done.status).toBe('failed');
    expect(String(done.result?.['error'])).toContain('may not decrypt');
    expect(await childrenOf(done.id)).toEqual([]);
    expect(JSON.stringify(done)).not.toContain('TOPSECRET');
  });

  it('a rule\'s workflow decrypts nothing either; an admin\'s does, and its tasks run as the admin', async () => {
    expect((await deployment.call('POST', '/api/v1/webhooks/mallory-read', {})).statusCode).toBe(202);
    const fromRule = await deployment.executionOf('mallory.read');
    expect(fromRule.status).toBe('failed');
    expect(await childrenOf(fromRule.id)).toEqual([]);

    const started = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.read_secret' });
    const done = await finished(started.json<St2Execution>().id);
    expect(done.status).toBe('succeeded');
    const [reveal] = await childrenOf(done.id);
    expect(reveal).toMatchObject({ user: 'tester', result: { stdout: 'TOPSECRET' } });
  });

  it('a task the user could not run is refused as theirs would be (a disabled action): a failed child, the workflow failed', async () => {
    await deployment.store.actions.update({ id: 'core.echo' }, { set: { enabled: false } });
    try {
      const started = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.relay', parameters: { text: 'x' } });
      const done = await finished(started.json<St2Execution>().id);
      expect(done.status).toBe('failed');
      const [child] = await childrenOf(done.id);
      expect(child).toMatchObject({ status: 'failed', error: { type: 'ACTION_DISABLED' }, user: 'tester' });
    } finally {
      await deployment.store.actions.update({ id: 'core.echo' }, { set: { enabled: true } });
    }
  });
});

describe('workflows and the scope of the rule that started them', () => {
  it("a chain a pack's rule started keeps the rule in its tasks' context: core.inject_trigger in it cannot fire another pack's trigger", async () => {
    expect((await deployment.call('POST', '/api/v1/webhooks/mallory-forge', {})).statusCode).toBe(202);
    const workflow = await deployment.executionOf('mallory.forge');
    expect(workflow.status).toBe('failed');
    const [forge] = await childrenOf(workflow.id);
    expect(forge).toMatchObject({ action: 'core.inject_trigger', status: 'failed', error: { type: 'TRIGGER_NOT_OWNED' } });
    expect(forge?.context['rule']).toEqual(workflow.context['rule']);
    expect(forge?.context['rule']).toMatchObject({ ref: 'mallory.forge', pack: 'mallory', source: 'pack' });
    expect(await deployment.store.triggerInstances.find({ trigger: 'victim.deploy' })).toEqual([]);
    expect(await deployment.store.ruleEnforcements.find({ rule: 'victim.on_deploy' })).toEqual([]);
  });
});

describe('workflows and re-runs', () => {
  it("a caller cannot make a new execution start from another workflow's state: rerunOf and rerunTasks come only from the re-run route", async () => {
    const victim = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.relay', parameters: { text: 'theirs' } });
    const victimId = victim.json<St2Execution>().id;
    await finished(victimId);
    const forged = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.relay', parameters: { text: 'mine' }, rerunOf: victimId, rerunTasks: [] });
    expect(forged.statusCode).toBe(400);
    const asRerun = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.relay', parameters: { text: 'mine' }, context: { 're-run': { ref: victimId, tasks: [] } } });
    expect(asRerun.json()).toMatchObject({ code: 'EXECUTION_CONTEXT_RESERVED', details: { field: 'context.re-run' } });
    const viaContext = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.relay', parameters: { text: 'mine' }, context: { rerunOf: victimId, rerunTasks: [] } });
    const done = await finished(viaContext.json<St2Execution>().id);
    expect(done.rerunOf).toBeUndefined();
    expect(done.rerunTasks).toBeUndefined();
    expect((await childrenOf(done.id)).map((child) => child.parameters['message'])).toEqual(['mine', 'mine / mine']);
  });
});

