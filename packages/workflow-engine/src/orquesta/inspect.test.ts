import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkflowInspectionError, type WorkflowProblem } from '../driver.ts';
import { orquestaDriver } from './driver.ts';
import { st2InspectionErrors } from './inspect.ts';

/** Inspection before anything runs: each problem named by file, task, line and spec path. */

const workflows = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/st2-examples/actions/workflows');

function problemsOf(text: string, file = 'wf.yaml'): WorkflowProblem[] {
  try {
    orquestaDriver.inspect({ pack: 'examples', file, text });
  } catch (error) {
    if (error instanceof WorkflowInspectionError) return error.problems;
    throw error;
  }
  return [];
}

describe('inspection', () => {
  it("finds what st2 finds in the examples' orquesta-fail-inspection (test_wiring_error_handling.test_inspection_error)", () => {
    const file = 'tests/orquesta-fail-inspection.yaml';
    const problems = problemsOf(readFileSync(path.join(workflows, file), 'utf8'), file);
    expect(problems).toEqual([
      { code: 'WORKFLOW_SYNTAX', message: 'tasks.task2.input must be a non-empty mapping or an expression', file, task: 'task2', line: 18, path: 'tasks.task2.input' },
      { code: 'WORKFLOW_EXPRESSION', message: expect.stringContaining('yaql expression <% <% succeeded() %>: Parse error') as unknown as string, file, task: 'task2', line: 20, path: 'tasks.task2.next[0].when' },
      { code: 'WORKFLOW_CONTEXT', message: 'Variable "foobar" is referenced before assignment (in <% ctx().foobar %>).', file, task: 'task1', line: 9, path: 'tasks.task1.input.cmd' },
    ]);
    expect(st2InspectionErrors(problems).map((error) => [(error as Record<string, unknown>)['type'], (error as Record<string, unknown>)['spec_path']])).toEqual([
      ['context', 'tasks.task1.input.cmd'],
      ['expression', 'tasks.task2.next[0].when'],
      ['syntax', 'tasks.task2.input'],
    ]);
  });

  it('refuses an action reference that is not pack.action (test_wiring_error_handling.test_task_content_errors)', () => {
    const file = 'tests/orquesta-fail-inspection-task-contents.yaml';
    expect(problemsOf(readFileSync(path.join(workflows, file), 'utf8'), file)).toEqual([
      { code: 'WORKFLOW_CONTENT', message: 'The action reference "echo" is not formatted correctly.', file, task: 'task1', line: 16, path: 'tasks.task1.action' },
    ]);
  });

  it('reports bad YAML with its line', () => {
    expect(problemsOf('version: 1.0\ntasks:\n  t:\n    action: [core.noop\n')).toEqual([
      expect.objectContaining({ code: 'WORKFLOW_YAML', file: 'wf.yaml', line: expect.any(Number) as unknown as number }),
    ]);
    expect(problemsOf('- just\n- a list\n')).toEqual([expect.objectContaining({ code: 'WORKFLOW_SYNTAX', message: 'a workflow must be a YAML mapping' })]);
  });

  it('reports a wrong version, unknown keys and a missing tasks section', () => {
    const codes = problemsOf('version: 2.0\nfoo: 1\n').map((problem) => [problem.message, problem.line]);
    expect(codes).toEqual([
      ['(workflow) has an unknown property "foo"', 2],
      ['version must be 1.0 (orquesta), not 2', 1],
      ['tasks must be a mapping of at least one task', 1],
    ]);
  });

  it('reports an unknown task in `do`, a reserved name, an unreached task and a with-items task without action', () => {
    const problems = problemsOf(`version: 1.0
tasks:
  start:
    action: core.noop
    next:
      - do: nowhere
  fail:
    action: core.noop
    next:
      - do: start
  loop_a:
    action: core.noop
    next:
      - do: loop_b
  loop_b:
    with: <% [1] %>
    next:
      - do: loop_a
`);
    expect(problems.map((problem) => [problem.code, problem.task, problem.line, problem.message])).toEqual([
      ['WORKFLOW_SEMANTIC', 'start', 6, 'The task "nowhere" is not defined.'],
      ['WORKFLOW_SEMANTIC', 'fail', 7, 'The task name "fail" is reserved with special function.'],
      ['WORKFLOW_SEMANTIC', 'loop_b', 15, 'The action property is required for with items task.'],
      ['WORKFLOW_SEMANTIC', 'loop_a', 11, 'The task "loop_a" is never reached from a start task.'],
      ['WORKFLOW_SEMANTIC', 'loop_b', 15, 'The task "loop_b" is never reached from a start task.'],
    ]);
  });

  it('reports a join whose inbound tasks sit under different splits as unreachable', () => {
    const problems = problemsOf(`version: 1.0
tasks:
  t1:
    next:
      - do: t2, t3
  t2:
    next:
      - do: t4
  t3:
    next:
      - do: t4, t5
  t4:
    next:
      - do: t5
  t5:
    join: all
    action: core.noop
`);
    expect(problems).toEqual([expect.objectContaining({ code: 'WORKFLOW_SEMANTIC', task: 't5', line: 15, message: expect.stringContaining('The join task "t5" is unreachable.') as unknown as string })]);
  });

  it('checks Jinja as well as YAQL: syntax and variables read before assignment', () => {
    const problems = problemsOf(`version: 1.0
input:
  - a
vars:
  - b: "{{ ctx('a') }}"
tasks:
  t:
    action: core.echo
    input:
      message: "{{ ctx().b }} {{ ctx().c }}"
    next:
      - when: "{{ succeeded( }}"
        publish: d=<% ctx().b %>
        do: u
  u:
    action: core.echo message="{{ ctx(d) }} {{ ctx(e) }}"
output:
  - out: <% ctx().d %>
`);
    expect(problems.map((problem) => [problem.code, problem.path])).toEqual([
      ['WORKFLOW_EXPRESSION', 'tasks.t.next[0].when'],
      ['WORKFLOW_CONTEXT', 'tasks.t.input.message'],
      ['WORKFLOW_CONTEXT', 'tasks.u.input.message'],
    ]);
    expect(problems[1]!.message).toContain('"c"');
    expect(problems[2]!.message).toContain('"e"');
  });

  it('accepts every examples workflow that st2 accepts', () => {
    for (const file of ['orquesta-join.yaml', 'orquesta-with-items.yaml', 'orquesta-data-flow.yaml', 'orquesta-rollback-retry.yaml', 'orquesta-task-retry.yaml', 'tests/orquesta-test-action-less-tasks.yaml', 'orquesta-delay.yaml']) {
      expect(problemsOf(readFileSync(path.join(workflows, file), 'utf8'), file)).toEqual([]);
    }
  });
});
