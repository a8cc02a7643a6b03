import { describe, expect, it } from 'vitest';
import type { JobExit } from '@packrun/core';
import { wrapperOutcome } from './wrapper-outcome.ts';

function exit(extra: Partial<JobExit> = {}): JobExit {
  return { exitCode: 0, exitSignal: null, stdout: 'out', stderr: 'err', truncated: { stdout: false, stderr: false }, outputRuns: [[0, 3], [1, 3]], durationMs: 5, pid: 1, ...extra };
}

describe('wrapperOutcome', () => {
  it('lets an explicit success flag decide when the process exited 0', () => {
    expect(wrapperOutcome(exit(), { result: { result: 1, success: null } }, 10).status).toBe('succeeded');
    expect(wrapperOutcome(exit(), { result: { result: 1, success: false } }, 10).status).toBe('failed');
    expect(wrapperOutcome(exit({ exitCode: 2 }), { result: { result: 1, success: true } }, 10).status).toBe('failed');
  });

  it('always says timeout for a job stopped at its timeout, even one that reported a result', () => {
    const outcome = wrapperOutcome(exit({ exitCode: null, exitSignal: 'SIGKILL', stopReason: 'timeout' }), { result: { result: 1, success: true } }, 7);
    expect(outcome.status).toBe('timeout');
    expect(outcome.result).toMatchObject({ exit_code: -9, error: 'Action failed to complete in 7 seconds' });
  });

  it('fails a job that exits 0 without a result, or that broke the protocol', () => {
    expect(wrapperOutcome(exit(), {}, 10)).toMatchObject({ status: 'failed', result: { error: 'Action exited without reporting a result' } });
    expect(wrapperOutcome(exit(), { result: { result: 1, success: true }, violation: 'more than one result' }, 10).status).toBe('failed');
    expect(wrapperOutcome(exit({ protocolError: 'frame too big' }), {}, 10).result['error']).toMatch(/frame too big/);
  });

  it('reports a raised error with its traceback', () => {
    const outcome = wrapperOutcome(exit({ exitCode: 1 }), { error: { type: 'ValueError', message: 'bad', traceback: 'Traceback...' } }, 10);
    expect(outcome).toMatchObject({ status: 'failed', result: { result: null, error: 'ValueError: bad', traceback: 'Traceback...', exit_code: 1 } });
  });
});
