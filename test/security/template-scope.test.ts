import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isPackrunError, type ExecutionRecord, type ParameterOrigin } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * Templates rendered in the wrong scope, or rendered twice:
 * - a rule of one pack running another pack's action rendered `config_context` as that other
 *   pack's site config, secrets included, into parameters every API reader sees;
 * - a trigger payload a rule copied into a parameter was rendered again by the runner, so a
 *   webhook body holding `{{ st2kv.system.x | decrypt_kv }}` or `{{ config_context.token }}` got
 *   datastore secrets and config secrets into the action;
 * - a caller's own templates decrypted datastore secrets and read config secrets whatever the
 *   caller's rights. The execution service now takes the caller's rights (parameterOrigin); the
 *   API route decides them from the caller's role.
 */
let deployment: EmbeddedDeployment;
const packDirs: string[] = [];
const token = `config-token-${Math.random().toString(36).slice(2)}`;
const secret = `kv-secret-${Math.random().toString(36).slice(2)}`;

const victimPack: Record<string, string> = {
  'pack.yaml': 'ref: victim\nname: victim\ndescription: has a config with a secret\nversion: 1.0.0\nauthor: tests\n',
  'config.schema.yaml': 'token: {type: string, secret: true}\n',
  'actions/say.yaml': 'name: say\nrunner_type: python-script\nentry_point: say.py\nparameters:\n  message: {type: string, required: true}\n',
  'actions/say.py': ['from st2common.runners.base_action import Action', 'class Say(Action):', '    def run(self, message):', '        return message'].join('\n'),
  // The victim's own rule: it copies a webhook's text into its own action.
  'rules/relay.yaml': [
    'name: relay',
    'pack: victim',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: victim/relay}}',
    'action: {ref: victim.say, parameters: {message: "{{ trigger.body.text }}"}}',
  ].join('\n'),
};

const thiefPack: Record<string, string> = {
  'pack.yaml': 'ref: thief\nname: thief\ndescription: reads what is not its own\nversion: 1.0.0\nauthor: tests\n',
  'rules/grab.yaml': [
    'name: grab',
    'pack: thief',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: thief/grab}}',
    'action: {ref: victim.say, parameters: {message: "{{ config_context.token }}"}}',
  ].join('\n'),
};

async function ended(id: string): Promise<ExecutionRecord> {
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = await deployment.store.executions.get(id);
    return record !== undefined && ['succeeded', 'failed', 'timeout'].includes(record.status);
  }, { what: `execution ${id}`, withinMs: 30_000 });
  return record!;
}

/** Everything the store holds about what ran, for a search for leaked secrets. */
async function everythingStored(): Promise<string> {
  const { store } = deployment;
  return JSON.stringify([await store.executions.find({}), await store.ruleEnforcements.find({})]);
}

beforeAll(async () => {
  packDirs.push(await writePack(victimPack), await writePack(thiefPack));
  deployment = await startEmbeddedDeployment({ name: 'security-templates', packDirs });
  await mkdir(path.join(deployment.home, 'configs'), { recursive: true });
  await writeFile(path.join(deployment.home, 'configs', 'victim.yaml'), `token: ${token}\n`);
  const stored = await deployment.call('PUT', '/api/v1/keys/secret', { value: secret, secret: true });
  expect(stored.statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs) await rm(dir, { recursive: true, force: true });
});

describe('config_context', () => {
  it("is a rule's own pack's config: a rule cannot read another pack's config into that pack's action", async () => {
    const fired = await deployment.call('POST', '/api/v1/webhooks/thief/grab', {});
    expect(fired.statusCode).toBe(202);
    await retryUntil(async () => (await deployment.store.ruleEnforcements.find({ rule: 'thief.grab' })).length > 0, { what: 'the enforcement of thief.grab' });
    const [enforcement] = await deployment.store.ruleEnforcements.find({ rule: 'thief.grab' });
    if (enforcement?.execution) await ended(enforcement.execution);
    expect(await everythingStored()).not.toContain(token);
    expect(enforcement).toMatchObject({ status: 'failed' });
    expect(enforcement?.failureReason).toContain('config_context');
  });
});

describe('a trigger payload copied by a rule into a parameter', () => {
  it('reaches the action as the text it is, never rendered again', async () => {
    const text = "{{ st2kv.system.secret | decrypt_kv }} {{ config_context.token }} {% if true %}x{% endif %}";
    const fired = await deployment.call('POST', '/api/v1/webhooks/victim/relay', { text });
    expect(fired.statusCode).toBe(202);
    const execution = await deployment.executionOf('victim.relay');
    expect(execution).toMatchObject({ status: 'succeeded', parameters: { message: text } });
    expect(execution.result).toMatchObject({ result: text });
    expect(await everythingStored()).not.toContain(secret);
    expect(await everythingStored()).not.toContain(token);
  });
});

describe('parameters a rule sends through the API (the distributed rules engine)', () => {
  it('are data when the request says so, never rendered', async () => {
    const text = '{{ st2kv.system.secret | decrypt_kv }}';
    const created = await deployment.call('POST', '/api/v1/executions', { action: 'victim.say', parameters: { message: text }, parameters_are_data: true });
    expect(created.statusCode).toBe(201);
    const execution = await ended((created.json() as { id: string }).id);
    expect(execution.result).toMatchObject({ result: text });
    expect(JSON.stringify(execution)).not.toContain(secret);
  });
});

describe("a caller's own templates", () => {
  // The rights the API's roles give (packages/api/src/auth/caller.ts on main): an operator decrypts
  // its own user-scoped secrets, an admin system-scoped ones too.
  const operator = { user: 'ann', parameterOrigin: { from: 'caller', mayDecrypt: { system: false, user: true } } } as const;
  const admin = { user: 'admin', parameterOrigin: { from: 'caller', mayDecrypt: { system: true, user: true } } } as const;

  /** Creates an execution as the caller; one that is accepted is waited for and its result returned. */
  async function asCaller(message: string, caller: { user: string; parameterOrigin: ParameterOrigin }) {
    try {
      const created = await deployment.api.executions.create({ action: 'victim.say', parameters: { message }, ...caller });
      return { execution: await ended(created.id) };
    } catch (error) {
      if (!isPackrunError(error)) throw error;
      return { error };
    }
  }

  it('may not decrypt system-scoped datastore secrets when the caller may not', async () => {
    const { execution, error } = await asCaller('{{ st2kv.system.secret | decrypt_kv }}', operator);
    expect(JSON.stringify(execution ?? {})).not.toContain(secret);
    expect(error).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'message' } });
  });

  it("see the pack's config secrets masked when the caller may not decrypt system secrets, and in clear when it may", async () => {
    const masked = await asCaller('{{ config_context.token }}', operator);
    expect(masked.execution?.result).toMatchObject({ result: '********' });
    const clear = await asCaller('{{ config_context.token }}', admin);
    expect(clear.execution?.result).toMatchObject({ result: token });
  });

  it("read the caller's own user-scoped keys, decrypted when the caller may", async () => {
    for (const [user, nick] of [['ann', 'annie'], ['bob', 'bobby']]) {
      expect((await deployment.call('PUT', '/api/v1/keys/nick', { value: nick, scope: 'user', user, secret: true })).statusCode).toBe(200);
    }
    const { execution } = await asCaller('{{ st2kv.user.nick | decrypt_kv }}', { ...operator, user: 'bob' });
    expect(execution?.result).toMatchObject({ result: 'bobby' });
    const sealed = await asCaller('{{ st2kv.user.nick | decrypt_kv }}', { user: 'bob', parameterOrigin: { from: 'caller', mayDecrypt: { system: false, user: false } } });
    expect(sealed.error).toMatchObject({ code: 'PARAMETER_INVALID' });
    expect(JSON.stringify(sealed.execution ?? {})).not.toContain('bobby');
  });
});

describe('a rule created through the API', () => {
  /** An API key of `role` on the deployment, and a call made with it. */
  async function callAs(role: 'operator' | 'admin', user: string) {
    const { key } = await createApiKey(deployment.store, { user, role });
    return (method: string, url: string, body?: unknown) =>
      deployment.api.app.inject({ method: method as 'GET', url, headers: { 'x-api-key': key }, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
  }

  function decryptingRule(name: string, message: string) {
    return { name, pack: 'victim', enabled: true, trigger: { type: 'core.st2.webhook', parameters: { url: `author/${name}` } }, action: { ref: 'victim.say', parameters: { message } } };
  }

  it("renders with its author's rights: an operator cannot have the rules engine decrypt a system secret for it", async () => {
    const operatorCall = await callAs('operator', 'olga');
    for (const message of ['{{ st2kv.system.secret | decrypt_kv }}', "{{ st2kv.system['secret'] | decrypt_kv }}"]) {
      const created = await operatorCall('POST', '/api/v1/rules', decryptingRule('steal', message));
      expect(created.statusCode, created.body).toBe(403);
      expect(created.json()).toMatchObject({ code: 'RULE_DECRYPT_FORBIDDEN', details: { field: 'action.parameters', scope: 'system' } });
    }
    expect(await deployment.store.rules.get('victim.steal')).toBeUndefined();
    // Nor by replacing a rule it may edit.
    const plain = await operatorCall('POST', '/api/v1/rules', decryptingRule('steal', 'hello'));
    expect(plain.statusCode, plain.body).toBe(201);
    const replaced = await operatorCall('PUT', '/api/v1/rules/victim.steal', decryptingRule('steal', '{{ st2kv.system.secret | decrypt_kv }}'));
    expect(replaced.statusCode).toBe(403);
    // Without decrypt_kv it may read the system key: its ciphertext, as StackStorm gives it.
    const undecrypted = await operatorCall('PUT', '/api/v1/rules/victim.steal', decryptingRule('steal', '{{ st2kv.system.secret }}'));
    expect(undecrypted.statusCode, undecrypted.body).toBe(200);
    expect((await deployment.call('POST', '/api/v1/webhooks/author/steal', {})).statusCode).toBe(202);
    const execution = await deployment.executionOf('victim.steal');
    expect(execution.status).toBe('succeeded');
    expect(await everythingStored()).not.toContain(secret);
  });

  it('decrypts what its author may decrypt', async () => {
    const adminCall = await callAs('admin', 'adam');
    const created = await adminCall('POST', '/api/v1/rules', decryptingRule('allowed', '{{ st2kv.system.secret | decrypt_kv }}'));
    expect(created.statusCode, created.body).toBe(201);
    expect((await deployment.call('POST', '/api/v1/webhooks/author/allowed', {})).statusCode).toBe(202);
    const execution = await deployment.executionOf('victim.allowed');
    expect(execution.result).toMatchObject({ result: secret });
  });
});
