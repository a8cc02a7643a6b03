import { describe, expect, it } from 'vitest';
import { readAction, readExecution, readOutputChunk, readStatusChange } from './shapes.ts';

describe("reading the API's records", () => {
  it("reads an execution in StackStorm's shape as it is", () => {
    const raw = {
      id: 'e1',
      action: { ref: 'core.local', pack: 'core', name: 'local', runner_type: 'local-shell-cmd' },
      status: 'succeeded',
      start_timestamp: '2026-01-02T03:04:05.000000Z',
      end_timestamp: '2026-01-02T03:04:06.000000Z',
      elapsed_seconds: 1.5,
      parameters: { cmd: 'date' },
      context: { user: 'alice' },
      result: { stdout: 'x' },
      log: [{ status: 'requested', timestamp: '2026-01-02T03:04:05.000000Z' }],
      rule: { ref: 'examples.r' },
    };
    expect(readExecution(raw)).toMatchObject({
      id: 'e1',
      action: { ref: 'core.local', pack: 'core', name: 'local', runner_type: 'local-shell-cmd' },
      start_timestamp: raw.start_timestamp,
      end_timestamp: raw.end_timestamp,
      elapsed_seconds: 1.5,
      context: { user: 'alice' },
      result: { stdout: 'x' },
      log: raw.log,
      rule: { ref: 'examples.r' },
      raw,
    });
  });

  it("reads an execution in Packrun's earlier shape into StackStorm's", () => {
    const execution = readExecution({
      id: 'e2',
      action: 'examples.hello',
      pack: 'examples',
      runnerType: 'python-script',
      status: 'running',
      createdAt: '2026-01-02T03:04:05.000Z',
      durationMs: 2500,
      parameters: {},
      context: {},
      user: 'bob',
      rule: 'examples.on_tick',
      log: [{ status: 'running', at: '2026-01-02T03:04:06.000Z' }],
    });
    expect(execution).toMatchObject({
      action: { ref: 'examples.hello', pack: 'examples', name: 'hello', runner_type: 'python-script' },
      start_timestamp: '2026-01-02T03:04:05.000Z',
      elapsed_seconds: 2.5,
      context: { user: 'bob' },
      rule: { ref: 'examples.on_tick' },
      log: [{ status: 'running', timestamp: '2026-01-02T03:04:06.000Z' }],
    });
    expect(execution.end_timestamp).toBeUndefined();
  });

  it('refuses a record without an id rather than show a broken row', () => {
    expect(() => readExecution({ action: 'x.y' })).toThrow();
    expect(() => readExecution('<img src=x>')).toThrow();
  });

  it('reads actions in either shape', () => {
    expect(readAction({ ref: 'core.local', pack: 'core', name: 'local', runner_type: 'local-shell-cmd', enabled: true, parameters: { cmd: { type: 'string' } } })).toMatchObject({
      runner_type: 'local-shell-cmd',
      parameters: { cmd: { type: 'string' } },
    });
    expect(readAction({ ref: 'core.local', runnerType: 'local-shell-cmd', entryPoint: 'x.sh', enabled: false })).toMatchObject({ pack: 'core', runner_type: 'local-shell-cmd', entry_point: 'x.sh', enabled: false });
  });

  it("reads output events under st2's names and Packrun's earlier ones, and nothing else", () => {
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'stdout', data: 'a' })).toEqual({ executionId: 'e1', stream: 'stdout', data: 'a' });
    expect(readOutputChunk({ executionId: 'e1', stream: 'stderr', seq: 0, data: 'b' })).toEqual({ executionId: 'e1', stream: 'stderr', data: 'b' });
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'other', data: 'a' })).toBeUndefined();
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'stdout', data: 5 })).toBeUndefined();
    expect(readStatusChange({ executionId: 'e1', status: 'failed', at: 't', changes: { endedAt: 'u' } })).toEqual({ id: 'e1', status: 'failed', at: 't', changes: { endedAt: 'u' } });
    expect(readStatusChange({ id: 'e1' })).toBeUndefined();
  });
});
