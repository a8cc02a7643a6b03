import { describe, expect, it } from 'vitest';
import { KeyValueNeeded, WorkflowInspectionError, type Json, type StepEnvironment, type StepResult } from '../driver.ts';
import { childExecutionId } from '../child-id.ts';
import { actionChainDriver } from './chain-driver.ts';

const file = 'actions/chains/flow.yaml';
const inspect = (text: string) => actionChainDriver.inspect({ pack: 'p', file, text });
const env = (keys: Record<string, string> = {}): StepEnvironment => ({
  now: Date.UTC(2026, 0, 1),
  keyValue(name, { scope, decrypt }) {
    const key = `${scope}:${name}:${decrypt}`;
    if (!(key in keys)) throw new KeyValueNeeded(name, scope, decrypt);
    return keys[key] === '<absent>' ? undefined : keys[key];
  },
  items: () => [],
});

const start = (definition: ReturnType<typeof inspect>, input: Record<string, Json> = {}, keys: Record<string, string> = {}): StepResult =>
  actionChainDriver.step(definition, undefined, { kind: 'start', input, context: { execution_id: 'wf1', user: 'u' } }, env(keys));

function ended(definition: ReturnType<typeof inspect>, previous: StepResult, status: 'succeeded' | 'failed' | 'canceled', result: Json, keys: Record<string, string> = {}): StepResult {
  const requestId = previous.start[0]?.requestId ?? (previous.state as { current?: { requestId: string } }).current?.requestId ?? 'none';
  return actionChainDriver.step(definition, previous.state, { kind: 'child-ended', requestId, status, result }, env(keys));
}

const chain = `
vars:
  greeting: hello
chain:
  - name: one
    ref: core.echo
    params:
      message: "{{ greeting }} {{ who }}"
    publish:
      said: "{{ one.stdout }}"
    on-success: two
    on-failure: oops
  - name: two
    ref: core.local
    parameters:
      cmd: "echo {{ said }} {{ __results.one.stdout }} {{ action_context.parent.execution_id }}"
  - name: oops
    ref: core.echo
    parameters:
      message: failed
`;

describe('action-chain driver', () => {
  it('starts at the first node no other leads to, renders its parameters over input and vars, and asks for the child', () => {
    const first = start(inspect(chain), { who: 'world' });
    expect(first.status).toBe('running');
    expect(first.start).toEqual([
      {
        requestId: 'one:1',
        action: 'core.echo',
        parameters: { message: 'hello world' },
        context: expect.objectContaining({ parent: { execution_id: 'wf1', user: 'u' }, chain: expect.objectContaining({ name: 'one', on_success: 'two', on_failure: 'oops' }) }),
      },
    ]);
  });

  it('follows on-success, publishes, and ends with StackStorm\'s result shape', () => {
    const definition = inspect(chain);
    const first = start(definition, { who: 'world' });
    const second = ended(definition, first, 'succeeded', { stdout: 'hello world' });
    expect(second.start[0]).toMatchObject({ requestId: 'two:2', action: 'core.local', parameters: { cmd: 'echo hello world hello world wf1' } });
    const last = ended(definition, second, 'succeeded', { stdout: 'done' });
    expect(last.status).toBe('succeeded');
    expect(last.result).toEqual({
      tasks: [
        expect.objectContaining({ id: 'one', name: 'one', state: 'succeeded', execution_id: childExecutionId('wf1', 'one:1'), workflow: null, result: { stdout: 'hello world' } }),
        expect.objectContaining({ id: 'two', state: 'succeeded', result: { stdout: 'done' } }),
      ],
      published: { said: 'hello world' },
    });
  });

  it('follows on-failure; the chain ends as its last branch did', () => {
    const definition = inspect(chain);
    const failed = ended(definition, start(definition, { who: 'x' }), 'failed', { stderr: 'no' });
    expect(failed.start[0]).toMatchObject({ requestId: 'oops:2', parameters: { message: 'failed' } });
    expect(ended(definition, failed, 'succeeded', {}).status).toBe('succeeded');
    const alone = inspect('chain:\n  - name: only\n    ref: core.local\n');
    expect(ended(alone, start(alone), 'failed', {}).status).toBe('failed');
  });

  it('inserts what an input or a result holds as text: its {{ }} is never rendered', () => {
    const definition = inspect(chain);
    const first = start(definition, { who: '{{ greeting }}' });
    expect(first.start[0]?.parameters).toEqual({ message: 'hello {{ greeting }}' });
    const second = ended(definition, first, 'succeeded', { stdout: "{{ ''.__class__ }}{{ st2kv.system.x }}" });
    expect(second.start[0]?.parameters['cmd']).toBe("echo {{ ''.__class__ }}{{ st2kv.system.x }} {{ ''.__class__ }}{{ st2kv.system.x }} wf1");
  });

  it('reads the datastore keys its templates name through the runtime, asking for each it has not loaded', () => {
    const definition = inspect('chain:\n  - name: a\n    ref: core.echo\n    parameters:\n      message: "{{ st2kv.system.k }} {{ st2kv.system.s | decrypt_kv }}"\n');
    expect(() => start(definition)).toThrow(KeyValueNeeded);
    const first = start(definition, {}, { 'system:k:true': 'v', 'system:s:true': 'secret' });
    expect(first.start[0]?.parameters).toEqual({ message: 'v secret' });
  });

  it('a parameter that does not render ends the chain failed with StackStorm\'s top-level error', () => {
    const definition = inspect('chain:\n  - name: a\n    ref: core.echo\n    parameters:\n      message: "{{ nothing.here }}"\n');
    const result = start(definition);
    expect(result.status).toBe('failed');
    expect(result.start).toEqual([]);
    expect(result.result).toMatchObject({ tasks: [], published: {}, error: expect.stringContaining('Failed to run task "a". Parameter rendering failed.') });
  });

  it('pauses after the running task and resumes with the next; a cancel lets the running task end and starts nothing more', () => {
    const definition = inspect(chain);
    const first = start(definition, { who: 'w' });
    const pausing = actionChainDriver.step(definition, first.state, { kind: 'pause' }, env());
    expect(pausing).toMatchObject({ status: 'pausing', pause: ['one:1'] });
    const paused = ended(definition, { ...pausing, start: first.start }, 'succeeded', { stdout: 'hello w' });
    expect(paused.status).toBe('paused');
    expect(paused.start).toEqual([]);
    const resumed = actionChainDriver.step(definition, paused.state, { kind: 'resume' }, env());
    expect(resumed.status).toBe('running');
    expect(resumed.start[0]?.requestId).toBe('two:2');
    const canceling = actionChainDriver.step(definition, resumed.state, { kind: 'cancel' }, env());
    expect(canceling).toMatchObject({ status: 'canceling', cancel: ['two:2'] });
    const canceled = ended(definition, { ...canceling, start: resumed.start }, 'succeeded', {});
    expect(canceled.status).toBe('canceled');
    expect(canceled.start).toEqual([]);
  });

  it('stores each result once (in its task entry); a task run again counts by its last run, whatever the task names', () => {
    const loop = inspect(`
chain:
  - name: opener
    ref: core.echo
    parameters:
      message: "first"
    on-success: again
  - name: again
    ref: core.echo
    parameters:
      message: "{{ __results['opener'].stdout }} {% if again is defined %}{{ again.stdout }}{% else %}none{% endif %}"
    on-failure: again
`);
    const first = start(loop);
    const second = ended(loop, first, 'succeeded', { stdout: 'p' });
    expect(second.start[0]?.parameters).toEqual({ message: 'p none' });
    const third = ended(loop, second, 'failed', { stdout: 'run1' });
    expect(third.start[0]?.parameters).toEqual({ message: 'p run1' });
    const fourth = ended(loop, third, 'failed', { stdout: 'run2' });
    expect(fourth.start[0]?.parameters).toEqual({ message: 'p run2' });
    const state = fourth.state as Record<string, unknown>;
    expect(state['results']).toBeUndefined();
    expect(JSON.stringify(state).split('"run1"').length - 1).toBe(1);
  });

  it('steps on from a state written before, which kept the results beside the tasks', () => {
    const definition = inspect(chain);
    const second = ended(definition, start(definition, { who: 'world' }), 'succeeded', { stdout: 'hello world' });
    const written = second.state as { tasks: Array<{ name: string; result: Json }> };
    const before = { ...written, results: Object.fromEntries(written.tasks.map((task) => [task.name, task.result])) } as unknown as Json;
    const last = ended(definition, { ...second, state: before }, 'succeeded', { stdout: 'done' });
    expect(last.status).toBe('succeeded');
    expect(last.result).toMatchObject({ tasks: [expect.objectContaining({ name: 'one' }), expect.objectContaining({ name: 'two' })], published: { said: 'hello world' } });
    expect((last.state as Record<string, unknown>)['results']).toBeUndefined();
  });

  it('leaves the state it is given as it was unless told the state is its own', () => {
    const definition = inspect(chain);
    const first = start(definition, { who: 'w' });
    const kept = JSON.stringify(first.state);
    ended(definition, first, 'succeeded', { stdout: 'hello w' });
    expect(JSON.stringify(first.state)).toBe(kept);
    const owned = JSON.parse(kept) as Json;
    const next = actionChainDriver.step(definition, owned, { kind: 'child-ended', requestId: 'one:1', status: 'succeeded', result: { stdout: 'x' } }, env(), { stateOwned: true });
    expect(next.state).toBe(owned);
  });

  it('ignores an end it is not waiting for (a replayed or stray event)', () => {
    const definition = inspect(chain);
    const first = start(definition, { who: 'w' });
    const stray = actionChainDriver.step(definition, first.state, { kind: 'child-ended', requestId: 'two:9', status: 'succeeded', result: {} }, env());
    expect(stray).toMatchObject({ status: 'running', start: [] });
    expect(stray.state).toEqual(first.state);
  });

  it('refuses a chain naming missing nodes, with file, task and line, and a chain that is not a chain', () => {
    const bad = 'chain:\n  - name: a\n    ref: core.echo\n    on-success: b\n  - name: c\n    on-failure: d\ndefault: e\n';
    let problems: unknown;
    try {
      inspect(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(WorkflowInspectionError);
      problems = (error as WorkflowInspectionError).problems;
    }
    expect(problems).toEqual([
      expect.objectContaining({ code: 'WORKFLOW_INVALID', file, task: 'c', line: 5, message: expect.stringContaining('needs a "ref"') }),
      expect.objectContaining({ task: 'a', line: 2, message: expect.stringContaining('"b"') }),
      expect.objectContaining({ task: 'c', line: 5, message: expect.stringContaining('"d"') }),
      expect.objectContaining({ line: 7, message: expect.stringContaining('default "e"') }),
    ]);
    expect(() => inspect('chain: {a: 1}\n')).toThrow(/`chain` must be a list/);
    expect(() => inspect('chain: [\n')).toThrow(WorkflowInspectionError);
  });
});
