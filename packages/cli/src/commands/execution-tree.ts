import type { ExecutionRecord } from '@packrun/core';

/** The task a child execution ran for its workflow: Orquesta's task name, the chain's node name. */
function taskName(record: ExecutionRecord): string | undefined {
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

function duration(record: ExecutionRecord, now: number): string {
  if (record.durationMs !== undefined) return `${(record.durationMs / 1000).toFixed(2)}s`;
  const started = record.startedAt ?? record.createdAt;
  const end = record.endedAt === undefined ? now : Date.parse(record.endedAt);
  return `${((end - Date.parse(started)) / 1000).toFixed(2)}s${record.endedAt === undefined ? '+' : ''}`;
}

/**
 * The workflow's tasks as a tree, one line per child execution (its children indented under it):
 * task name, action, status, time taken (`+` while it runs) and execution id.
 */
export function executionTree(root: ExecutionRecord, descendants: ExecutionRecord[], now = Date.now()): string[] {
  const byParent = new Map<string, ExecutionRecord[]>();
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
      lines.push(`${indent}${last ? '└─' : '├─'} ${name === undefined ? '' : `${name}: `}${child.action}  ${child.status}  ${duration(child, now)}  ${child.id}`);
      walk(child.id, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(root.id, '');
  return lines;
}
