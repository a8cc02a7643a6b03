import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import { loadPack } from './load-pack.ts';
import { minimalPackYaml, writePackFolder } from './test-pack-folder.ts';

const goodAction = `
name: greet
runner_type: python-script
entry_point: greet.py
description: says hello
parameters:
  who:
    type: string
    required: true
    position: 0
  times:
    type: integer
    default: 1
    position: 1
  token:
    type: string
    secret: true
  timeout:
    default: 30
`;

async function problemsOf(files: Record<string, string>) {
  const pack = await loadPack(await writePackFolder({ 'pack.yaml': minimalPackYaml, ...files }));
  return pack.problems;
}

describe('loadPack', () => {
  it('loads actions (.yaml, .yml and .json), sensors, rules and the config schema', async () => {
    const dir = await writePackFolder({
      'pack.yaml': minimalPackYaml,
      'actions/greet.yaml': goodAction,
      'actions/greet.py': 'print(1)\n',
      'actions/shell.yml': 'name: shell\nrunner_type: local-shell-cmd\nenabled: false\n',
      'actions/lib/helper.yaml': 'not: metadata\n',
      'actions/zz_json.json': '{"name": "from_json", "runner_type": "local-shell-cmd"}',
      'sensors/watch.yaml': `
class_name: WatchSensor
entry_point: watch.py
poll_interval: 30
trigger_types:
  - name: changed
    payload_schema: {type: object, properties: {path: {type: string}}}
`,
      'sensors/watch.py': '',
      'rules/on_change.yaml': `
name: on_change
pack: test_pack
enabled: true
trigger: {type: test_pack.changed}
criteria:
  trigger.path: {type: startswith, pattern: /etc}
action:
  ref: test_pack.greet
  parameters: {who: "{{ trigger.path }}"}
`,
      'config.schema.yaml': 'api_key: {type: string, secret: true, required: true}\n',
    });
    const pack = await loadPack(dir);
    expect(pack.problems).toEqual([]);
    expect(pack.ref).toBe('test_pack');
    expect(pack.actions.map((a) => a.ref)).toEqual(['test_pack.greet', 'test_pack.shell', 'test_pack.from_json']);
    const greet = pack.actions[0]!;
    expect(greet).toMatchObject({ runnerType: 'python-script', entryPoint: 'greet.py', enabled: true, file: 'actions/greet.yaml' });
    expect(greet.raw['runner_type']).toBe('python-script');
    expect(greet.parameters['who']).toMatchObject({ type: 'string', required: true, position: 0, runnerParameter: false });
    expect(greet.parameters['token']).toMatchObject({ secret: true });
    // A runner parameter overridden by the action keeps the runner's type and takes the new default.
    expect(greet.parameters['timeout']).toMatchObject({ type: 'integer', default: 30, runnerParameter: true });
    expect(greet.parameters['log_level']).toMatchObject({ default: 'DEBUG', runnerParameter: true });
    expect(pack.actions[1]!.enabled).toBe(false);
    expect(pack.sensors[0]).toMatchObject({
      ref: 'test_pack.WatchSensor',
      pollInterval: 30,
      triggerTypes: [{ ref: 'test_pack.changed', payloadSchema: { type: 'object' } }],
    });
    expect(pack.rules[0]).toMatchObject({
      ref: 'test_pack.on_change',
      enabled: true,
      trigger: { type: 'test_pack.changed', parameters: {} },
      criteria: { 'trigger.path': { type: 'startswith', pattern: '/etc' } },
      action: { ref: 'test_pack.greet', parameters: { who: '{{ trigger.path }}' } },
    });
    expect(pack.configSchema).toEqual({ api_key: { type: 'string', secret: true, required: true } });
  });

  it('records a broken action and still loads the others', async () => {
    const dir = await writePackFolder({
      'pack.yaml': minimalPackYaml,
      'actions/a_broken.yaml': 'name: broken\nrunner_type: python-script\nentry_point: x.py\nparameters:\n  n: {type: int}\n',
      'actions/x.py': '',
      'actions/b_good.yaml': 'name: good\nrunner_type: local-shell-cmd\n',
      'actions/c_syntax.yaml': 'name: [oops\n',
    });
    const pack = await loadPack(dir);
    expect(pack.actions.map((a) => a.name)).toEqual(['good']);
    expect(pack.problems).toEqual([
      expect.objectContaining({ file: 'actions/a_broken.yaml', field: 'parameters.n.type', code: 'ACTION_INVALID' }),
      expect.objectContaining({ file: 'actions/c_syntax.yaml', code: 'ACTION_INVALID', message: expect.stringContaining('invalid YAML') }),
    ]);
  });

  it("checks an action's notify block as StackStorm's schema does, naming the field", async () => {
    const action = (notify: string) => `name: n\nrunner_type: local-shell-cmd\nnotify:\n${notify}`;
    expect(await problemsOf({ 'actions/ok.yaml': action('  on-complete: {routes: [a, b], message: "done {{ action_results }}", data: {x: 1}}\n  on-failure: {channels: [c]}\n') })).toEqual([]);
    for (const [notify, field] of [
      ['  on-done: {routes: [a]}\n', 'notify.on-done'],
      ['  on-success: {routes: a}\n', 'notify.on-success.routes'],
      ['  on-success: {routes: [a], message: [x]}\n', 'notify.on-success.message'],
      ['  on-failure: {routes: [a], data: text}\n', 'notify.on-failure.data'],
      ['  on-complete: {routes: [a], when: always}\n', 'notify.on-complete.when'],
    ] as const) {
      expect(await problemsOf({ 'actions/bad.yaml': action(notify) })).toEqual([expect.objectContaining({ file: 'actions/bad.yaml', field, code: 'ACTION_INVALID' })]);
    }
  });

  it('fails the whole load when pack.yaml is broken', async () => {
    const dir = await writePackFolder({ 'pack.yaml': 'name: x\n', 'actions/a.yaml': 'name: a\nrunner_type: local-shell-cmd\n' });
    await expect(loadPack(dir)).rejects.toMatchObject({ code: 'PACK_INVALID', details: { field: 'description' } });
    await expect(loadPack(dir)).rejects.toBeInstanceOf(PackrunError);
  });

  it('warns about unknown keys without failing', async () => {
    const dir = await writePackFolder({
      'pack.yaml': `${minimalPackYaml}homepage: x\n`,
      'actions/a.yaml': 'name: a\nrunner_type: local-shell-cmd\nflavour: mint\n',
    });
    const pack = await loadPack(dir);
    expect(pack.problems).toEqual([]);
    expect(pack.actions).toHaveLength(1);
    expect(pack.warnings.map((w) => `${w.file}:${w.field}`)).toEqual(['pack.yaml:homepage', 'actions/a.yaml:flavour']);
  });

  it.each([
    ['missing name', 'runner_type: local-shell-cmd\n', 'name'],
    ['missing runner_type', 'name: a\n', 'runner_type'],
    ['entry point required', 'name: a\nrunner_type: python-script\n', 'entry_point'],
    ['entry point missing on disk', 'name: a\nrunner_type: python-script\nentry_point: nope.py\n', 'entry_point'],
    ['entry point escaping the pack', 'name: a\nrunner_type: local-shell-script\nentry_point: ../../../etc/passwd\n', 'entry_point'],
    ['absolute entry point', 'name: a\nrunner_type: local-shell-script\nentry_point: /bin/sh\n', 'entry_point'],
    ['enabled not a boolean', 'name: a\nrunner_type: local-shell-cmd\nenabled: "yes"\n', 'enabled'],
    ['other pack', 'name: a\npack: other\nrunner_type: local-shell-cmd\n', 'pack'],
    ['parameters not a mapping', 'name: a\nrunner_type: local-shell-cmd\nparameters: [a]\n', 'parameters'],
    ['negative position', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {type: string, position: -1}\n', 'parameters.p.position'],
    ['fractional position', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {position: 1.5}\n', 'parameters.p.position'],
    [
      'duplicate position',
      'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {position: 0}\n  q: {position: 0}\n',
      'parameters.q.position',
    ],
    ['gap in positions', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {position: 0}\n  q: {position: 2}\n', 'parameters'],
    ['immutable without default', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {type: string, immutable: true}\n', 'parameters.p.immutable'],
    ['secret not a boolean', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {secret: "yes"}\n', 'parameters.p.secret'],
    ['empty enum', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {enum: []}\n', 'parameters.p.enum'],
    ['invalid schema', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {type: string, minLength: "x"}\n', 'parameters.p'],
    ['runner attribute not overridable', 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  timeout: {type: string}\n', 'parameters.timeout.type'],
  ])('records %s', async (_label, yaml, field) => {
    const problems = await problemsOf({ 'actions/a.yaml': yaml, 'actions/a.py': '' });
    expect(problems).toEqual([expect.objectContaining({ file: 'actions/a.yaml', field, code: 'ACTION_INVALID' })]);
    expect(problems[0]!.message).toContain('actions/a.yaml');
  });

  it('keeps an action whose runner is missing, marked unavailable with the runner named, and its parameters that parse', async () => {
    const dir = await writePackFolder({
      'pack.yaml': minimalPackYaml,
      'actions/winrm.yaml': 'name: winrm\nrunner_type: winrm-cmd\nparameters:\n  command: {type: string, required: true}\n  sudo: {immutable: true}\n',
      'actions/remote.yaml': 'name: remote\nrunner_type: run-remote\nparameters:\n  cmd: {type: string, required: true}\n',
      'actions/made_up.yaml': 'name: made_up\nrunner_type: teleport\n',
      'actions/trigger.yaml': 'name: trigger\nrunner_type: inject-trigger\n',
    });
    const pack = await loadPack(dir);
    expect(pack.problems).toEqual([]);
    const byName = Object.fromEntries(pack.actions.map((action) => [action.name, action]));
    expect(byName['winrm']).toMatchObject({
      runnerType: 'winrm-cmd',
      unavailable: { code: 'ACTION_RUNNER_MISSING', runner: 'winrm-cmd', message: expect.stringContaining("StackStorm's WinRM runner") },
    });
    expect(Object.keys(byName['winrm']!.parameters)).toEqual(['command']);
    // StackStorm's old name of its SSH runner, which Packrun has.
    expect(byName['remote']).toMatchObject({ runnerType: 'remote-shell-cmd' });
    expect(byName['remote']!.unavailable).toBeUndefined();
    expect(byName['made_up']!.unavailable?.message).toMatch(/actions\/made_up.yaml: runner "teleport" is neither one of Packrun's .* nor one of StackStorm's/);
    // Packrun's own inject-trigger acts for the execution's caller: only the built-in core pack has it.
    expect(byName['trigger']!.unavailable?.message).toContain("reserved for Packrun's built-in core pack");
  });

  it('allows an immutable parameter that has a default, its own or the runner\'s', async () => {
    const problems = await problemsOf({
      'actions/a.yaml': 'name: a\nrunner_type: local-shell-cmd\nparameters:\n  p: {type: string, immutable: true, default: x}\n  kwarg_op: {immutable: true}\n',
    });
    expect(problems).toEqual([]);
  });

  it('records an action name defined twice', async () => {
    const problems = await problemsOf({
      'actions/a.yaml': 'name: same\nrunner_type: local-shell-cmd\n',
      'actions/b.yaml': 'name: same\nrunner_type: local-shell-cmd\n',
    });
    expect(problems).toEqual([expect.objectContaining({ file: 'actions/b.yaml', message: expect.stringContaining('actions/a.yaml') })]);
  });

  it.each([
    ['missing class_name', 'entry_point: s.py\n', 'class_name'],
    ['missing entry_point', 'class_name: S\n', 'entry_point'],
    ['bad poll_interval', 'class_name: S\nentry_point: s.py\npoll_interval: 0\n', 'poll_interval'],
    ['trigger type without name', 'class_name: S\nentry_point: s.py\ntrigger_types:\n  - description: x\n', 'trigger_types.0.name'],
    ['payload schema not a mapping', 'class_name: S\nentry_point: s.py\ntrigger_types:\n  - {name: t, payload_schema: [1]}\n', 'trigger_types.0.payload_schema'],
  ])('records a sensor with %s', async (_label, yaml, field) => {
    const problems = await problemsOf({ 'sensors/s.yaml': yaml, 'sensors/s.py': '' });
    expect(problems).toEqual([expect.objectContaining({ file: 'sensors/s.yaml', field, code: 'SENSOR_INVALID' })]);
  });

  it.each([
    ['missing name', 'trigger: {type: core.st2.webhook}\naction: {ref: core.noop}\n', 'name'],
    ['missing trigger', 'name: r\naction: {ref: core.noop}\n', 'trigger'],
    ['trigger type not a ref', 'name: r\ntrigger: {type: webhook}\naction: {ref: core.noop}\n', 'trigger.type'],
    ['missing action ref', 'name: r\ntrigger: {type: core.st2.webhook}\naction: {parameters: {}}\n', 'action.ref'],
    ['criteria not mappings', 'name: r\ntrigger: {type: core.st2.webhook}\ncriteria: {trigger.x: 5}\naction: {ref: core.noop}\n', 'criteria.trigger.x'],
  ])('records a rule with %s', async (_label, yaml, field) => {
    const problems = await problemsOf({ 'rules/r.yaml': yaml });
    expect(problems).toEqual([expect.objectContaining({ file: 'rules/r.yaml', field, code: 'RULE_INVALID' })]);
  });

  it('disables a rule that does not say enabled, as StackStorm does', async () => {
    const pack = await loadPack(
      await writePackFolder({
        'pack.yaml': minimalPackYaml,
        'rules/r.yaml': 'name: r\ntrigger: {type: core.st2.webhook}\naction: {ref: core.noop}\n',
      }),
    );
    expect(pack.rules[0]!.enabled).toBe(false);
  });

  it('records a broken config schema and still loads the actions', async () => {
    const pack = await loadPack(
      await writePackFolder({
        'pack.yaml': minimalPackYaml,
        'config.schema.yaml': 'region: {type: strin}\n',
        'actions/a.yaml': 'name: a\nrunner_type: local-shell-cmd\n',
      }),
    );
    expect(pack.configSchema).toBeUndefined();
    expect(pack.actions).toHaveLength(1);
    expect(pack.problems).toEqual([
      expect.objectContaining({ file: 'config.schema.yaml', field: 'region.type', code: 'CONFIG_SCHEMA_INVALID' }),
    ]);
  });
});
