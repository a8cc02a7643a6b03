import { afterEach, expect, it } from 'vitest';
import { PackrunError, type St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';

/**
 * A distributed runner whose API stays away longer than one call's retries (a minute) keeps the
 * execution's end and tries again until the API takes it: given up, the request would come back
 * to the same runner, be skipped as its own, and the execution would stay running for ever.
 * The API's absence is injected into the ledger (the error the HTTP ledger raises once a call's
 * retries run out), since the test cannot wait out real minutes; everything else is real.
 */
let stack: ServiceStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

it("holds an execution's end while the API does not answer, and records it once the API is back", async () => {
  let refusals = 3;
  const attempts: string[] = [];
  stack = await startStack({
    packs: ['core'],
    runnerLedger: (ledger) => ({
      ...ledger,
      async complete(request) {
        attempts.push(request.executionId);
        if (refusals > 0) {
          refusals -= 1;
          throw new PackrunError('RUNNER_API_UNREACHABLE', 'the API at http://api.invalid did not answer POST /api/v1/runners/x/complete', { userError: false });
        }
        await ledger.complete(request);
      },
    }),
  });
  const created = await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo held' } });
  expect(created.statusCode).toBe(201);
  const id = (created.json() as St2Execution).id;
  await retryUntil(() => attempts.length >= 2, { withinMs: 30_000, what: 'the runner trying to record the end twice' });
  // Meanwhile the runner still holds it: the execution is running, not handed back or lost.
  expect(stack.runner.running()).toContain(id);
  expect(((await stack.call('GET', `/api/v1/executions/${id}`)).json() as St2Execution).status).toBe('running');
  let record: St2Execution | undefined;
  await retryUntil(async () => {
    record = (await stack!.call('GET', `/api/v1/executions/${id}`)).json() as St2Execution;
    return record.status !== 'running';
  }, { withinMs: 30_000, what: 'the execution recorded once the API is back' });
  expect(record!.status).toBe('succeeded');
  expect(record!.result?.['stdout']).toBe('held');
  expect(attempts).toEqual([id, id, id, id]);
  expect(stack.runner.running()).toEqual([]);
}, 60_000);
