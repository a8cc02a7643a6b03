import { describe, expect, it } from 'vitest';
import { inquiryFields, readAction, readEnforcement, readExecution, readInquiry, readOutputChunk, readPack, readRule } from './shapes.ts';

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

  it("keeps an execution's action file, and none for Packrun's own operations (the page draws no graph for those)", () => {
    const workflow = readExecution({ id: 'e2', action: { ref: 'examples.flow', runner_type: 'orquesta', entry_point: 'workflows/flow.yaml' }, status: 'running', log: [] });
    expect(workflow.action.entry_point).toBe('workflows/flow.yaml');
    const install = readExecution({ id: 'e3', action: { ref: 'packs.install', pack: 'packs', name: 'install', uid: 'action:packs:install', runner_type: 'orquesta' }, status: 'running', log: [] });
    expect(install.action).not.toHaveProperty('entry_point');
  });

  it('refuses a record without an id rather than show a broken row', () => {
    expect(() => readExecution({ action: 'x.y' })).toThrow();
    expect(() => readExecution('<img src=x>')).toThrow();
  });

  it('reads actions', () => {
    expect(readAction({ ref: 'core.local', pack: 'core', name: 'local', runner_type: 'local-shell-cmd', enabled: true, parameters: { cmd: { type: 'string' } } })).toMatchObject({
      runner_type: 'local-shell-cmd',
      parameters: { cmd: { type: 'string' } },
    });
    expect(readAction({ ref: 'core.local', runner_type: 'local-shell-cmd', entry_point: 'x.sh', enabled: false })).toMatchObject({ pack: 'core', runner_type: 'local-shell-cmd', entry_point: 'x.sh', enabled: false });
  });

  it("reads st2's output events, and nothing else", () => {
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'stdout', data: 'a' })).toEqual({ executionId: 'e1', stream: 'stdout', data: 'a' });
    expect(readOutputChunk({ executionId: 'e1', stream: 'stderr', seq: 0, data: 'b' })).toBeUndefined();
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'other', data: 'a' })).toBeUndefined();
    expect(readOutputChunk({ execution_id: 'e1', output_type: 'stdout', data: 5 })).toBeUndefined();
  });

  it("turns an inquiry's schema into the run form's fields, required from either spelling", () => {
    const inquiry = readInquiry({
      id: 'i1',
      route: '',
      ttl: 0,
      users: ['alice', 5],
      roles: [],
      schema: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'boolean', required: true }, c: { type: 'integer' }, bad: 'x' }, required: ['a'] },
    });
    expect(inquiry.users).toEqual(['alice']);
    expect(inquiryFields(inquiry)).toEqual({ a: { type: 'string', required: true }, b: { type: 'boolean', required: true }, c: { type: 'integer', required: false } });
    expect(() => readInquiry({ schema: {} })).toThrow();
  });

  it('reads packs, rules and enforcements', () => {
    expect(readPack({ ref: 'p', name: 'p', version: '1.0.0', source: '/srv/p', python_versions: ['3'] })).toMatchObject({ ref: 'p', version: '1.0.0', source: '/srv/p', python_versions: ['3'] });
    expect(readRule({ ref: 'p.r', name: 'r', pack: 'p', enabled: false, trigger: { type: 't' }, criteria: {}, action: { ref: 'core.local' } })).toMatchObject({ ref: 'p.r', enabled: false, trigger: { type: 't' }, action: { ref: 'core.local' } });
    expect(readEnforcement({ id: 'x', rule: { ref: 'p.r' }, trigger_instance_id: 't1', execution_id: 'e1', enforced_at: 'now', status: 'succeeded' })).toEqual({
      id: 'x', rule_ref: 'p.r', trigger_instance_id: 't1', execution_id: 'e1', enforced_at: 'now', status: 'succeeded',
    });
    expect(() => readRule({ name: 'r' })).toThrow();
  });

  it("reads a pack's environment: the interpreter it was built with, and a later install's build", () => {
    const environment = {
      kind: 'python',
      state: 'ready',
      python: { implementation: 'cpython', version: '3.11.7', name: 'CPython 3.11.7' },
      built_at: '2026-01-02T03:04:05.000Z',
      build: { state: 'failed', execution_id: 'e9', at: '2026-01-03T00:00:00.000Z', error: { code: 'PACK_ENV_BUILD_FAILED', message: 'building failed' } },
    };
    expect(readPack({ ref: 'p', version: '1.0.0', python_versions: ['3.8'], environment }).environment).toEqual({
      kind: 'python',
      state: 'ready',
      python: 'CPython 3.11.7',
      builtAt: '2026-01-02T03:04:05.000Z',
      build: { state: 'failed', executionId: 'e9', error: { code: 'PACK_ENV_BUILD_FAILED', message: 'building failed' } },
    });
    expect(readPack({ ref: 'n', version: '1', environment: { kind: 'node', state: 'ready', build: { state: 'building', execution_id: 'e10' } } }).environment).toEqual({
      kind: 'node',
      state: 'ready',
      build: { state: 'building', executionId: 'e10' },
    });
    // What the page cannot show truthfully is left out, never guessed.
    expect(readPack({ ref: 'q', version: '1' }).environment).toBeUndefined();
    expect(readPack({ ref: 'q', version: '1', environment: { kind: 'conda', state: 'ready' } }).environment).toBeUndefined();
    expect(readPack({ ref: 'q', version: '1', environment: { kind: 'python', state: 'installing' } }).environment).toBeUndefined();
    expect(readPack({ ref: 'q', version: '1', environment: { kind: 'python', state: 'ready', build: { state: 'queued', execution_id: 'e' } } }).environment).toEqual({ kind: 'python', state: 'ready' });
  });
});
