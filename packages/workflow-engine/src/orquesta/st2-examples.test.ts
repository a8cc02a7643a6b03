import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ChildRequest, Json } from '../driver.ts';
import { Simulation, succeed, type ChildOutcome, type SimulationOptions } from './testing/simulator.ts';

/**
 * StackStorm's examples workflows (test/fixtures/st2-examples/actions/workflows, unmodified) run
 * through the driver, each child answered by a stand-in for StackStorm's core actions. Expected
 * statuses and results are those st2's integration tests assert (st2tests/integration/orquesta,
 * named beside each case); the order of children is what st2's engine requests.
 */

const workflows = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/st2-examples/actions/workflows');
const read = (name: string): string => readFileSync(path.join(workflows, name), 'utf8');

const shellFailure = (code: number): Json => ({ failed: true, return_code: code, stderr: '', stdout: '', succeeded: false });
const shellSuccess = (stdout: string): Json => ({ failed: false, return_code: 0, stderr: '', stdout, succeeded: true });

/** core.echo, core.noop and core.local as they answer; `exit N` fails, `echo x` prints x. */
function core(request: ChildRequest): ChildOutcome {
  const parameters = request.parameters;
  if (request.action === 'core.echo') return succeed(shellSuccess(String(parameters['message'])));
  if (request.action === 'core.noop') return succeed({});
  if (request.action === 'core.local') {
    const cmd = String(parameters['cmd'] ?? '');
    const exit = /^exit (\d+)$/.exec(cmd.trim()) ?? /^exit \$\(\((\d+) % 2\)\)$/.exec(cmd.trim());
    if (exit !== null) {
      const code = cmd.includes('%') ? Number(exit[1]) % 2 : Number(exit[1]);
      return code === 0 ? succeed(shellSuccess('')) : { status: 'failed', result: shellFailure(code) };
    }
    const echo = /^echo\s+"?([^";]*)"?/.exec(cmd.trim());
    return succeed(shellSuccess(echo === null ? '' : echo[1]!));
  }
  throw new Error(`no stand-in for ${request.action}`);
}

function run(file: string, options: SimulationOptions = {}): Simulation {
  return new Simulation(read(file), { respond: core, file, ...options }).run();
}

/** A check that fails until `attempts` tries were made (the examples wait for a file to appear). */
function failingChecks(failures: number): (request: ChildRequest) => ChildOutcome {
  let seen = 0;
  return (request) => {
    if ((request.context['orquesta'] as Record<string, Json>)['task_name'] === 'check') {
      seen += 1;
      return seen <= failures ? { status: 'failed', result: shellFailure(1) } : succeed(shellSuccess('Do something useful here.'));
    }
    return core(request);
  };
}

describe('StackStorm examples workflows (st2tests/integration/orquesta)', () => {
  it('orquesta-sequential (test_wiring.test_sequential)', () => {
    const simulation = run('orquesta-sequential.yaml', { input: { name: 'Thanos' } });
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task3']);
    expect(simulation.started.map((request) => request.parameters)).toEqual([
      { message: 'Thanos' },
      { message: 'All your base are belong to us!' },
      { message: 'Thanos, All your base are belong to us!' },
    ]);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { greeting: 'Thanos, All your base are belong to us!' } });
  });

  it('orquesta-join (test_wiring.test_join)', () => {
    const simulation = run('orquesta-join.yaml');
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task4', 'task6', 'task8', 'task3', 'task5', 'task7', 'task9', 'task10']);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({
      output: { messages: ['Fee fi fo fum', 'I smell the blood of an English man', 'Be alive, or be he dead', "I'll grind his bones to make my bread"] },
    });
  });

  it('orquesta-rollback-retry, a cycle (test_wiring.test_cycle)', () => {
    const simulation = run('orquesta-rollback-retry.yaml', { respond: failingChecks(2) });
    expect(simulation.sequence).toEqual(['init', 'check', 'create', 'rollback', 'check', 'rollback', 'check', 'delete']);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: null });
  });

  it('orquesta-test-action-less-tasks (test_wiring.test_action_less)', () => {
    const simulation = run('tests/orquesta-test-action-less-tasks.yaml', { input: { name: 'Thanos' } });
    expect(simulation.sequence).toEqual(['task2', 'task3', 'task6']);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { greeting: 'THANOS, ALL YOUR BASE ARE BELONG TO US!' } });
  });

  it('orquesta-st2-ctx reads the st2 context the runtime passes (test_wiring.test_st2_runtime_context)', () => {
    const simulation = run('orquesta-st2-ctx.yaml', { context: { st2: { action_execution_id: 'e1', api_url: 'http://127.0.0.1:9101/v1' } } });
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { callback: 'http://127.0.0.1:9101/v1/executions/e1' } });
  });

  it('orquesta-subworkflow requests the subworkflow as a child (test_wiring.test_subworkflow)', () => {
    const simulation = run('orquesta-subworkflow.yaml', {
      respond: (request) => (request.action === 'examples.orquesta-sequential' ? succeed({ output: { greeting: 'hi' } }) : core(request)),
    });
    expect(simulation.sequence).toEqual(['start', 'subworkflow', 'finish']);
    expect(simulation.started[1]!.action).toBe('examples.orquesta-sequential');
    expect(simulation.status).toBe('succeeded');
  });

  it('orquesta-output-on-error (test_wiring.test_output_on_error)', () => {
    const simulation = run('orquesta-output-on-error.yaml');
    expect(simulation.sequence).toEqual(['task1', 'task2']);
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: { progress: 25 },
      errors: [{ type: 'error', task_id: 'task2', message: 'Execution failed. See result for details.', result: shellFailure(1) }],
    });
  });

  it('orquesta-test-field-escaping (test_wiring.test_field_escaping)', () => {
    const simulation = run('tests/orquesta-test-field-escaping.yaml', {
      respond: (request) => succeed({ result: request.parameters['hosts_dict']! }),
    });
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({
      output: {
        'wf.hostname.with.periods': { 'hostname.domain.tld': 'vars.value.with.periods', 'hostname2.domain.tld': { stdout: 'vars.nested.value.with.periods' } },
        'wf.output.with.periods': 'vars.nested.value.with.periods',
      },
    });
  });

  it('orquesta-data-flow (test_wiring_data_flow)', () => {
    const simulation = run('orquesta-data-flow.yaml', { input: { a1: 'fee fi fo fum' } });
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task3']);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { a5: 'fee fi fo fum', b5: 'fee fi fo fum' } });
  });

  it('orquesta-delay holds task1 for its delay (test_wiring_delay.test_task_delay)', () => {
    const simulation = new Simulation(read('orquesta-delay.yaml'), { respond: core, input: { name: 'Thanos', delay: 1 } }).begin();
    expect(simulation.started).toEqual([]);
    expect(simulation.last!.timers).toEqual([{ timerId: 'delay:task1:0:1', fireAt: simulation.now + 1000 }]);
    simulation.drain();
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task3']);
    expect(simulation.result).toEqual({ output: { greeting: 'Thanos, All your base are belong to us!' } });
  });

  it('orquesta-delay canceled while task1 waits (test_wiring_delay.test_task_delay_workflow_cancellation)', () => {
    const simulation = new Simulation(read('orquesta-delay.yaml'), { respond: core, input: { name: 'Thanos', delay: 300 } }).begin();
    simulation.send({ kind: 'cancel' });
    expect(simulation.status).toBe('canceled');
    simulation.drain();
    expect(simulation.started).toEqual([]);
    expect(simulation.status).toBe('canceled');
  });

  it('orquesta-task-retry retries check until it succeeds (test_wiring_task_retry.test_task_retry)', () => {
    const simulation = run('orquesta-task-retry.yaml', { respond: failingChecks(2) });
    expect(simulation.sequence).toEqual(['init', 'check', 'create', 'check', 'check', 'delete']);
    expect(simulation.started.filter((request) => request.requestId.startsWith('check:')).map((request) => request.requestId)).toEqual(['check:0:1', 'check:0:2', 'check:0:3']);
    expect(simulation.status).toBe('succeeded');
  });

  it('orquesta-task-retry-exhausted fails after three checks (test_wiring_task_retry.test_task_retry_exhausted)', () => {
    const simulation = run('orquesta-task-retry-exhausted.yaml', { respond: failingChecks(10) });
    expect(simulation.sequence.filter((name) => name === 'check')).toHaveLength(3);
    expect(simulation.sequence).not.toContain('delete');
    expect(simulation.status).toBe('failed');
  });

  it('orquesta-with-items (test_wiring_with_items.test_with_items)', () => {
    const members = ['Lakshmi', 'Lindsay', 'Tomaz', 'Matt', 'Drew'];
    const simulation = run('orquesta-with-items.yaml', { input: { members } });
    expect(simulation.sequence).toEqual(members.map((_, index) => `task1[${index}]`));
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { items: members.map((member) => `${member}, resistance is futile!`) } });
  });

  it('orquesta-with-items-concurrency runs two at a time', () => {
    const simulation = new Simulation(read('orquesta-with-items-concurrency.yaml'), { respond: () => 'hold', input: { members: ['a', 'b', 'c', 'd', 'e'] } }).run();
    expect(simulation.held.map((request) => request.requestId)).toEqual(['task1:0:1:0', 'task1:0:1:1']);
    simulation.finish('task1:0:1:1', 'succeeded', shellSuccess('b, resistance is futile!'));
    expect(simulation.held.map((request) => request.requestId)).toEqual(['task1:0:1:0']);
    expect(simulation.last!.start.map((request) => request.requestId)).toEqual(['task1:0:1:2']);
  });

  it('orquesta-test-with-items-failure runs all ten items and fails (test_wiring_with_items.test_with_items_failure)', () => {
    const simulation = run('tests/orquesta-test-with-items-failure.yaml');
    expect(simulation.sequence).toHaveLength(10);
    expect(simulation.status).toBe('failed');
  });

  it('orquesta-error-handling-fail-manually (test_wiring_error_handling.test_fail_manually)', () => {
    const simulation = run('orquesta-error-handling-fail-manually.yaml', { input: { cmd: 'exit 1' } });
    expect(simulation.sequence).toEqual(['task1', 'task3']);
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      errors: [
        { task_id: 'task1', type: 'error', message: 'Execution failed. See result for details.', result: shellFailure(1) },
        { task_id: 'fail', type: 'error', message: 'Execution failed. See result for details.' },
      ],
      output: { message: '$%#&@#$!!!' },
    });
  });

  it('orquesta-error-handling-continue (test_wiring_error_handling.test_fail_continue)', () => {
    const simulation = run('orquesta-error-handling-continue.yaml', { input: { cmd: 'exit 1' } });
    expect(simulation.sequence).toEqual(['task1']);
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      errors: [{ task_id: 'task1', type: 'error', message: 'Execution failed. See result for details.', result: shellFailure(1) }],
      output: { message: '$%#&@#$!!!' },
    });
  });

  it('orquesta-error-handling-noop (test_wiring_error_handling.test_fail_noop)', () => {
    const simulation = run('orquesta-error-handling-noop.yaml', { input: { cmd: 'exit 1' } });
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { message: '$%#&@#$!!!' } });
  });

  it('orquesta-remediate-then-fail still runs the log task (test_wiring_error_handling.test_remediate_then_fail)', () => {
    const simulation = run('orquesta-remediate-then-fail.yaml');
    expect(simulation.sequence).toEqual(['task1', 'log']);
    expect(simulation.started[1]!.parameters).toEqual({ message: 'task1 failed with exit code: ' });
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      errors: [
        { task_id: 'task1', type: 'error', message: 'Execution failed. See result for details.', result: shellFailure(1) },
        { task_id: 'fail', type: 'error', message: 'Execution failed. See result for details.' },
      ],
      output: null,
    });
  });

  it('orquesta-fail-input-rendering (test_wiring_error_handling.test_input_error)', () => {
    const simulation = run('tests/orquesta-fail-input-rendering.yaml');
    expect(simulation.started).toEqual([]);
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: null,
      errors: [{ type: 'error', message: expect.stringMatching(/^YaqlEvaluationException: Unable to evaluate expression '<% abs\(8\)\.value %>'\. /) as unknown as string }],
    });
  });

  it('orquesta-fail-vars-rendering (test_wiring_error_handling.test_vars_error)', () => {
    const simulation = run('tests/orquesta-fail-vars-rendering.yaml');
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: null,
      errors: [{ type: 'error', message: expect.stringMatching(/^YaqlEvaluationException: Unable to evaluate expression '<% abs\(8\)\.value %>'\. /) as unknown as string }],
    });
  });

  it('orquesta-fail-start-task (test_wiring_error_handling.test_start_task_error)', () => {
    const simulation = run('tests/orquesta-fail-start-task.yaml', { input: { name: 'Thanos' } });
    expect(simulation.started).toEqual([]);
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: null,
      errors: [
        { type: 'error', task_id: 'task1', route: 0, message: expect.stringMatching(/^YaqlEvaluationException: Unable to evaluate expression '<% ctx\(\)\.name\.value %>'\. /) as unknown as string },
        { type: 'error', message: "YaqlEvaluationException: Unable to resolve key 'greeting' in expression '<% ctx().greeting %>' from context." },
      ],
    });
  });

  it('orquesta-fail-task-transition (test_wiring_error_handling.test_task_transition_error)', () => {
    const simulation = run('tests/orquesta-fail-task-transition.yaml', { input: { name: 'Thanos' } });
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: { greeting: null },
      errors: [
        {
          type: 'error',
          message: "YaqlEvaluationException: Unable to resolve key 'value' in expression '<% succeeded() and result().value %>' from context.",
          task_transition_id: 'task2__t0',
          task_id: 'task1',
          route: 0,
        },
      ],
    });
  });

  it('orquesta-fail-task-publish (test_wiring_error_handling.test_task_publish_error)', () => {
    const simulation = run('tests/orquesta-fail-task-publish.yaml', { input: { name: 'Thanos' } });
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: { greeting: null },
      errors: [
        {
          type: 'error',
          message: "YaqlEvaluationException: Unable to resolve key 'value' in expression '<% result().value %>' from context.",
          task_transition_id: 'task2__t0',
          task_id: 'task1',
          route: 0,
        },
      ],
    });
  });

  it('orquesta-fail-output-rendering (test_wiring_error_handling.test_output_error)', () => {
    const simulation = run('tests/orquesta-fail-output-rendering.yaml', { input: { name: 'Thanos' } });
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({
      output: null,
      errors: [{ type: 'error', message: expect.stringMatching(/^YaqlEvaluationException: Unable to evaluate expression '<% abs\(8\)\.value %>'\. /) as unknown as string }],
    });
  });

  it('orquesta-st2kv reads the system scope, the user scope and decrypts (test_wiring_functions_st2kv)', () => {
    const keyValues = { 'system.lakshmi': 'kanahansnasnasdlsajks', 'user.winson': 'SoDiamondEng' };
    for (const [input, value] of [
      [{ key_name: 'system.lakshmi' }, 'kanahansnasnasdlsajks'],
      [{ key_name: 'winson' }, 'SoDiamondEng'],
      [{ key_name: 'system.lakshmi', decrypt: true }, 'kanahansnasnasdlsajks'],
    ] as const) {
      const simulation = run('orquesta-st2kv.yaml', { input: { decrypt: false, ...input }, keyValues });
      expect(simulation.status).toBe('succeeded');
      expect(simulation.result).toEqual({ output: { value } });
    }
  });

  it('orquesta-st2kv fails on a key that does not exist (test_wiring_functions_st2kv.test_st2kv_nonexistent)', () => {
    const simulation = run('orquesta-st2kv.yaml', { input: { key_name: 'system.matt', decrypt: true } });
    expect(simulation.status).toBe('failed');
    const errors = (simulation.result as { errors: { message: string }[] }).errors;
    expect(errors[0]!.message).toContain('The key "matt" does not exist in the StackStorm datastore.');
  });

  it('orquesta-st2kv-default returns the default in both languages (test_wiring_functions_st2kv.test_st2kv_default_value)', () => {
    const simulation = run('orquesta-st2kv-default.yaml', { input: { key_name: 'system.matt', decrypt: false, default: 'stanley' } });
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { value_from_yaql: 'stanley', value_from_jinja: 'stanley' } });
  });

  const dataOutput = {
    data_json_str_1: '{"foo": {"bar": "foobar"}}',
    data_json_str_2: '{"foo": {"bar": "foobar"}}',
    data_json_str_3: '{"foo": {"bar": "foobar"}}',
    data_json_obj_1: { foo: { bar: 'foobar' } },
    data_json_obj_2: { foo: { bar: 'foobar' } },
    data_json_obj_3: { foo: { bar: 'foobar' } },
    data_json_obj_4: { foo: { bar: 'foobar' } },
    data_yaml_str_1: 'foo:\n  bar: foobar\n',
    data_yaml_str_2: 'foo:\n  bar: foobar\n',
    data_query_1: ['foobar'],
    data_none_str: '%*****__%NONE%__*****%',
    data_str: 'foobar',
  };
  const taskOutput = {
    last_task4_result: 'False',
    task9__1__parent: 'task8__1',
    task9__2__parent: 'task8__2',
    that_task_by_name: 'task1',
    this_task_by_name: 'task1',
    this_task_no_arg: 'task1',
  };
  const functionCases: [string, string, Json][] = [
    ['yaql data functions', 'tests/orquesta-test-yaql-data-functions.yaml', dataOutput],
    // st2 prints `y: 4`; core's to_yaml_string (js-yaml) quotes the key 'y', which YAML 1.1 reads as a boolean.
    ['jinja data functions', 'tests/orquesta-test-jinja-data-functions.yaml', { ...dataOutput, data_pipe_str_1: '{"foo": {"bar": "foobar"}}', data_list_str: "- a: 1\n  b: 2\n- x: 3\n  'y': 4\n" }],
    ['yaql path functions', 'tests/orquesta-test-yaql-path-functions.yaml', { basename: 'file.txt', dirname: '/path/to/some' }],
    ['jinja path functions', 'tests/orquesta-test-jinja-path-functions.yaml', { basename: 'file.txt', dirname: '/path/to/some' }],
    ['yaql regex functions', 'tests/orquesta-test-yaql-regex-functions.yaml', { match: true, replace: 'wxyz', search: true, substring: '668 Infinite Dr' }],
    ['jinja regex functions', 'tests/orquesta-test-jinja-regex-functions.yaml', { match: true, replace: 'wxyz', search: true, substring: '668 Infinite Dr' }],
    ['yaql time functions', 'tests/orquesta-test-yaql-time-functions.yaml', { time: '3h25m45s' }],
    ['jinja time functions', 'tests/orquesta-test-jinja-time-functions.yaml', { time: '3h25m45s' }],
    ['yaql task functions', 'tests/orquesta-test-yaql-task-functions.yaml', taskOutput],
    ['jinja task functions', 'tests/orquesta-test-jinja-task-functions.yaml', taskOutput],
  ];
  const versionOutput = {
    compare_equal: 0,
    compare_more_than: -1,
    compare_less_than: 1,
    equal: true,
    more_than: false,
    less_than: false,
    match: true,
    bump_major: '1.0.0',
    bump_minor: '0.11.0',
    bump_patch: '0.10.1',
    strip_patch: '0.10',
  };
  functionCases.push(['yaql version functions', 'tests/orquesta-test-yaql-version-functions.yaml', versionOutput]);
  functionCases.push(['jinja version functions', 'tests/orquesta-test-jinja-version-functions.yaml', versionOutput]);

  for (const [name, file, output] of functionCases) {
    it(`${name} (test_wiring_functions)`, () => {
      const simulation = run(file);
      expect(simulation.result).toEqual({ output });
      expect(simulation.status).toBe('succeeded');
    });
  }

  for (const [language, expression] of [
    ['yaql', '<% task("task0") %>'],
    ['jinja', '{{ task("task0") }}'],
  ] as const) {
    it(`${language}: task() of a task that never ran fails the transition (test_wiring_functions_task.test_task_nonexistent_in_${language})`, () => {
      const simulation = run(`tests/orquesta-test-${language}-task-nonexistent.yaml`);
      expect(simulation.status).toBe('failed');
      expect(simulation.result).toEqual({
        output: null,
        errors: [
          {
            type: 'error',
            message: `${language === 'yaql' ? 'Yaql' : 'Jinja'}EvaluationException: Unable to evaluate expression '${expression}'. ExpressionEvaluationException: Unable to find task execution for "task0".`,
            task_transition_id: 'continue__t0',
            task_id: 'task1',
            route: 0,
          },
        ],
      });
    });
  }

  /** core.local reading the rerun examples' temp file: `exit \`cat f\`` fails while it holds 1. */
  function tempfileShell(flag: { value: number }): (request: ChildRequest) => ChildOutcome {
    return (request) => {
      const cmd = String(request.parameters['cmd'] ?? '');
      if (request.action !== 'core.local' || !cmd.includes('cat')) return core(request);
      const item = /<% item\(\) %>|\* (\d+) % 2/.exec(cmd);
      const code = item?.[1] === undefined ? flag.value : (flag.value * Number(item[1])) % 2;
      return code === 0 ? succeed(shellSuccess('')) : { status: 'failed', result: shellFailure(code) };
    };
  }

  it('orquesta-test-rerun: rerun from task2 after the failure is fixed (test_wiring_rerun.test_rerun_task)', () => {
    const flag = { value: 1 };
    const simulation = run('tests/orquesta-test-rerun.yaml', { input: { tempfile: '/tmp/flag' }, respond: tempfileShell(flag) });
    expect(simulation.status).toBe('failed');
    flag.value = 0;
    simulation.send({ kind: 'rerun', tasks: ['task2'] });
    simulation.drain();
    expect(simulation.status).toBe('succeeded');
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task2', 'task3']);
    expect(simulation.result).toEqual({ output: null });
  });

  it('orquesta-test-rerun: a task of a workflow that succeeded can run again (test_wiring_rerun.test_rerun_task_of_workflow_already_succeeded)', () => {
    const simulation = run('tests/orquesta-test-rerun.yaml', { input: { tempfile: '/tmp/flag' }, respond: tempfileShell({ value: 0 }) });
    expect(simulation.status).toBe('succeeded');
    simulation.send({ kind: 'rerun', tasks: ['task2'] });
    simulation.drain();
    expect(simulation.status).toBe('succeeded');
    expect(simulation.sequence).toEqual(['task1', 'task2', 'task3', 'task2', 'task3']);
  });

  it('orquesta-test-rerun-with-items: a rerun of the task runs all four items again (test_wiring_rerun.test_rerun_and_reset_with_items_task)', () => {
    const flag = { value: 1 };
    const simulation = run('tests/orquesta-test-rerun-with-items.yaml', { input: { tempfile: '/tmp/flag' }, respond: tempfileShell(flag) });
    expect(simulation.status).toBe('failed');
    expect(simulation.started).toHaveLength(4);
    flag.value = 0;
    simulation.send({ kind: 'rerun', tasks: ['task1'] });
    simulation.drain();
    expect(simulation.status).toBe('succeeded');
    expect(simulation.started.slice(4).map((request) => request.requestId)).toEqual(['task1:0:2:0', 'task1:0:2:1', 'task1:0:2:2', 'task1:0:2:3']);
  });

  it('orquesta-test-subworkflow-empty-with-items: the subworkflow is a child like any action', () => {
    const simulation = run('tests/orquesta-test-subworkflow-empty-with-items.yaml', {
      respond: (request) => (request.action === 'examples.orquesta-test-with-items' ? succeed({ output: null }) : core(request)),
    });
    expect(simulation.started.map((request) => [request.action, request.parameters])).toEqual([
      ['examples.orquesta-test-with-items', { tempfiles: [] }],
      ['core.noop', {}],
    ]);
    expect(simulation.status).toBe('succeeded');
  });
});
