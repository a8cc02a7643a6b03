import { isTemplate, parseYaml } from '@packrun/core';
import { WorkflowInspectionError, type Json, type WorkflowProblem, type WorkflowSource } from '../driver.ts';

/** One node of a chain, as StackStorm's ActionChain model reads it (st2common/models/system/actionchain.py). */
export interface ChainNode {
  name: string;
  ref: string;
  parameters: Record<string, Json>;
  onSuccess?: string;
  onFailure?: string;
  publish?: Record<string, Json>;
  /** The node's fields as written, which a child sees as `context.chain` (StackStorm's `vars(node)`). */
  raw: Record<string, Json>;
}

export interface ChainDefinition {
  file: string;
  nodes: ChainNode[];
  /** The first node run: `default`, else the first node no other node leads to, else the first. */
  start: string | undefined;
  vars: Record<string, Json>;
}

const chainKeys = new Set(['chain', 'default', 'vars']);

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The 1-based line of the node named `name` (`name: <name>` in the file), when it can be found. */
function lineOfNode(text: string, name: string): number | undefined {
  const lines = text.split('\n');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*(-\\s*)?name:\\s*["']?${escaped}["']?\\s*(#.*)?$`);
  const index = lines.findIndex((line) => pattern.test(line));
  return index < 0 ? undefined : index + 1;
}

function lineOfKey(text: string, key: string): number | undefined {
  const index = text.split('\n').findIndex((line) => new RegExp(`^\\s*${key}\\s*:`).test(line));
  return index < 0 ? undefined : index + 1;
}

/**
 * Reads and checks a chain file before anything runs: its shape, each node's name, ref and
 * parameters, and that `on-success`, `on-failure` and `default` name nodes of the chain (as
 * StackStorm's ChainHolder.validate does, except that a Jinja node name is left for run time).
 */
export function inspectChain(source: WorkflowSource): ChainDefinition {
  const problems: WorkflowProblem[] = [];
  const problem = (message: string, extra: Partial<WorkflowProblem> = {}): void => {
    problems.push({ code: 'WORKFLOW_INVALID', message, file: source.file, ...extra });
  };
  const read = parseYaml(source.text, source.file);
  if (!read.ok) {
    const line = /\((\d+):\d+\)/.exec(read.message)?.[1];
    throw new WorkflowInspectionError([{ code: 'WORKFLOW_INVALID', message: read.message, file: source.file, ...(line ? { line: Number(line) } : {}) }]);
  }
  const value = read.value;
  if (!isObject(value)) throw new WorkflowInspectionError([{ code: 'WORKFLOW_INVALID', message: 'a chain file is a mapping with a `chain` list', file: source.file }]);
  for (const key of Object.keys(value)) {
    if (!chainKeys.has(key)) problem(`unknown field "${key}" (a chain has chain, default and vars)`, { path: key, ...lineAt(lineOfKey(source.text, key)) });
  }
  const chain = value['chain'];
  if (!Array.isArray(chain)) {
    problem('`chain` must be a list of nodes', { path: 'chain', ...lineAt(lineOfKey(source.text, 'chain')) });
    throw new WorkflowInspectionError(problems);
  }
  const vars = value['vars'] ?? {};
  if (!isObject(vars)) problem('`vars` must be a mapping', { path: 'vars', ...lineAt(lineOfKey(source.text, 'vars')) });
  const defaultNode = value['default'];
  if (defaultNode !== undefined && defaultNode !== null && typeof defaultNode !== 'string') problem('`default` must be a node name', { path: 'default' });

  const nodes: ChainNode[] = [];
  chain.forEach((item, index) => {
    const path = `chain[${index}]`;
    if (!isObject(item)) {
      problem(`${path} must be a mapping`, { path });
      return;
    }
    const name = item['name'];
    if (typeof name !== 'string' || name === '') {
      problem(`${path} needs a "name"`, { path: `${path}.name` });
      return;
    }
    const where = { task: name, path, ...lineAt(lineOfNode(source.text, name)) };
    if (nodes.some((node) => node.name === name)) problem(`node "${name}" is defined twice`, where);
    const ref = item['ref'];
    if (typeof ref !== 'string' || ref === '') problem(`node "${name}" needs a "ref" (the action to run)`, where);
    const params = item['params'];
    const parameters = item['parameters'];
    if (params !== undefined && params !== null && parameters !== undefined && parameters !== null && isObject(params) && isObject(parameters) && Object.keys(params).length > 0 && Object.keys(parameters).length > 0) {
      problem(`node "${name}": either "params" or "parameters", not both`, where);
    }
    const given = parameters ?? params ?? {};
    if (!isObject(given)) problem(`node "${name}": parameters must be a mapping`, where);
    for (const field of ['on-success', 'on-failure'] as const) {
      const next = item[field];
      if (next !== undefined && next !== null && typeof next !== 'string') problem(`node "${name}": "${field}" must be a node name`, where);
    }
    const publish = item['publish'];
    if (publish !== undefined && publish !== null && !isObject(publish)) problem(`node "${name}": publish must be a mapping`, where);
    const node: ChainNode = {
      name,
      ref: typeof ref === 'string' ? ref : '',
      parameters: isObject(given) ? given : {},
      raw: item,
    };
    if (typeof item['on-success'] === 'string' && item['on-success'] !== '') node.onSuccess = item['on-success'];
    if (typeof item['on-failure'] === 'string' && item['on-failure'] !== '') node.onFailure = item['on-failure'];
    if (isObject(publish)) node.publish = publish;
    nodes.push(node);
  });

  const names = new Set(nodes.map((node) => node.name));
  const known = (name: string | undefined): boolean => name === undefined || isTemplate(name) || names.has(name);
  for (const node of nodes) {
    const where = { task: node.name, ...lineAt(lineOfNode(source.text, node.name)) };
    if (!known(node.onSuccess)) problem(`node "${node.name}" leads on success to "${node.onSuccess}", which is not a node of this chain`, where);
    if (!known(node.onFailure)) problem(`node "${node.name}" leads on failure to "${node.onFailure}", which is not a node of this chain`, where);
  }
  if (typeof defaultNode === 'string' && defaultNode !== '' && !known(defaultNode)) {
    problem(`default "${defaultNode}" is not a node of this chain`, { path: 'default', ...lineAt(lineOfKey(source.text, 'default')) });
  }
  if (problems.length > 0) throw new WorkflowInspectionError(problems);
  return { file: source.file, nodes, start: startNode(nodes, typeof defaultNode === 'string' && defaultNode !== '' ? defaultNode : undefined), vars: isObject(vars) ? vars : {} };
}

function lineAt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

function startNode(nodes: ChainNode[], declared: string | undefined): string | undefined {
  if (declared !== undefined) return declared;
  if (nodes.length === 0) return undefined;
  const referenced = new Set(nodes.flatMap((node) => [node.onSuccess, node.onFailure]));
  return (nodes.find((node) => !referenced.has(node.name)) ?? nodes[0])?.name;
}
