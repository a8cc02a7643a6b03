import type { St2Execution } from '@packrun/core';

/** The task a child execution ran for its workflow: Orquesta's task name, the chain's node name. */
function taskName(record: St2Execution): string | undefined {
  const orquesta = record.context['orquesta'];
  if (typeof orquesta === 'object' && orquesta !== null && typeof (orquesta as Record<string, unknown>)['task_name'] === 'string') {
    return (orquesta as Record<string, string>)['task_name'];
  }
  const chain = record.context['chain'];
  if (typeof chain === 'object' && chain !== null && typeof (chain as Record<string, unknown>)['name'] === 'string') {
    return (chain as Record<string, string>)['name'];
  }
  return undefined;
}

function duration(record: St2Execution, now: number): string {
  if (record.elapsed_seconds !== undefined) return `${record.elapsed_seconds.toFixed(2)}s`;
  return `${((now - Date.parse(record.start_timestamp)) / 1000).toFixed(2)}s+`;
}

/**
 * The workflow's tasks as a tree, one line per child execution (its children indented under it):
 * task name, action, status, time taken (`+` while it runs) and execution id.
 */
export function executionTree(root: St2Execution, descendants: St2Execution[], now = Date.now()): string[] {
  const byParent = new Map<string, St2Execution[]>();
  for (const record of descendants) {
    const parent = record.parent ?? root.id;
    byParent.set(parent, [...(byParent.get(parent) ?? []), record]);
  }
  const lines: string[] = [];
  const walk = (parent: string, indent: string): void => {
    const children = byParent.get(parent) ?? [];
    children.forEach((child, index) => {
      const last = index === children.length - 1;
      const name = taskName(child);
      lines.push(`${indent}${last ? '└─' : '├─'} ${name === undefined ? '' : `${name}: `}${child.action.ref}  ${child.status}  ${duration(child, now)}  ${child.id}`);
      walk(child.id, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(root.id, '');
  return lines;
}
