import { describe, expect, it } from 'vitest';
import { layOut, workflowGraph, WorkflowGraphError } from './workflow-graph.ts';

describe('a workflow definition read into a task graph', () => {
  it("reads Orquesta's next: do lists and comma strings, kinds from when, engine commands drawing no edge", () => {
    const graph = workflowGraph('orquesta', {
      tasks: {
        a: { next: [{ when: '<% succeeded() %>', do: 'b, c' }, { when: '{{ failed() }}', do: ['fail'] }] },
        b: { next: [{ do: ['d'] }] },
        c: { next: [{ when: '<% ctx().x > 1 %>', do: 'd' }] },
        d: {},
      },
    });
    expect(graph.tasks).toEqual(['a', 'b', 'c', 'd']);
    expect(graph.transitions).toEqual([
      { from: 'a', to: 'b', kind: 'success', when: '<% succeeded() %>' },
      { from: 'a', to: 'c', kind: 'success', when: '<% succeeded() %>' },
      { from: 'b', to: 'd', kind: 'always' },
      { from: 'c', to: 'd', kind: 'condition', when: '<% ctx().x > 1 %>' },
    ]);
    expect(layOut(graph).tasks).toEqual([
      { name: 'a', row: 0, column: 0 },
      { name: 'b', row: 1, column: 0 },
      { name: 'c', row: 1, column: 1 },
      { name: 'd', row: 2, column: 0 },
    ]);
  });

  it('puts a task below the longest way to it and breaks a retry loop instead of looping', () => {
    const graph = workflowGraph('orquesta', {
      tasks: {
        start: { next: [{ do: 'long1, end' }] },
        long1: { next: [{ do: 'long2' }] },
        long2: { next: [{ do: 'end' }, { when: '<% failed() %>', do: 'long1' }] },
        end: {},
      },
    });
    const layout = layOut(graph);
    expect(layout.tasks.find((task) => task.name === 'end')?.row).toBe(3);
    expect([...layout.backward]).toEqual([{ from: 'long2', to: 'long1', kind: 'failure', when: '<% failed() %>' }]);
  });

  it("reads an action chain's links, starting at default", () => {
    const graph = workflowGraph('action-chain', {
      default: 'b',
      chain: [{ name: 'a' }, { name: 'b', 'on-success': 'a', 'on-failure': 'c' }, { name: 'c', 'on-success': 'nowhere' }],
    });
    expect(graph.tasks).toEqual(['b', 'a', 'c']);
    expect(graph.transitions).toEqual([
      { from: 'b', to: 'a', kind: 'success' },
      { from: 'b', to: 'c', kind: 'failure' },
    ]);
  });

  it('refuses a file that is not a workflow', () => {
    expect(() => workflowGraph('orquesta', ['a'])).toThrow(WorkflowGraphError);
    expect(() => workflowGraph('orquesta', { version: 1 })).toThrow('the workflow has no tasks');
    expect(() => workflowGraph('action-chain', { chain: 'x' })).toThrow('the action chain has no chain');
  });
});
