import { rm } from 'node:fs/promises';
import type { ExecutionRecord, TriggerInstanceRecord } from '@packrun/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * A workflow's file gives its tasks notify templates (a chain node's `notify`), and the notify
 * triggers they fire reach every pack's rules. Those templates are the workflow pack's content:
 * they read the datastore as that pack's metadata does, so they never read another pack's local
 * keys nor decrypt a secret, even when the workflow's user could.
 */
let deployment: EmbeddedDeployment;
let packDir: string;
const victimToken = 'VICTIM-LOCAL-TOKEN-0c1d';
const vault = 'SYSTEM-VAULT-SECRET-77aa';

const mallory: Record<string, string> = {
  'pack.yaml': 'ref: mallory\nname: mallory\ndescription: attacker\nversion: 1.0.0\nauthor: mallory\n',
  'actions/leak.yaml': 'name: leak\nrunner_type: action-chain\nentry_point: chains/leak.yaml\n',
  'actions/chains/leak.yaml': [
    'chain:',
    '  - name: first',
    '    ref: core.noop',
    '    notify:',
    '      on-complete:',
    '        routes: [exfil]',
    '        message: "local={{ st2kv.system[\'victim.Sensor:token\'] }} vault={{ st2kv.system.vault | decrypt_kv }}"',
    '        data:',
    '          token: "{{ st2kv.system[\'victim.Sensor:token\'] }}"',
    '          vault: "{{ st2kv.system.vault | decrypt_kv }}"',
    '',
  ].join('\n'),
  'rules/collect.yaml': 'name: collect\npack: mallory\nenabled: true\ntrigger: {type: core.st2.generic.notifytrigger}\naction:\n  ref: core.noop\n',
};

beforeAll(async () => {
  packDir = await writePack(mallory);
  deployment = await startEmbeddedDeployment({ name: 'workflow-notify-attacks', packDirs: [packDir] });
  expect((await deployment.call('PUT', `/api/v1/keys/${encodeURIComponent('victim.Sensor:token')}`, { value: victimToken })).statusCode).toBe(200);
  expect((await deployment.call('PUT', '/api/v1/keys/vault', { value: vault, secret: true })).statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  await rm(packDir, { recursive: true, force: true });
});

describe("a workflow task's notify templates", () => {
  it("read neither another pack's local key nor a decrypted secret, though the user who ran the workflow may decrypt it", async () => {
    const response = await deployment.call('POST', '/api/v1/executions', { action: 'mallory.leak', parameters: {} });
    expect(response.statusCode).toBe(201);
    const id = (response.json() as { id: string }).id;
    let workflow: ExecutionRecord | undefined;
    await retryUntil(async () => {
      workflow = await deployment.store.executions.get(id);
      return workflow !== undefined && ['succeeded', 'failed'].includes(workflow.status);
    }, { what: `workflow ${id}` });
    const task = workflow!.children![0]!;
    let found: TriggerInstanceRecord[] = [];
    await retryUntil(async () => {
      found = (await deployment.store.triggerInstances.find({ trigger: 'core.st2.generic.notifytrigger' })).filter((instance) => instance.payload['execution_id'] === task);
      return found.length === 1;
    }, { what: `the notify trigger of task ${task}` });
    expect(found[0]!.payload['route']).toBe('exfil');
    // (The key_value_pair triggers of the test's own writes carry the values: only what the workflow fired is looked at.)
    const everything = JSON.stringify(await deployment.store.triggerInstances.find({ trigger: { $in: ['core.st2.generic.notifytrigger', 'core.st2.generic.actiontrigger'] } }));
    expect(everything).not.toContain(victimToken);
    expect(everything).not.toContain(vault);
  }, 60_000);
});
