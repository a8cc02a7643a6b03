import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '@packrun/core';
import { apiProbePackDir, packCodeApiFixture, resultOf, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';

/**
 * Issue 15 (jinja.render_file's include_execution): a pack-code token reads the executions its own
 * descends from (its workflows, the execution whose pack code started it) besides itself and what
 * it started. As an attacker holding pack code: a sibling task, an unrelated execution, and a
 * lineage forged in the context a caller gives POST /v1/executions (`started_by_execution`, a
 * `parent`) stay unreadable. Pack `apiprobe` (in PACKRUN_ACTION_API_PACKS) runs as the tasks of
 * `apifamily.family` inside a real `packrun up` with every sandbox layer.
 */
type Call = { status: number; body: unknown };

let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
let unrelated = '';

beforeAll(async () => {
  const made = await packCodeApiFixture({ warm: false, packs: [apiProbePackDir, path.join(import.meta.dirname, 'fixtures', 'apifamily')] });
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  fixture = made.fixture;
  unrelated = (await fixture.execute('apiprobe.probe', { case: 'hold', seconds: 0 })).id;
}, 400_000);

afterAll(async () => {
  await fixture?.close();
});

describe.runIf(process.getuid?.() === 0)("a pack-code token and the executions its own descends from", () => {
  it('reads its workflow, never its sibling task or an unrelated execution', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const workflow = await fixture!.execute('apifamily.family', { other: unrelated });
    expect(workflow.status, JSON.stringify(workflow.result)).toBe('succeeded');
    const output = (workflow.result as { output: { reads: Call[]; sibling: string } }).output;
    expect(output.sibling).toEqual(expect.any(String));
    expect(output.reads.map((read) => read.status)).toEqual([200, 404, 404]);
    expect((output.reads[0]!.body as ExecutionRecord).id).toBe(workflow.id);
  });

  it('a lineage a caller writes into the context is dropped: the started execution reads nothing through it', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const created = await fixture!.api.call<ExecutionRecord>('POST', '/api/v1/executions', {
      action: 'apiprobe.probe',
      parameters: { case: 'calls', calls: [['GET', `/v1/executions/${unrelated}`]] },
      context: { started_by_execution: unrelated },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.context['started_by_execution']).toBeUndefined();
    const [read] = resultOf<Call[]>(await fixture!.waitFor(created.body.id));
    expect(read?.status, JSON.stringify(read)).toBe(404);
  });

  it("pack code cannot forge its child's lineage either (started_by_execution and parent given in the context)", async (context) => {
    if (skipReason) return context.skip(skipReason);
    const request = (given: Record<string, unknown>) => ['POST', '/v1/executions', {
      action: 'apiprobe.probe',
      parameters: { case: 'calls', calls: [['GET', `/v1/executions/${unrelated}`]] },
      context: given,
    }];
    const starter = await fixture!.execute('apiprobe.probe', {
      case: 'calls',
      calls: [request({ parent: { execution_id: unrelated } }), request({ started_by_execution: unrelated })],
    });
    const [refused, started] = resultOf<Call[]>(starter);
    // A parent is the runtime's to record: refused, naming it (forged-parent-context.test.ts).
    expect(refused, JSON.stringify(refused)).toMatchObject({ status: 400, body: { code: 'EXECUTION_CONTEXT_RESERVED', details: { field: 'context.parent' } } });
    expect(started?.status, JSON.stringify(started)).toBe(201);
    const child = await fixture!.waitFor((started!.body as ExecutionRecord).id);
    expect(child.context['started_by_execution']).toBe(starter.id);
    expect(child.parent).toBeUndefined();
    const [read] = resultOf<Call[]>(child);
    expect(read?.status, JSON.stringify(read)).toBe(404);
  });
});
