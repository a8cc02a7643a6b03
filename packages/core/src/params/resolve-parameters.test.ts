import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import { parseActionMeta } from '../pack/action-meta.ts';
import { parseYaml } from '../pack/yaml-file.ts';
import type { ActionMeta } from '../pack/types.ts';
import type { KeyValueLookup } from '../template/datastore-snapshot.ts';
import { maskSecrets, resolveParameters } from './resolve-parameters.ts';

async function action(parametersYaml: string, runner = 'local-shell-cmd'): Promise<ActionMeta> {
  const parsed = parseYaml(`name: act\nrunner_type: ${runner}\nparameters:\n${parametersYaml}`, 'act.yaml');
  if (!parsed.ok) throw new Error(parsed.message);
  return (await parseActionMeta(parsed.value, { file: 'actions/act.yaml', pack: 'demo', packDir: '/nonexistent' })).meta;
}

const kv: KeyValueLookup = {
  async get(name, { scope }) {
    return ({ 'system:host': 'db.internal', 'system:port': '5432', 'user:nick': 'ann' } as Record<string, string>)[`${scope}:${name}`];
  },
};

async function failure(run: Promise<unknown>): Promise<PackrunError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof PackrunError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

describe('resolveParameters', () => {
  it('fills defaults, keeps given values and splits runner from action parameters', async () => {
    const meta = await action('  who: {type: string, required: true}\n  times: {type: integer, default: "{{ 1 + 1 }}"}\n  cmd: {default: "echo hi"}\n');
    const resolved = await resolveParameters({ action: meta, input: { who: 'ann' } });
    expect(resolved.parameters).toMatchObject({ who: 'ann', times: 2, cmd: 'echo hi', timeout: 60, kwarg_op: '--', sudo: false });
    expect(resolved.actionParameters).toEqual({ who: 'ann', times: 2 });
    expect(Object.keys(resolved.actionParameters)).toEqual(['who', 'times']);
    expect(resolved.runnerParameters).toMatchObject({ cmd: 'echo hi', timeout: 60 });
    expect(resolved.secretNames).toEqual(['sudo_password']);
  });

  it('refuses unknown parameters, as the additionalProperties: false schema does', async () => {
    const error = await failure(resolveParameters({ action: await action('  a: {type: string}\n'), input: { b: 1 } }));
    expect(error.code).toBe('PARAMETER_INVALID');
    expect(error.details).toMatchObject({ parameter: 'b', action: 'demo.act' });
  });

  it('requires required parameters, without a null', async () => {
    const meta = await action('  a: {type: string, required: true}\n');
    expect((await failure(resolveParameters({ action: meta, input: {} }))).message).toBe('parameter "a" of demo.act is required');
    expect((await failure(resolveParameters({ action: meta, input: { a: null } }))).details).toMatchObject({ parameter: 'a' });
  });

  it('checks types and enums with draft-4 schemas, allowing null for optional ones', async () => {
    const meta = await action('  n: {type: integer}\n  color: {type: string, enum: [red, blue]}\n  list: {type: array, items: {type: string}}\n');
    expect((await failure(resolveParameters({ action: meta, input: { n: 1.5 } }))).message).toContain('parameter "n" of demo.act must be integer');
    expect((await failure(resolveParameters({ action: meta, input: { color: 'green' } }))).message).toContain('must be one of ["red","blue"]');
    expect((await failure(resolveParameters({ action: meta, input: { list: ['a', 3] } }))).message).toContain('/1 must be string');
    expect((await resolveParameters({ action: meta, input: { n: null, color: 'red' } })).parameters).toMatchObject({ n: null, color: 'red' });
    const withDefault = await action('  n: {type: integer, default: 3}\n');
    expect((await resolveParameters({ action: withDefault, input: { n: null } })).parameters['n']).toBe(3);
  });

  it('refuses a value for an immutable parameter', async () => {
    const meta = await action('  mode: {type: string, immutable: true, default: safe}\n');
    expect((await resolveParameters({ action: meta, input: {} })).parameters['mode']).toBe('safe');
    const error = await failure(resolveParameters({ action: meta, input: { mode: 'unsafe' } }));
    expect(error.message).toContain('"mode" of demo.act is immutable');
  });

  it('renders templated defaults over st2kv, config_context, action_context and other parameters, in dependency order', async () => {
    const meta = await action(
      [
        '  url: {type: string, default: "postgres://{{ user }}@{{ host }}:{{ port }}/{{ config_context.db }}"}',
        '  port: {type: integer, default: "{{ st2kv.system.port }}"}',
        '  host: {type: string, default: "{{ st2kv.system.host }}"}',
        '  user: {type: string, default: "{{ st2kv.user.nick }}"}',
        '  by: {type: string, default: "{{ action_context.user }}"}',
        '  tags: {type: array, default: "{{ config_context.tags }}"}',
      ].join('\n') + '\n',
    );
    const resolved = await resolveParameters({ action: meta, input: {}, kv, config: { db: 'main', tags: ['x', 'y'] }, actionContext: { user: 'stanley' } });
    expect(resolved.parameters).toMatchObject({
      url: 'postgres://ann@db.internal:5432/main',
      port: 5432,
      host: 'db.internal',
      by: 'stanley',
      tags: ['x', 'y'],
    });
  });

  it("renders a caller's templates in given values, and a given value overrides a templated default", async () => {
    const meta = await action('  a: {type: string, default: "{{ b }}-default"}\n  b: {type: string, default: base}\n');
    expect((await resolveParameters({ action: meta, input: { b: 'given' } })).parameters['a']).toBe('given-default');
    const caller = { from: 'caller', mayDecrypt: { system: false, user: false } } as const;
    expect((await resolveParameters({ action: meta, input: { a: 'fixed {{ b }}' }, given: caller })).parameters['a']).toBe('fixed base');
  });

  it('inserts given values that are data as they are: a template in them is text, and makes no dependency', async () => {
    const meta = await action('  a: {type: string}\n  b: {type: string, default: "{{ a }}!"}\n  n: {type: integer}\n');
    const resolved = await resolveParameters({
      action: meta,
      input: { a: '{{ st2kv.system.host }} {{ b }}', n: '5' },
      kv,
      given: { from: 'data' },
    });
    expect(resolved.parameters).toMatchObject({ a: '{{ st2kv.system.host }} {{ b }}', b: '{{ st2kv.system.host }} {{ b }}!', n: 5 });
  });

  it("renders a caller's templates with the caller's datastore view, decrypting only the scopes the caller may", async () => {
    const meta = await action('  a: {type: string}\n  d: {type: string, default: "{{ st2kv.user.nick }}"}\n');
    const callerKv: KeyValueLookup = {
      get: async (name, { scope, decrypt }) => (name === 'nick' ? `${scope}-nick${decrypt ? '-clear' : '-sealed'}` : undefined),
    };
    const operator = { from: 'caller', mayDecrypt: { system: false, user: true }, kv: callerKv } as const;
    const resolved = await resolveParameters({ action: meta, input: { a: '{{ st2kv.user.nick }}' }, kv, given: operator });
    expect(resolved.parameters).toMatchObject({ a: 'user-nick-sealed', d: 'ann' });
    const own = await resolveParameters({ action: meta, input: { a: '{{ st2kv.user.nick | decrypt_kv }}' }, kv, given: operator });
    expect(own.parameters['a']).toBe('user-nick-clear');
    const error = await failure(resolveParameters({ action: meta, input: { a: '{{ st2kv.user.nick }} {{ st2kv.system.nick | decrypt_kv }}' }, kv, given: operator }));
    expect(error).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'a' } });
    expect(error.message).toContain('may not decrypt system-scoped');
  });

  it("gives a caller's templates the config the caller may see, and the defaults the pack's own", async () => {
    const meta = await action('  a: {type: string}\n  d: {type: string, default: "{{ config_context.token }}"}\n');
    const resolved = await resolveParameters({
      action: meta,
      input: { a: '{{ config_context.token }}' },
      config: { token: 'clear' },
      given: { from: 'caller', mayDecrypt: { system: false, user: true }, config: { token: '********' } },
    });
    expect(resolved.parameters).toMatchObject({ a: '********', d: 'clear' });
  });

  it('keeps config_context and st2kv from being replaced by a parameter of the same name', async () => {
    const meta = await action('  config_context: {type: object, default: {token: forged}}\n  d: {type: string, default: "{{ config_context.token }}"}\n');
    const resolved = await resolveParameters({ action: meta, input: {}, config: { token: 'own' } });
    expect(resolved.parameters['d']).toBe('own');
  });

  it('refuses an env parameter that would change how a loader or interpreter starts, naming the variable', async () => {
    const meta = await action('  x: {type: string}\n');
    for (const variable of ['LD_PRELOAD', 'PYTHONSTARTUP', 'NODE_OPTIONS', 'BASH_ENV', 'BAD=NAME']) {
      const error = await failure(resolveParameters({ action: meta, input: { env: { [variable]: '/tmp/x' } } }));
      expect(error).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'env', variable } });
    }
    const fromDefault = await action('  env: {type: object, default: {LD_PRELOAD: /tmp/x.so}}\n');
    expect((await failure(resolveParameters({ action: fromDefault, input: {} }))).details).toMatchObject({ parameter: 'env', variable: 'LD_PRELOAD' });
    const fine = await resolveParameters({ action: meta, input: { env: { GREETING: 'hi', PYTHONUNBUFFERED: 1, PATH: '/opt/bin' } } });
    expect(fine.runnerParameters['env']).toEqual({ GREETING: 'hi', PYTHONUNBUFFERED: 1, PATH: '/opt/bin' });
    expect((await failure(resolveParameters({ action: meta, input: { env: { OK: 'a\u0000b' } } }))).details).toMatchObject({ variable: 'OK' });
  });

  it('casts rendered strings to the parameter type', async () => {
    const meta = await action('  n: {type: integer, default: "{{ 40 + 2 }}"}\n  flag: {type: boolean, default: "{{ \'yes\' }}"}\n  obj: {type: object, default: "{{ \'{\\"a\\": 1}\' }}"}\n');
    expect((await resolveParameters({ action: meta, input: {} })).parameters).toMatchObject({ n: 42, flag: true, obj: { a: 1 } });
    const mixed = await action('  obj: {type: object, default: "{% if true %}{{ config_context.settings }}{% endif %}"}\n');
    const fromMixed = await resolveParameters({ action: mixed, input: {}, config: { settings: { a: [1, 'x'], b: true } } });
    expect(fromMixed.parameters['obj']).toEqual({ a: [1, 'x'], b: true });
    const bad = await action('  n: {type: integer, default: "{{ \'abc\' }}"}\n');
    expect((await failure(resolveParameters({ action: bad, input: {} }))).message).toContain('"abc" is not of type integer');
  });

  it('detects a dependency cycle and names the parameters', async () => {
    const meta = await action('  a: {type: string, default: "{{ b }}"}\n  b: {type: string, default: "{{ c }}"}\n  c: {type: string, default: "{{ a }}"}\n');
    const error = await failure(resolveParameters({ action: meta, input: {} }));
    expect(error.code).toBe('PARAMETER_INVALID');
    expect(error.message).toContain('a -> b -> c -> a');
    const self = await action('  a: {type: string, default: "x{{ a }}"}\n');
    expect((await failure(resolveParameters({ action: self, input: {} }))).message).toContain('a -> a');
  });

  it('reports a template that cannot render as PARAMETER_INVALID naming the parameter', async () => {
    const meta = await action('  a: {type: string, default: "{{ nothing_here }}"}\n');
    const error = await failure(resolveParameters({ action: meta, input: {} }));
    expect(error.code).toBe('PARAMETER_INVALID');
    expect(error.details).toMatchObject({ parameter: 'a' });
    expect(error.message).toContain('nothing_here');
  });

  it('does not confuse attributes or strings with parameter names', async () => {
    const meta = await action('  host: {type: string, default: "{{ action_context.host }}"}\n  note: {type: string, default: "{{ \'host\' }}"}\n');
    const resolved = await resolveParameters({ action: meta, input: {}, actionContext: { host: 'h1' } });
    expect(resolved.parameters).toMatchObject({ host: 'h1', note: 'host' });
  });

  it('masks secrets', async () => {
    const meta = await action('  token: {type: string, secret: true}\n  name: {type: string}\n');
    const resolved = await resolveParameters({ action: meta, input: { token: 't0p', name: 'n' } });
    expect(resolved.secretNames).toContain('token');
    expect(maskSecrets(resolved.parameters, resolved.secretNames)).toMatchObject({ token: '********', name: 'n' });
    expect(resolved.parameters['token']).toBe('t0p');
  });
});
