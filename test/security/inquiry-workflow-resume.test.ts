import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, runThroughApi, waitFor } from '../workflows/workflow-stack.ts';

/**
 * An answered (or timed-out) inquiry resumes the root of the workflow it belongs to, as st2 does.
 * The attack: a caller starts an inquiry of their own that claims to belong to someone else's
 * paused workflow (a `parent` in the request, or the parent's id in its context) and answers it,
 * to resume that workflow without the right to. Only the engine sets an execution's `parent`; a
 * context naming one is refused, and one stored anyway is not read.
 */
let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/fixtures/st2-example-orquesta'], workflows: true });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('an inquiry claiming a workflow it does not belong to', () => {
  it('neither a parent in the request nor one in its context makes its answer resume that workflow', async () => {
    const victim = await runThroughApi(stack, 'examples.orquesta-ask-basic');
    await waitFor(stack, victim.id, ['paused']);
    const schema = { type: 'object', properties: { approved: { type: 'boolean' } } };
    const withParent = await stack.call('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema }, parent: victim.id });
    // Refused outright, or the field is not taken: either way the record has no parent.
    if (withParent.statusCode === 201) expect(withParent.json<St2Execution>().parent).toBeUndefined();
    else expect(withParent.statusCode).toBe(400);
    const viaContext = await stack.call('POST', '/api/v1/executions', {
      action: 'core.ask',
      parameters: { schema },
      context: { parent: { execution_id: victim.id }, orquesta: { task_name: 'get_approval' } },
    });
    expect(viaContext.statusCode, viaContext.body).toBe(400);
    expect(viaContext.json()).toMatchObject({ code: 'EXECUTION_CONTEXT_RESERVED', details: { field: 'context.parent' } });
    // A record that names the workflow in its context anyway (stored before the API refused it).
    const created = await stack.call('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema } });
    expect(created.statusCode, created.body).toBe(201);
    const forged = created.json<St2Execution>();
    const stored = (await stack.store.executions.get(forged.id))!;
    await stack.store.executions.update({ id: forged.id }, { set: { context: { ...stored.context, parent: { execution_id: victim.id } } } });
    await retryUntil(async () => (await stack.store.executions.get(forged.id))?.status === 'pending', { what: 'the forged inquiry pending' });
    expect((await stack.call('PUT', `/api/v1/inquiries/${forged.id}`, { response: { approved: true } })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await waitFor(stack, victim.id, ['paused'])).status).toBe('paused');
    const [, ask] = await childrenOf(stack, victim.id);
    expect(ask).toMatchObject({ action: { ref: 'core.ask' }, status: 'pending' });
  }, 60_000);
});
