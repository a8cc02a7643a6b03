import type { Json, WorkflowProblem } from '../driver.ts';
import { isExpression, type Expressions } from './expressions.ts';
import { nextTasksOf, type WorkflowGraph } from './graph.ts';
import { engineCommands, type TaskSpec, type WorkflowSpec } from './spec.ts';

/**
 * Orquesta's inspection before a workflow runs: expression syntax, semantics (reserved task
 * names, no start task, an undefined task in `do`, an unreachable join, a with-items task without
 * action) and context (a `ctx()` variable read before any path assigns it). Each problem names the
 * file, the task and the line.
 */

/** `pack.action`, as StackStorm's action references are written. */
const actionReference = /^[\w-]+\.[\w.-]+$/;

/** Variables StackStorm puts in every workflow's context before the inputs. */
const runtimeVariables = ['st2', 'parent'];

class Inspection {
  readonly problems: WorkflowProblem[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly spec: WorkflowSpec,
    private readonly expressions: Expressions,
  ) {}

  add(code: string, message: string, path: string, task?: string): void {
    const key = `${code}\u0000${message}\u0000${path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const problem: WorkflowProblem = { code, message, file: this.spec.file, path };
    if (task !== undefined) problem.task = task;
    const line = this.lineOf(path);
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  private lineOf(path: string): number | undefined {
    for (let current = path; current !== ''; current = current.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
      const line = this.spec.lines.get(current);
      if (line !== undefined) return line;
      if (!/(\.[^.[\]]*|\[\d+\])$/.test(current)) break;
    }
    return undefined;
  }

  /** Every string in `value` with its spec path. */
  strings(value: Json | undefined, path: string, visit: (text: string, path: string) => void): void {
    if (typeof value === 'string') visit(value, path);
    else if (Array.isArray(value)) value.forEach((entry, index) => this.strings(entry, `${path}[${index}]`, visit));
    else if (value !== null && typeof value === 'object') for (const [key, entry] of Object.entries(value)) this.strings(entry, `${path}.${key}`, visit);
  }

  syntax(value: Json | undefined, path: string, task?: string): void {
    this.strings(value, path, (text, where) => {
      for (const problem of this.expressions.validate(text)) {
        this.add('WORKFLOW_EXPRESSION', `${problem.language} expression ${problem.expression}: ${problem.message}`, where, task);
      }
    });
  }

  /** Reports `ctx()` reads of `value` that `defined` does not hold. */
  context(value: Json | undefined, path: string, defined: ReadonlySet<string>, task?: string): void {
    this.strings(value, path, (text, where) => {
      for (const name of this.expressions.contextReads(text)) {
        if (!defined.has(name)) this.add('WORKFLOW_CONTEXT', `Variable "${name}" is referenced before assignment (in ${text.trim()}).`, where, task);
      }
    });
  }
}

function taskValues(task: TaskSpec): [string, Json | undefined][] {
  const path = `tasks.${task.name}`;
  return [
    [`${path}.delay`, task.delay],
    [`${path}.with.items`, task.with?.expression],
    [`${path}.with.concurrency`, task.with?.concurrency],
    [`${path}.action`, task.action],
    [`${path}.input`, task.input],
    [`${path}.retry.when`, task.retry?.when],
    [`${path}.retry.count`, task.retry?.count],
    [`${path}.retry.delay`, task.retry?.delay],
  ];
}

export function inspectWorkflow(spec: WorkflowSpec, graph: WorkflowGraph, expressions: Expressions): WorkflowProblem[] {
  const inspection = new Inspection(spec, expressions);

  // Expression syntax, everywhere.
  spec.input.forEach((entry, index) => inspection.syntax(entry.default, `input[${index}].${entry.name}`));
  spec.vars.forEach(([name, value], index) => inspection.syntax(value, `vars[${index}].${name}`));
  spec.output.forEach(([name, value], index) => inspection.syntax(value, `output[${index}].${name}`));
  for (const task of spec.tasks.values()) {
    for (const [path, value] of taskValues(task)) inspection.syntax(value, path, task.name);
    for (const transition of task.next) {
      const path = `tasks.${task.name}.next[${transition.index}]`;
      inspection.syntax(transition.when, `${path}.when`, task.name);
      transition.publish.forEach(([name, value], index) => inspection.syntax(value, `${path}.publish[${index}].${name}`, task.name));
    }
  }

  // Semantics.
  for (const task of spec.tasks.values()) {
    if (task.action !== undefined && !isExpression(task.action) && !actionReference.test(task.action)) {
      inspection.add('WORKFLOW_CONTENT', `The action reference "${task.action}" is not formatted correctly.`, `tasks.${task.name}.action`, task.name);
    }
    if (engineCommands.has(task.name)) inspection.add('WORKFLOW_SEMANTIC', `The task name "${task.name}" is reserved with special function.`, `tasks.${task.name}`, task.name);
    if (task.with !== undefined && task.action === undefined) inspection.add('WORKFLOW_SEMANTIC', 'The action property is required for with items task.', `tasks.${task.name}`, task.name);
    for (const transition of task.next) {
      for (const target of transition.do) {
        if (!spec.tasks.has(target) && !engineCommands.has(target)) {
          inspection.add('WORKFLOW_SEMANTIC', `The task "${target}" is not defined.`, `tasks.${task.name}.next[${transition.index}].do`, task.name);
        }
      }
    }
  }
  if (spec.tasks.size > 0 && graph.roots.length === 0) {
    inspection.add('WORKFLOW_SEMANTIC', 'Unable to identify any tasks to start the workflow. If the workflow has a loop, please add a task that serves as an entry point (or lead) into the loop.', 'tasks');
  }
  for (const name of unreachableJoins(spec, graph)) {
    inspection.add(
      'WORKFLOW_SEMANTIC',
      `The join task "${name}" is unreachable. A join task is determined to be unreachable if there are nested forks from multi-referenced tasks that join on the said task. This is ambiguous to the workflow engine because it does not know at which level should the join occurs.`,
      `tasks.${name}`,
      name,
    );
  }
  for (const name of spec.tasks.keys()) {
    if (!graph.has(name) && graph.roots.length > 0) inspection.add('WORKFLOW_SEMANTIC', `The task "${name}" is never reached from a start task.`, `tasks.${name}`, name);
  }

  inspectContext(spec, graph, inspection);
  return inspection.problems;
}

/** Follows each path from the start tasks with the variables assigned along it. */
function inspectContext(spec: WorkflowSpec, graph: WorkflowGraph, inspection: Inspection): void {
  const workflow = new Set(runtimeVariables);
  spec.input.forEach((entry, index) => {
    inspection.context(entry.default, `input[${index}].${entry.name}`, workflow);
    workflow.add(entry.name);
  });
  spec.vars.forEach(([name, value], index) => {
    inspection.context(value, `vars[${index}].${name}`, workflow);
    workflow.add(name);
  });
  const everything = new Set(workflow);
  const lastSeen = new Map<string, string>();
  const joinContexts = new Map<string, Set<string>>();
  const queue: [string, Set<string>][] = graph.roots.map((name) => [name, new Set(workflow)]);
  let budget = 10_000 + spec.tasks.size * 100;
  while (queue.length > 0 && budget-- > 0) {
    const [name, defined] = queue.shift()!;
    const task = spec.tasks.get(name);
    if (task === undefined) continue;
    for (const [path, value] of taskValues(task)) inspection.context(value, path, defined, name);
    for (const transition of task.next) {
      const path = `tasks.${name}.next[${transition.index}]`;
      inspection.context(transition.when, `${path}.when`, defined, name);
      const branch = new Set(defined);
      transition.publish.forEach(([variable, value], index) => {
        inspection.context(value, `${path}.publish[${index}].${variable}`, branch, name);
        branch.add(variable);
        everything.add(variable);
      });
      for (const target of transition.do) {
        const next = spec.tasks.get(target);
        if (next === undefined) continue;
        if (next.join !== undefined) {
          const joined = joinContexts.get(target) ?? new Set<string>();
          const before = joined.size;
          for (const variable of branch) joined.add(variable);
          joinContexts.set(target, joined);
          if (joined.size !== before || !lastSeen.has(target)) {
            lastSeen.set(target, '');
            queue.push([target, joined]);
          }
        } else {
          const signature = [...branch].sort().join('\u0000');
          if (lastSeen.get(target) !== signature) {
            lastSeen.set(target, signature);
            queue.push([target, branch]);
          }
        }
      }
    }
  }
  spec.output.forEach(([name, value], index) => {
    inspection.context(value, `output[${index}].${name}`, everything);
    everything.add(name);
  });
}

/** orquesta's rule: a join is unreachable when its inbound tasks sit under different splits. */
function unreachableJoins(spec: WorkflowSpec, graph: WorkflowGraph): string[] {
  const staging = new Map<string, { join: boolean; splits: Set<string>; prev: Set<string> }>();
  const queue: [string | undefined, string, string[]][] = graph.roots.map((name) => [undefined, name, []]);
  const tracked = new Map<string, Set<string>>();
  let budget = 100_000;
  while (queue.length > 0 && budget-- > 0) {
    const [previous, name, inherited] = queue.shift()!;
    if (!spec.tasks.has(name)) continue;
    const splits = [...inherited];
    if (graph.isSplit(name) && !graph.inCycle(name)) splits.push(name);
    const entry = staging.get(name) ?? { join: spec.tasks.get(name)!.join !== undefined, splits: new Set<string>(), prev: new Set<string>() };
    for (const split of splits) entry.splits.add(split);
    if (previous !== undefined) entry.prev.add(previous);
    staging.set(name, entry);
    for (const next of nextTasksOf(spec.tasks.get(name))) {
      if (staging.has(next.to) && graph.inCycle(next.to)) continue;
      const id = `${name}_${next.to}`;
      const existing = tracked.get(id);
      if (existing === undefined) {
        tracked.set(id, new Set(splits));
        queue.push([name, next.to, splits]);
      } else if (!splits.every((split) => existing.has(split))) {
        for (const split of splits) existing.add(split);
        queue.push([name, next.to, splits]);
      }
    }
  }
  const unreachable: string[] = [];
  for (const [name, meta] of staging) {
    if (!meta.join) continue;
    for (const previous of meta.prev) {
      const other = staging.get(previous)?.splits ?? new Set<string>();
      const same = other.size === meta.splits.size && [...other].every((split) => meta.splits.has(split));
      if (!same) {
        unreachable.push(name);
        break;
      }
    }
  }
  return unreachable;
}

const st2Types: Record<string, string> = {
  WORKFLOW_YAML: 'syntax',
  WORKFLOW_SYNTAX: 'syntax',
  WORKFLOW_EXPRESSION: 'expression',
  WORKFLOW_CONTEXT: 'context',
  WORKFLOW_SEMANTIC: 'semantic',
  WORKFLOW_CONTENT: 'content',
};

/**
 * Inspection problems as StackStorm reports them in a failed workflow's result
 * (`{errors: [...], output: null}`): `type` by category, `spec_path`, sorted by type and path.
 */
export function st2InspectionErrors(problems: WorkflowProblem[]): Json[] {
  return problems
    .map((problem) => {
      const entry: Record<string, Json> = { type: st2Types[problem.code] ?? 'syntax', message: problem.message, spec_path: problem.path ?? null };
      if (problem.task !== undefined) entry['task_id'] = problem.task;
      if (problem.line !== undefined) entry['line'] = problem.line;
      return entry;
    })
    .sort((a, b) => (`${String(a['type'])}\u0000${String(a['spec_path'])}` < `${String(b['type'])}\u0000${String(b['spec_path'])}` ? -1 : 1));
}
