import { load as loadYaml } from 'js-yaml';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type ScalarTag } from 'yaml';
import { WorkflowInspectionError, type Json, type WorkflowProblem, type WorkflowSource } from '../driver.ts';
import { parseInlineParameters } from './inline-parameters.ts';

/**
 * An Orquesta workflow definition (`version: 1.0`) read from YAML into plain typed data, with the
 * line of each part kept for inspection messages. Only the shape is checked here; expressions,
 * task references and context variables are checked by inspect.ts.
 */

interface TaskTransition {
  /** Position in the task's `next` list (orquesta's transition `ref`). */
  index: number;
  when: string | undefined;
  publish: [string, Json][];
  /** Task names and engine commands (`fail`, `noop`, `continue`, `retry`); `continue` when left out. */
  do: string[];
  line: number | undefined;
}

interface ItemsSpec {
  /** The whole `items` text: `x in <% ... %>`, `x, y in <% zip(...) %>`, or a bare expression. */
  text: string;
  /** The expression that yields the list. */
  expression: string;
  /** Names given to each item (`x, y in ...`); undefined for a bare expression. */
  keys: string[] | undefined;
  concurrency: Json | undefined;
}

export interface RetrySpec {
  when: string | undefined;
  count: Json;
  delay: Json | undefined;
}

export interface TaskSpec {
  name: string;
  action: string | undefined;
  input: Json | undefined;
  next: TaskTransition[];
  join: 'all' | number | undefined;
  with: ItemsSpec | undefined;
  retry: RetrySpec | undefined;
  delay: Json | undefined;
  line: number | undefined;
}

export interface WorkflowSpec {
  file: string;
  pack: string;
  version: string;
  description: string | undefined;
  /** Declared inputs in order; `hasDefault` false for a bare name. */
  input: { name: string; default: Json; hasDefault: boolean }[];
  vars: [string, Json][];
  output: [string, Json][];
  tasks: Map<string, TaskSpec>;
  /** Line of each spec path (`tasks.t1.next[0].when`), for messages. */
  lines: Map<string, number>;
}

export const engineCommands = new Set(['continue', 'fail', 'noop', 'retry']);

const workflowKeys = new Set(['version', 'description', 'input', 'vars', 'output', 'tasks']);
const taskKeys = new Set(['delay', 'join', 'with', 'action', 'input', 'retry', 'next']);
const transitionKeys = new Set(['when', 'publish', 'do']);
const taskNamePattern = /^\w+$/;

class SpecReader {
  readonly problems: WorkflowProblem[] = [];
  readonly lines = new Map<string, number>();

  constructor(
    private readonly source: WorkflowSource,
    private readonly counter: LineCounter,
  ) {}

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.counter.linePos(offset).line;
  }

  problem(code: string, message: string, where: { node?: Node | null; path?: string; task?: string }): void {
    const entry: WorkflowProblem = { code, message, file: this.source.file };
    if (where.task !== undefined) entry.task = where.task;
    const line = this.lineOf(where.node) ?? (where.path === undefined ? undefined : this.lines.get(where.path));
    if (line !== undefined) entry.line = line;
    if (where.path !== undefined) entry.path = where.path;
    this.problems.push(entry);
  }

  /** The node's value as JSON data; YAML tags and anchors resolve as PyYAML's safe_load would. */
  json(node: Node | null | undefined): Json {
    if (node === null || node === undefined) return null;
    return node.toJSON() as Json;
  }

  /** Remembers the line of every entry under `node`, keyed by spec path. */
  record(path: string, node: Node | null | undefined): void {
    const line = this.lineOf(node);
    if (line !== undefined && !this.lines.has(path)) this.lines.set(path, line);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        const keyLine = this.lineOf(pair.key as Node);
        if (keyLine !== undefined) this.lines.set(`${path}.${key}`, keyLine);
        this.record(`${path}.${key}`, pair.value as Node);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => this.record(`${path}[${index}]`, item as Node));
    }
  }

  /** A list of one-key dicts (`vars`, `output`, `publish`), or for `input` also bare names. */
  oneKeyList(node: Node | null | undefined, path: string, allowNames: boolean): [string, Json, boolean][] {
    if (node === null || node === undefined) return [];
    if (!isSeq(node)) {
      this.problem('WORKFLOW_SYNTAX', `${path} must be a list of one-key mappings`, { node, path });
      return [];
    }
    const entries: [string, Json, boolean][] = [];
    const seen = new Set<string>();
    node.items.forEach((item, index) => {
      const itemNode = item as Node;
      if (allowNames && isScalar(itemNode) && typeof itemNode.value === 'string') {
        entries.push([itemNode.value, null, false]);
      } else if (isMap(itemNode) && itemNode.items.length === 1 && isScalar(itemNode.items[0]!.key)) {
        const pair = itemNode.items[0]!;
        entries.push([String((pair.key as { value: unknown }).value), this.json(pair.value as Node), true]);
      } else {
        this.problem('WORKFLOW_SYNTAX', `${path}[${index}] must be a mapping of one key${allowNames ? ' or a name' : ''}`, { node: itemNode, path: `${path}[${index}]` });
        return;
      }
      const name = entries[entries.length - 1]![0];
      if (seen.has(name)) this.problem('WORKFLOW_SYNTAX', `${path} names "${name}" twice`, { node: itemNode, path: `${path}[${index}]` });
      seen.add(name);
    });
    return entries;
  }

  transitions(taskName: string, node: Node | null | undefined): TaskTransition[] {
    const path = `tasks.${taskName}.next`;
    if (node === null || node === undefined) return [];
    if (!isSeq(node)) {
      this.problem('WORKFLOW_SYNTAX', `${path} must be a list`, { node, path, task: taskName });
      return [];
    }
    return node.items.flatMap((item, index): TaskTransition[] => {
      const itemPath = `${path}[${index}]`;
      const itemNode = item as Node;
      if (!isMap(itemNode)) {
        this.problem('WORKFLOW_SYNTAX', `${itemPath} must be a mapping`, { node: itemNode, path: itemPath, task: taskName });
        return [];
      }
      const fields = this.fields(itemNode, transitionKeys, itemPath, taskName);
      const when = fields.get('when');
      const whenValue = this.json(when);
      if (when !== undefined && (typeof whenValue !== 'string' || whenValue === '')) {
        this.problem('WORKFLOW_SYNTAX', `${itemPath}.when must be a non-empty string`, { node: when, path: `${itemPath}.when`, task: taskName });
      }
      const publishNode = fields.get('publish');
      const publishValue = this.json(publishNode);
      const publish: [string, Json][] =
        typeof publishValue === 'string'
          ? parseInlineParameters(publishValue)
          : this.oneKeyList(publishNode, `${itemPath}.publish`, false).map(([name, value]) => [name, value]);
      const doValue = this.json(fields.get('do'));
      let targets: string[] = ['continue'];
      if (typeof doValue === 'string' && doValue.trim() !== '') targets = doValue.split(',').map((name) => name.trim());
      else if (Array.isArray(doValue) && doValue.length > 0 && doValue.every((name) => typeof name === 'string')) targets = doValue as string[];
      else if (doValue !== null) this.problem('WORKFLOW_SYNTAX', `${itemPath}.do must be a task name or a list of task names`, { node: fields.get('do'), path: `${itemPath}.do`, task: taskName });
      return [{ index, when: typeof whenValue === 'string' ? whenValue : undefined, publish, do: targets, line: this.lineOf(itemNode) }];
    });
  }

  /** The entries of a mapping, reporting keys the schema does not allow. */
  fields(node: Node, allowed: Set<string>, path: string, task?: string): Map<string, Node> {
    const fields = new Map<string, Node>();
    if (!isMap(node)) return fields;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.has(key)) {
        this.problem('WORKFLOW_SYNTAX', `${path} has an unknown property "${key}"`, { node: pair.key as Node, path: `${path}.${key}`, ...(task === undefined ? {} : { task }) });
        continue;
      }
      fields.set(key, pair.value as Node);
    }
    return fields;
  }

  task(name: string, node: Node): TaskSpec | undefined {
    const path = `tasks.${name}`;
    if (!taskNamePattern.test(name)) this.problem('WORKFLOW_SYNTAX', `task name "${name}" must be letters, digits and underscores`, { node, path, task: name });
    if (node !== null && node !== undefined && !isMap(node)) {
      this.problem('WORKFLOW_SYNTAX', `${path} must be a mapping`, { node, path, task: name });
      return undefined;
    }
    const fields = node === null || node === undefined ? new Map<string, Node>() : this.fields(node, taskKeys, path, name);
    const actionValue = this.json(fields.get('action'));
    let action: string | undefined;
    let input = fields.has('input') ? this.json(fields.get('input')) : undefined;
    if (actionValue !== null) {
      if (typeof actionValue !== 'string' || actionValue.trim() === '') {
        this.problem('WORKFLOW_SYNTAX', `${path}.action must be a non-empty string`, { node: fields.get('action'), path: `${path}.action`, task: name });
      } else {
        // `action: core.echo message="hi"`: orquesta moves inline parameters into the input.
        const inline = parseInlineParameters(actionValue);
        const space = actionValue.indexOf(' ');
        action = inline.length > 0 && space > 0 ? actionValue.slice(0, space) : actionValue;
        if (inline.length > 0) input = Object.fromEntries(inline);
      }
    }
    if (input !== undefined && !(typeof input === 'string' && input !== '') && !(input !== null && typeof input === 'object' && !Array.isArray(input) && Object.keys(input).length > 0)) {
      this.problem('WORKFLOW_SYNTAX', `${path}.input must be a non-empty mapping or an expression`, { node: fields.get('input'), path: `${path}.input`, task: name });
      input = undefined;
    }
    const joinValue = this.json(fields.get('join'));
    let join: TaskSpec['join'];
    if (joinValue === 'all') join = 'all';
    else if (Number.isInteger(joinValue) && (joinValue as number) > 0) join = joinValue as number;
    else if (fields.has('join')) this.problem('WORKFLOW_SYNTAX', `${path}.join must be "all" or a positive integer`, { node: fields.get('join'), path: `${path}.join`, task: name });
    return {
      name,
      action,
      input,
      next: this.transitions(name, fields.get('next')),
      join,
      with: this.items(name, fields.get('with')),
      retry: this.retry(name, fields.get('retry')),
      delay: this.stringOrPositive(fields.get('delay'), `${path}.delay`, name),
      line: this.lineOf(node) === undefined ? undefined : this.lines.get(path),
    };
  }

  stringOrPositive(node: Node | undefined, path: string, task: string): Json | undefined {
    if (node === undefined) return undefined;
    const value = this.json(node);
    if ((typeof value === 'string' && value !== '') || (Number.isInteger(value) && (value as number) >= 0)) return value;
    this.problem('WORKFLOW_SYNTAX', `${path} must be a non-negative integer or an expression`, { node, path, task });
    return undefined;
  }

  items(task: string, node: Node | undefined): ItemsSpec | undefined {
    if (node === undefined) return undefined;
    const path = `tasks.${task}.with`;
    let itemsNode: Node | undefined = node;
    let concurrency: Json | undefined;
    if (isMap(node)) {
      const fields = this.fields(node, new Set(['items', 'concurrency']), path, task);
      itemsNode = fields.get('items');
      concurrency = this.stringOrPositive(fields.get('concurrency'), `${path}.concurrency`, task);
    }
    const text = this.json(itemsNode);
    if (typeof text !== 'string') {
      this.problem('WORKFLOW_SYNTAX', `${path}.items must be "x in <expression>" or an expression`, { node: itemsNode ?? node, path: `${path}.items`, task });
      return undefined;
    }
    const match = /^\s*((?:\w+\s*,\s*)*\w+)\s+in\s+([\s\S]+?)\s*$/.exec(text);
    if (match !== null && !match[1]!.includes('<%') && !match[1]!.includes('{{')) {
      return { text, expression: match[2]!, keys: match[1]!.split(',').map((key) => key.trim()), concurrency };
    }
    return { text, expression: text.trim(), keys: undefined, concurrency };
  }

  retry(task: string, node: Node | undefined): RetrySpec | undefined {
    if (node === undefined) return undefined;
    const path = `tasks.${task}.retry`;
    if (!isMap(node)) {
      this.problem('WORKFLOW_SYNTAX', `${path} must be a mapping`, { node, path, task });
      return undefined;
    }
    const fields = this.fields(node, new Set(['when', 'count', 'delay']), path, task);
    const when = this.json(fields.get('when'));
    if (!fields.has('count')) this.problem('WORKFLOW_SYNTAX', `${path}.count is required`, { node, path: `${path}.count`, task });
    return {
      when: typeof when === 'string' ? when : undefined,
      count: this.stringOrPositive(fields.get('count'), `${path}.count`, task) ?? 0,
      delay: this.stringOrPositive(fields.get('delay'), `${path}.delay`, task),
    };
  }
}

/**
 * PyYAML's booleans (what st2 reads workflows with): YAML 1.1's words but not its `y` and `n`,
 * which are plain strings there (a variable named `y` stays `y`).
 */
const pyyamlBool: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (value) => typeof value === 'boolean',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text),
};

/**
 * Reads the YAML text. Bad YAML, or YAML that is no mapping, throws WorkflowInspectionError; the
 * shape problems of the parts are returned with the spec, so inspection reports them with the rest.
 */
export function readWorkflowSpec(source: WorkflowSource): { spec: WorkflowSpec; problems: WorkflowProblem[] } {
  const counter = new LineCounter();
  const document = parseDocument(source.text, {
    lineCounter: counter,
    version: '1.1',
    uniqueKeys: true,
    prettyErrors: false,
    customTags: (tags) => [...tags.filter((tag) => typeof tag === 'string' || tag.tag !== pyyamlBool.tag), pyyamlBool],
  });
  const reader = new SpecReader(source, counter);
  let root = document.contents as Node | null;
  if (document.errors.length > 0) {
    // PyYAML (st2's reader) accepts some layouts this parser refuses, such as a quoted scalar whose
    // later lines are indented no deeper than its key; st2's own examples have them.
    const lenient = lenientLoad(source.text);
    if (lenient === undefined) {
      throw new WorkflowInspectionError(
        document.errors.map((error) => ({ code: 'WORKFLOW_YAML', message: `bad YAML: ${error.message.split('\n')[0]}`, file: source.file, line: counter.linePos(error.pos[0]).line })),
      );
    }
    root = new Document(lenient).contents as Node | null;
    recordTaskLinesFromText(source.text, reader.lines);
  }
  if (!isMap(root)) throw new WorkflowInspectionError([{ code: 'WORKFLOW_SYNTAX', message: 'a workflow must be a YAML mapping', file: source.file }]);
  for (const pair of root.items) {
    if (isScalar(pair.key)) reader.record(String(pair.key.value), pair.value as Node);
  }
  const fields = reader.fields(root, workflowKeys, '(workflow)');
  const version = reader.json(fields.get('version'));
  if (version !== 1 && version !== '1.0' && version !== '1') {
    reader.problem('WORKFLOW_SYNTAX', `version must be 1.0 (orquesta), not ${JSON.stringify(version)}`, { node: fields.get('version') ?? root, path: 'version' });
  }
  const tasksNode = fields.get('tasks');
  const tasks = new Map<string, TaskSpec>();
  if (!isMap(tasksNode) || tasksNode.items.length === 0) {
    reader.problem('WORKFLOW_SYNTAX', 'tasks must be a mapping of at least one task', { node: tasksNode ?? root, path: 'tasks' });
  } else {
    for (const pair of tasksNode.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      const task = reader.task(name, pair.value as Node);
      if (task !== undefined) tasks.set(name, { ...task, line: reader.lines.get(`tasks.${name}`) });
    }
  }
  const description = reader.json(fields.get('description'));
  const spec: WorkflowSpec = {
    file: source.file,
    pack: source.pack,
    version: '1.0',
    description: typeof description === 'string' ? description : undefined,
    input: reader.oneKeyList(fields.get('input'), 'input', true).map(([name, value, hasDefault]) => ({ name, default: value, hasDefault })),
    vars: reader.oneKeyList(fields.get('vars'), 'vars', false).map(([name, value]) => [name, value]),
    output: reader.oneKeyList(fields.get('output'), 'output', false).map(([name, value]) => [name, value]),
    tasks,
    lines: reader.lines,
  };
  return { spec, problems: reader.problems };
}

function lenientLoad(text: string): unknown {
  try {
    return loadYaml(text);
  } catch {
    return undefined;
  }
}

/** Without a syntax tree's positions: each task's line, found as its key under `tasks:`. */
function recordTaskLinesFromText(text: string, lines: Map<string, number>): void {
  const rows = text.split(/\r?\n/);
  const start = rows.findIndex((row) => /^tasks:\s*(#.*)?$/.test(row));
  if (start === -1) return;
  lines.set('tasks', start + 1);
  let indent: number | undefined;
  for (let index = start + 1; index < rows.length; index++) {
    const row = rows[index]!;
    if (/^\S/.test(row)) break;
    const match = /^(\s+)(\w+):/.exec(row);
    if (match === null) continue;
    indent ??= match[1]!.length;
    if (match[1]!.length === indent && !lines.has(`tasks.${match[2]}`)) lines.set(`tasks.${match[2]}`, index + 1);
  }
}
