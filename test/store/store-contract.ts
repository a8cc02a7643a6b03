import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import {
  applyRetention,
  isPackrunError,
  loadConfig,
  purgeExecutions,
  retentionPolicy,
  maxRecordDepth,
  openExecutionOutput,
  openExecutionResult,
  prepareResult,
  readExecutionResult,
  type ExecutionRecord,
  type ExecutionStatus,
  type RuleEnforcementRecord,
  type Store,
  type TriggerInstanceRecord,
  type WorkflowRecord,
} from '@packrun/core';

/**
 * The behaviour every Store must have. Each test gets a fresh, empty store from `open`; the suite
 * closes it afterwards.
 */
export function storeContract(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  let seq = 0;
  function execution(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
    seq += 1;
    return {
      id: `ex-${String(seq).padStart(4, '0')}`,
      action: 'core.echo',
      pack: 'core',
      parameters: { message: 'hi' },
      status: 'requested',
      log: [{ status: 'requested', at: '2026-01-01T00:00:00.000Z' }],
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      context: {},
      ...overrides,
    };
  }

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      return isPackrunError(error) ? error.code : `not a PackrunError: ${String(error)}`;
    }
    return 'no error';
  }

  describe('CRUD', () => {
    it('inserts, reads, replaces, updates and removes records', async () => {
      const record = execution({ result: { stdout: 'x' } });
      expect(await store.executions.insert(record)).toEqual(record);
      expect(await store.executions.get(record.id)).toEqual(record);
      expect(await store.executions.get('missing')).toBeUndefined();

      const replaced = { ...execution({ id: record.id }), status: 'running' as const };
      await store.executions.put(replaced);
      const afterPut = await store.executions.get(record.id);
      expect(afterPut?.status).toBe('running');
      expect(afterPut?.result).toBeUndefined();

      const created = execution();
      await store.executions.put(created);
      expect(await store.executions.count({})).toBe(2);

      expect(await store.executions.update({ id: created.id }, { set: { runnerId: 'r1' } })).toBe(1);
      expect((await store.executions.get(created.id))?.runnerId).toBe('r1');
      expect(await store.executions.update({ id: 'missing' }, { set: { runnerId: 'r1' } })).toBe(0);

      expect(await store.executions.remove({ id: record.id })).toBe(1);
      expect(await store.executions.get(record.id)).toBeUndefined();
      expect(await store.executions.remove({})).toBe(1);
      expect(await store.executions.count({})).toBe(0);
    });

    it('refuses a second record with the same id', async () => {
      const record = execution();
      await store.executions.insert(record);
      expect(await codeOf(store.executions.insert({ ...record, status: 'running' }))).toBe('STORE_DUPLICATE_ID');
      expect((await store.executions.get(record.id))?.status).toBe('requested');
    });

    it('sets, unsets and pushes in one update and returns the changed record from updateOne', async () => {
      const record = execution({ runnerId: 'old' });
      await store.executions.insert(record);
      const updated = await store.executions.updateOne(
        { id: record.id },
        { set: { status: 'scheduled' }, unset: ['runnerId'], push: { log: { status: 'scheduled', at: '2026-01-01T00:00:05.000Z' } } },
      );
      expect(updated?.status).toBe('scheduled');
      expect(updated?.runnerId).toBeUndefined();
      expect(updated?.log.map((entry) => entry.status)).toEqual(['requested', 'scheduled']);
      expect(await store.executions.get(record.id)).toEqual(updated);
      expect(await store.executions.updateOne({ id: 'missing' }, { set: { status: 'running' } })).toBeUndefined();
    });

    it('refuses an empty patch and a change of id', async () => {
      const record = execution();
      await store.executions.insert(record);
      expect(await codeOf(store.executions.update({ id: record.id }, {}))).toBe('STORE_BAD_PATCH');
      expect(await codeOf(store.executions.update({ id: record.id }, { set: { id: 'other' } as never }))).toBe('STORE_BAD_PATCH');
    });

    it('keeps user data whose keys contain dots or start with $', async () => {
      const result = { 'a.b': { $weird: 1, '%literal': [{ 'x.y': 'z' }] }, plain: true };
      const record = execution({ result });
      await store.executions.insert(record);
      expect((await store.executions.get(record.id))?.result).toEqual(result);
      await store.rules.insert({
        id: 'p.r',
        ref: 'p.r',
        pack: 'p',
        name: 'r',
        enabled: true,
        trigger: { type: 'core.st2.webhook', parameters: { url: 'x' } },
        criteria: { 'trigger.body.name': { type: 'equals', pattern: 'x' } },
        action: { ref: 'core.echo', parameters: { message: '{{ trigger.body.name }}' } },
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
      expect((await store.rules.get('p.r'))?.criteria).toEqual({ 'trigger.body.name': { type: 'equals', pattern: 'x' } });
      await store.executions.update({ id: record.id }, { set: { result: { 'c.d': 2 } } });
      expect((await store.executions.get(record.id))?.result).toEqual({ 'c.d': 2 });
    });

    it('stores every kind of record', async () => {
      const at = '2026-01-01T00:00:00.000Z';
      const times = { createdAt: at, updatedAt: at };
      await store.packs.insert({ id: 'core', ref: 'core', name: 'core', version: '1.0.0', path: '/p', metadata: {}, ...times });
      await store.actions.insert({ id: 'core.echo', ref: 'core.echo', pack: 'core', name: 'echo', enabled: true, runnerType: 'local-shell-cmd', parameters: {}, metadata: {}, ...times });
      await store.sensors.insert({ id: 'core.S', ref: 'core.S', pack: 'core', name: 'S', enabled: true, entryPoint: 's.py', triggerTypes: ['core.t'], metadata: {}, ...times });
      await store.triggerTypes.insert({ id: 'core.t', ref: 'core.t', pack: 'core', name: 't', ...times });
      await store.triggers.insert({ id: 't1', ref: 'core.t1', pack: 'core', name: 't1', type: 'core.t', parameters: { a: 1 }, parametersKey: '{"a":1}', refCount: 1, ...times });
      await store.triggerInstances.insert({ id: 'ti1', trigger: 'core.t1', payload: { a: 1 }, occurredAt: at, status: 'pending' });
      await store.ruleEnforcements.insert({ id: 're1', rule: 'p.r', triggerInstance: 'ti1', status: 'succeeded', enforcedAt: at });
      await store.keyValues.insert({ id: 'system:k', name: 'k', scope: 'system', value: 'v', secret: false, ...times });
      await store.apiKeys.insert({ id: 'k1', keyHash: 'abc', user: 'admin', enabled: true, createdAt: at });
      expect((await store.packs.get('core'))?.version).toBe('1.0.0');
      expect((await store.actions.get('core.echo'))?.runnerType).toBe('local-shell-cmd');
      expect((await store.sensors.get('core.S'))?.triggerTypes).toEqual(['core.t']);
      expect((await store.triggerTypes.get('core.t'))?.name).toBe('t');
      expect((await store.triggers.findOne({ type: 'core.t', parametersKey: '{"a":1}' }))?.id).toBe('t1');
      expect((await store.triggerInstances.get('ti1'))?.payload).toEqual({ a: 1 });
      expect((await store.ruleEnforcements.findOne({ triggerInstance: 'ti1' }))?.id).toBe('re1');
      expect((await store.keyValues.get('system:k'))?.value).toBe('v');
      expect((await store.apiKeys.findOne({ keyHash: 'abc' }))?.user).toBe('admin');
      // Keys stored before roles existed have none; the API finds them and gives them one.
      await store.apiKeys.insert({ id: 'k2', keyHash: 'def', user: 'runner-1', role: 'runner', enabled: true, createdAt: at });
      expect((await store.apiKeys.find({ role: { $exists: false } })).map((key) => key.id)).toEqual(['k1']);
      expect(await store.apiKeys.update({ id: 'k1', role: { $exists: false } }, { set: { role: 'admin' } })).toBe(1);
      expect((await store.apiKeys.get('k1'))?.role).toBe('admin');
      expect((await store.apiKeys.findOne({ keyHash: 'def' }))?.role).toBe('runner');
      await store.ping();
    });
  });

  // Data the NeDB store lost or choked on, from fault drills (issue 18): every backend must keep it.
  describe('hostile data', () => {
    const odd = [
      'line\u2028separator',
      'paragraph\u2029separator',
      'next\u0085line',
      'lone high \ud800 surrogate',
      'lone low \udfff surrogate',
      '\udc00\ud800 reversed pair',
      'astral 😀 pair',
      '\ufdd0 noncharacter first',
      '\ufdd1 and \ufdd0 inside',
      'nul \u0000 and controls \u0001\u001f\u007f',
      'bom \ufeff and replacement \ufffd',
      'crlf \r\n and tab \t',
      '%25 %2E %24 %u0041 look like escapes',
    ];

    it('round-trips strings with line separators, lone surrogates and other odd code points, in values and keys', async () => {
      const result = Object.fromEntries(odd.map((text, index) => [text, { index, text, list: [text, index] }]));
      const record = execution({ parameters: { message: odd.join(' | '), each: odd }, result, context: { user: odd[0] } });
      await store.executions.insert(record);
      await store.executions.insert(execution({ id: 'neighbour' }));
      expect(await store.executions.get(record.id)).toEqual(record);
      const [found] = await store.executions.find({ id: record.id });
      expect(found).toEqual(record);
      // A change after the odd data leaves it and its neighbours as they were.
      await store.executions.update({ id: record.id }, { set: { stdoutTail: odd.join('\n') }, push: { log: { status: 'running', at: '2026-01-01T00:00:09.000Z', reason: odd[3] } } });
      const updated = await store.executions.get(record.id);
      expect(updated?.stdoutTail).toBe(odd.join('\n'));
      expect(updated?.log.at(-1)?.reason).toBe(odd[3]);
      expect(updated?.result).toEqual(result);
      expect(await store.executions.get('neighbour')).toBeDefined();
    });

    it('finds records by odd strings, on indexed fields and on any other path', async () => {
      for (const [index, text] of odd.entries()) {
        await store.executions.insert(execution({ id: `odd-${index}`, user: text, context: { tag: text } }));
      }
      for (const [index, text] of odd.entries()) {
        expect((await store.executions.find({ user: text })).map((r) => r.id)).toEqual([`odd-${index}`]);
        expect((await store.executions.find({ 'context.tag': text })).map((r) => r.id)).toEqual([`odd-${index}`]);
      }
      expect(await store.executions.count({ user: { $in: [odd[0] ?? '', odd[3] ?? ''] } })).toBe(2);
    });

    it('keeps $-keys and dotted keys nested anywhere in user data', async () => {
      const payload = { $where: { 'a.b': [{ $gt: { 'c.d.e': '$x' } }] }, 'x.y': { $: { '.': { '..$': 1 } } }, '%2E': '.', $in: ['$nin'] };
      await store.triggerInstances.insert({ id: 'ti-keys', trigger: 'core.t', payload, occurredAt: '2026-01-01T00:00:00.000Z', status: 'pending' });
      expect((await store.triggerInstances.get('ti-keys'))?.payload).toEqual(payload);
      await store.triggerInstances.update({ id: 'ti-keys' }, { set: { payload: { ...payload, more: { $set: { 'k.k': 1 } } } } });
      expect((await store.triggerInstances.get('ti-keys'))?.payload).toEqual({ ...payload, more: { $set: { 'k.k': 1 } } });
    });

    it(`stores records nested up to ${maxRecordDepth} levels and refuses deeper ones with STORE_TOO_DEEP, storing nothing`, async () => {
      // The record is level 1, `result` level 2: a chain of 98 more objects reaches level 100.
      const chain = (levels: number, leaf: unknown = 'leaf'): unknown => {
        let value = leaf;
        for (let level = 0; level < levels; level += 1) value = level % 2 === 0 ? { a: value } : [value];
        return value;
      };
      const deepest = execution({ result: chain(99) as Record<string, unknown> });
      await store.executions.insert(deepest);
      expect(await store.executions.get(deepest.id)).toEqual(deepest);

      const tooDeep = execution({ result: chain(100) as Record<string, unknown> });
      expect(await codeOf(store.executions.insert(tooDeep))).toBe('STORE_TOO_DEEP');
      expect(await store.executions.get(tooDeep.id)).toBeUndefined();
      expect(await codeOf(store.executions.update({ id: deepest.id }, { set: { result: chain(100) as Record<string, unknown> } }))).toBe('STORE_TOO_DEEP');
      // A pushed element sits one level lower, inside its array.
      expect(await codeOf(store.executions.update({ id: deepest.id }, { push: { log: chain(98, { status: 'running', at: 'x' }) as never } }))).toBe('STORE_TOO_DEEP');
      expect(await store.executions.get(deepest.id)).toEqual(deepest);

      // What made NeDB spin or die: 100 levels of arrays in 200 bytes, objects 3,000 deep.
      for (const depth of [100, 3_000, 100_000]) {
        expect(await codeOf(store.executions.insert(execution({ parameters: { body: chain(depth) } })))).toBe('STORE_TOO_DEEP');
      }
      expect(await store.executions.count({})).toBe(1);
    });
  });

  describe('filters', () => {
    beforeEach(async () => {
      await store.executions.insert(execution({ id: 'a', status: 'requested', runnerId: 'r1', durationMs: 10, context: { rule: 'p.r1', user: 'ann' } }));
      await store.executions.insert(execution({ id: 'b', status: 'running', runnerId: 'r2', durationMs: 20, context: { rule: 'p.r2' } }));
      await store.executions.insert(execution({ id: 'c', status: 'succeeded', durationMs: 30, context: {} }));
      await store.executions.insert(execution({ id: 'd', status: 'failed', runnerId: 'r1', context: {} }));
    });
    const ids = async (promise: Promise<ExecutionRecord[]>): Promise<string[]> => (await promise).map((r) => r.id).sort();

    it('equality, on fields and dotted paths', async () => {
      expect(await ids(store.executions.find({ status: 'running' }))).toEqual(['b']);
      expect(await ids(store.executions.find({ runnerId: 'r1', status: 'failed' }))).toEqual(['d']);
      expect(await ids(store.executions.find({ 'context.rule': 'p.r1' }))).toEqual(['a']);
      expect(await ids(store.executions.find({ id: 'c' }))).toEqual(['c']);
      expect(await ids(store.executions.find({}))).toEqual(['a', 'b', 'c', 'd']);
    });

    it('$in and $nin', async () => {
      expect(await ids(store.executions.find({ status: { $in: ['requested', 'running'] } }))).toEqual(['a', 'b']);
      expect(await ids(store.executions.find({ status: { $nin: ['requested', 'running'] } }))).toEqual(['c', 'd']);
      expect(await ids(store.executions.find({ id: { $in: [] } }))).toEqual([]);
      // A missing field is "not in" any list, as MongoDB has it.
      expect(await ids(store.executions.find({ runnerId: { $nin: ['r1'] } }))).toEqual(['b', 'c']);
    });

    it('$ne, including records without the field', async () => {
      expect(await ids(store.executions.find({ status: { $ne: 'running' } }))).toEqual(['a', 'c', 'd']);
      expect(await ids(store.executions.find({ runnerId: { $ne: 'r1' } }))).toEqual(['b', 'c']);
    });

    it('$gt, $gte, $lt, $lte on numbers and ISO times', async () => {
      expect(await ids(store.executions.find({ durationMs: { $gt: 10 } }))).toEqual(['b', 'c']);
      expect(await ids(store.executions.find({ durationMs: { $gte: 10, $lt: 30 } }))).toEqual(['a', 'b']);
      expect(await ids(store.executions.find({ durationMs: { $lte: 20 } }))).toEqual(['a', 'b']);
      const b = await store.executions.get('b');
      expect(await ids(store.executions.find({ createdAt: { $gt: b?.createdAt ?? '' } }))).toEqual(['c', 'd']);
      expect(await ids(store.executions.find({ id: { $gte: 'b', $lte: 'c' } }))).toEqual(['b', 'c']);
    });

    it('null equality matches records without the field', async () => {
      expect(await ids(store.executions.find({ runnerId: null }))).toEqual(['c']);
      expect(await ids(store.executions.find({ runnerId: { $ne: null } }))).toEqual(['a', 'b', 'd']);
      expect(await ids(store.executions.find({ runnerId: { $in: [null, 'r2'] } }))).toEqual(['b', 'c']);
      expect(await ids(store.executions.find({ runnerId: { $nin: [null, 'r2'] } }))).toEqual(['a', 'd']);
      expect(await ids(store.executions.find({ runnerId: null, status: 'succeeded' }))).toEqual(['c']);
    });

    it('$exists', async () => {
      expect(await ids(store.executions.find({ runnerId: { $exists: true } }))).toEqual(['a', 'b', 'd']);
      expect(await ids(store.executions.find({ durationMs: { $exists: false } }))).toEqual(['d']);
      expect(await ids(store.executions.find({ 'context.rule': { $exists: true } }))).toEqual(['a', 'b']);
    });

    it('equality with a value on an array field matches when the array contains it', async () => {
      const at = '2026-01-01T00:00:00.000Z';
      await store.actions.insert({ id: 'p.x', ref: 'p.x', pack: 'p', name: 'x', enabled: true, runnerType: 'r', parameters: {}, metadata: {}, tags: ['red', 'blue'], createdAt: at, updatedAt: at });
      await store.actions.insert({ id: 'p.y', ref: 'p.y', pack: 'p', name: 'y', enabled: false, runnerType: 'r', parameters: {}, metadata: {}, tags: ['green'], createdAt: at, updatedAt: at });
      expect((await store.actions.find({ tags: 'blue' })).map((a) => a.id)).toEqual(['p.x']);
      expect((await store.actions.find({ enabled: false })).map((a) => a.id)).toEqual(['p.y']);
    });

    it('count and remove take the same filters', async () => {
      expect(await store.executions.count({ runnerId: 'r1' })).toBe(2);
      expect(await store.executions.remove({ status: { $in: ['succeeded', 'failed'] } })).toBe(2);
      expect(await ids(store.executions.find({}))).toEqual(['a', 'b']);
    });

    it('refuses operators outside the restricted language', async () => {
      for (const filter of [{ $where: 'true' }, { status: { $regex: '.*' } }, { $or: [{ status: 'running' }] }, { status: { $in: 'running' } }, { status: { $exists: 1 } }, { status: { $gt: { a: 1 } } }, { durationMs: { $gte: null } }, { status: ['running'] }]) {
        expect(await codeOf(store.executions.find(filter as never))).toBe('STORE_BAD_FILTER');
      }
    });
  });

  describe('sorting and pagination', () => {
    it('pages newest first with a stable id tie-break', async () => {
      const sameTime = '2026-02-01T00:00:00.000Z';
      for (let i = 0; i < 25; i += 1) {
        const createdAt = i < 20 ? new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() : sameTime;
        await store.executions.insert(execution({ id: `p${String(i).padStart(2, '0')}`, createdAt, status: i % 2 === 0 ? 'succeeded' : 'failed' }));
      }
      const expected = Array.from({ length: 25 }, (_, i) => `p${String(24 - i).padStart(2, '0')}`);
      const pages: string[] = [];
      for (let skip = 0; skip < 30; skip += 10) {
        const page = await store.executions.find({}, { sort: { createdAt: -1, id: -1 }, skip, limit: 10 });
        pages.push(...page.map((r) => r.id));
      }
      expect(pages).toEqual(expected);
      const failed = await store.executions.find({ status: 'failed' }, { sort: { createdAt: -1, id: -1 }, limit: 3 });
      expect(failed.map((r) => r.id)).toEqual(['p23', 'p21', 'p19']);
      const oldest = await store.executions.findOne({}, { sort: { createdAt: 1 } });
      expect(oldest?.id).toBe('p00');
    });
  });

  describe('conditional update', () => {
    it('lets exactly one of two concurrent compare-and-set updates win', async () => {
      for (let round = 0; round < 10; round += 1) {
        const record = execution({ status: 'scheduled' });
        await store.executions.insert(record);
        const claim = (runnerId: string): Promise<number> =>
          store.executions.update(
            { id: record.id, status: { $in: ['requested', 'scheduled'] as ExecutionStatus[] } },
            { set: { status: 'running', runnerId }, push: { log: { status: 'running', at: new Date().toISOString(), by: runnerId } } },
          );
        const results = await Promise.all([claim('r1'), claim('r2')]);
        expect(results.sort()).toEqual([0, 1]);
        const stored = await store.executions.get(record.id);
        expect(stored?.status).toBe('running');
        expect(stored?.log.filter((entry) => entry.status === 'running')).toHaveLength(1);
        expect(stored?.log.at(-1)?.by).toBe(stored?.runnerId);
      }
    });

    it('updateOne claims are exclusive too', async () => {
      const record = execution({ status: 'requested' });
      await store.executions.insert(record);
      const claim = (runnerId: string) => store.executions.updateOne({ id: record.id, status: 'requested' }, { set: { status: 'running', runnerId } });
      const results = await Promise.all([claim('r1'), claim('r2'), claim('r3')]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });
  });

  describe('workflows', () => {
    function workflow(id: string): WorkflowRecord {
      const at = '2026-01-01T00:00:00.000Z';
      return {
        id,
        action: 'p.flow',
        runnerType: 'action-chain',
        source: { pack: 'p', file: 'actions/chains/flow.yaml', text: 'chain: []\n' },
        user: 'admin',
        version: 0,
        status: 'running',
        state: { 'task.one': { result: { '$weird': 1 } } },
        waiting: [],
        timers: [],
        control: [],
        controlSeen: 0,
        phase: 'open',
        createdAt: at,
        updatedAt: at,
      };
    }

    it('steps a workflow by compare-and-set on its version: of two engines applying a step, one wins', async () => {
      await store.workflows.insert(workflow('wf-1'));
      const step = (by: string) =>
        store.workflows.updateOne(
          { id: 'wf-1', version: 0 },
          {
            set: {
              version: 1,
              state: { by },
              waiting: [{ requestId: 'a:1', execution: `child-${by}` }],
              outbox: { id: `o-${by}`, start: [{ requestId: 'a:1', action: 'core.echo', parameters: { message: '{{ x }}' }, context: {} }], cancel: [], pause: [], resume: [] },
            },
          },
        );
      const results = await Promise.all([step('a'), step('b')]);
      expect(results.filter((record) => record !== undefined)).toHaveLength(1);
      const stored = await store.workflows.get('wf-1');
      expect(stored?.version).toBe(1);
      expect(stored?.outbox?.start[0]?.parameters).toEqual({ message: '{{ x }}' });
      // The outbox is cleared only by the step that filled it.
      expect(await store.workflows.update({ id: 'wf-1', 'outbox.id': 'o-other' }, { unset: ['outbox'] })).toBe(0);
      expect(await store.workflows.update({ id: 'wf-1', 'outbox.id': stored?.outbox?.id ?? '' }, { unset: ['outbox'] })).toBe(1);
      expect((await store.workflows.get('wf-1'))?.outbox).toBeUndefined();
    });

    it('appends control requests without touching the state, and finds open workflows and due timers', async () => {
      await store.workflows.insert(workflow('wf-2'));
      await store.workflows.insert({ ...workflow('wf-3'), phase: 'closed' });
      await store.workflows.update({ id: 'wf-2' }, { push: { control: { kind: 'pause', by: 'admin', at: '2026-01-01T00:00:01.000Z' } } });
      await store.workflows.update({ id: 'wf-2', version: 0 }, { set: { version: 1, nextTimerAt: 1000, timers: [{ timerId: 't', fireAt: 1000 }] } });
      const stored = await store.workflows.get('wf-2');
      expect(stored?.control).toEqual([{ kind: 'pause', by: 'admin', at: '2026-01-01T00:00:01.000Z' }]);
      expect(stored?.state).toEqual({ 'task.one': { result: { '$weird': 1 } } });
      expect((await store.workflows.find({ phase: 'open' })).map((record) => record.id)).toEqual(['wf-2']);
      expect((await store.workflows.find({ nextTimerAt: { $lte: 1000 } })).map((record) => record.id)).toEqual(['wf-2']);
      expect(await store.workflows.find({ nextTimerAt: { $lte: 999 } })).toEqual([]);
    });

    it('links children to their parent execution: listed by parent, pushed once', async () => {
      const parent = execution({ id: 'wf-parent', runnerType: 'action-chain', children: [] });
      await store.executions.insert(parent);
      for (const id of ['child-1', 'child-2']) {
        await store.executions.insert(execution({ id, parent: parent.id }));
        // Pushed only when not there yet, so a replayed step adds nothing.
        for (let attempt = 0; attempt < 2; attempt += 1) {
          await store.executions.update({ id: parent.id, children: { $nin: [id] } }, { push: { children: id } });
        }
      }
      expect((await store.executions.get(parent.id))?.children).toEqual(['child-1', 'child-2']);
      const listed = await store.executions.find({ parent: parent.id }, { sort: { createdAt: 1, id: 1 } });
      expect(listed.map((record) => record.id)).toEqual(['child-1', 'child-2']);
      // Removing a workflow execution removes its engine state with it.
      await store.workflows.insert({ ...workflow(parent.id), phase: 'closed' });
      expect(await store.removeExecutions({ id: parent.id })).toBe(1);
      expect(await store.workflows.get(parent.id)).toBeUndefined();
    });
  });

  describe('execution blobs', () => {
    const text = async (stream: Readable | Promise<Readable>): Promise<string> => {
      const chunks: Buffer[] = [];
      for await (const chunk of await stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };

    it('stores and streams blobs, never overwriting, discards given ones, and removeExecutions takes records with their blobs', async () => {
      const kept = execution();
      const doomed = execution();
      await store.executions.insert(kept);
      await store.executions.insert(doomed);
      const big = 'é\u2028x'.repeat(200_000);
      const ref = await store.executionBlobs.put(doomed.id, 'stdout', big);
      expect(ref.size).toBe(Buffer.byteLength(big));
      expect(await text(store.executionBlobs.open(doomed.id, ref))).toBe(big);
      const again = await store.executionBlobs.put(doomed.id, 'stdout', 'second');
      expect(again.$blob).not.toBe(ref.$blob);
      expect(await text(store.executionBlobs.open(doomed.id, ref))).toBe(big);
      await store.executionBlobs.discard(doomed.id, [again]);
      expect(await codeOf(store.executionBlobs.open(doomed.id, again))).toBe('STORE_BLOB_MISSING');
      await store.executions.update({ id: doomed.id }, { set: { resultBlobs: { stdout: ref } } });
      const keptRef = await store.executionBlobs.put(kept.id, 'result', '{"a":1}');
      await store.executions.update({ id: kept.id }, { set: { resultBlobs: { result: keptRef } } });

      expect(await store.removeExecutions({ id: doomed.id })).toBe(1);
      expect(await store.executions.get(doomed.id)).toBeUndefined();
      expect(await codeOf(store.executionBlobs.open(doomed.id, ref))).toBe('STORE_BLOB_MISSING');
      expect(await text(store.executionBlobs.open(kept.id, keptRef))).toBe('{"a":1}');
      expect(await store.removeExecutions({ status: 'requested' })).toBe(1);
      expect(await store.executions.count({})).toBe(0);
    });

    it('keeps a small result document in the record, splits a large one, and reads either back whole', async () => {
      const small = execution();
      const large = execution();
      for (const record of [small, large]) await store.executions.insert(record);
      const smallResult = { result: { ok: true }, stdout: 'hi', stderr: '', exit_code: 0 };
      const largeResult = { result: { rows: Array.from({ length: 3000 }, (_, index) => ({ index, name: `row "${index}"` })) }, stdout: 'out\n'.repeat(20_000), stderr: 'warn\u0001\n', exit_code: 0 };
      for (const [record, result] of [[small, smallResult], [large, largeResult]] as const) {
        const { fields } = await prepareResult(store.executionBlobs, record.id, result, 16 * 1024);
        await store.executions.update({ id: record.id }, { set: { ...fields, status: 'succeeded', endedAt: '2026-01-01T00:00:01.000Z' } });
      }
      const storedSmall = (await store.executions.get(small.id))!;
      expect(storedSmall).toMatchObject({ result: smallResult, resultSize: JSON.stringify(smallResult).length, outputSize: { stdout: 2, stderr: 0 } });
      expect(storedSmall.resultBlobs).toBeUndefined();

      const storedLarge = (await store.executions.get(large.id))!;
      expect(storedLarge.result).toBeUndefined();
      expect(Object.keys(storedLarge.resultBlobs ?? {}).sort()).toEqual(['result', 'stderr', 'stdout']);
      expect(await readExecutionResult(store.executionBlobs, storedLarge)).toEqual(largeResult);
      const streamed = await text(openExecutionResult(store.executionBlobs, storedLarge));
      expect(JSON.parse(streamed)).toEqual(largeResult);
      expect(Buffer.byteLength(streamed)).toBe(storedLarge.resultSize);
      expect(await text(openExecutionOutput(store.executionBlobs, storedLarge, 'stdout'))).toBe(largeResult.stdout);
      expect(await text(openExecutionOutput(store.executionBlobs, storedSmall, 'stdout'))).toBe('hi');
    });
  });

  describe('retention and purge', () => {
    const dayMs = 24 * 60 * 60 * 1000;
    const now = Date.parse('2026-06-01T00:00:00.000Z');
    const daysAgo = (days: number, seconds = 0): string => new Date(now - days * dayMs - seconds * 1000).toISOString();
    let instanceSeq = 0;
    const instance = (occurredAt: string, status: TriggerInstanceRecord['status'] = 'processed'): TriggerInstanceRecord => ({
      id: `ti-${String((instanceSeq += 1)).padStart(5, '0')}`,
      trigger: 'core.st2.webhook',
      payload: {},
      occurredAt,
      status,
    });
    const enforcement = (enforcedAt: string): RuleEnforcementRecord => ({
      id: `re-${String((instanceSeq += 1)).padStart(5, '0')}`,
      rule: 'examples.rule',
      triggerInstance: 'ti-00001',
      status: 'succeeded',
      enforcedAt,
    });

    it('purges completed executions before a time, by action and status, with their blobs, never unfinished ones', async () => {
      const old = (status: ExecutionStatus, action = 'core.echo'): ExecutionRecord => execution({ status, action, createdAt: daysAgo(10, seq) });
      const records = [old('succeeded'), old('failed'), old('failed', 'core.local'), old('running'), old('requested'), old('scheduled'), old('canceling'), old('pending'), execution({ status: 'succeeded', createdAt: daysAgo(1) })];
      for (const record of records) await store.executions.insert(record);
      const ref = await store.executionBlobs.put(records[0]!.id, 'stdout', 'big output');
      await store.executions.update({ id: records[0]!.id }, { set: { resultBlobs: { stdout: ref } } });

      expect(await codeOf(purgeExecutions(store, { before: daysAgo(5), status: 'running' }))).toBe('PURGE_STATUS_INVALID');
      expect(await codeOf(purgeExecutions(store, { before: daysAgo(5), status: 'pending' }))).toBe('PURGE_STATUS_INVALID');
      expect(await purgeExecutions(store, { before: daysAgo(5), action: 'core.local' })).toBe(1);
      expect(await purgeExecutions(store, { before: daysAgo(5), status: 'failed' })).toBe(1);
      expect(await purgeExecutions(store, { before: daysAgo(5) })).toBe(1);
      expect(await codeOf(store.executionBlobs.open(records[0]!.id, ref))).toBe('STORE_BLOB_MISSING');
      const left = (await store.executions.find({}, { sort: { id: 1 } })).map((record) => record.status);
      expect(left).toEqual(['running', 'requested', 'scheduled', 'canceling', 'pending', 'succeeded']);
    });

    it('applies age and count rules to executions, trigger instances and enforcements, sparing what is not finished', async () => {
      for (let day = 0; day < 6; day += 1) {
        await store.executions.insert(execution({ status: 'succeeded', createdAt: daysAgo(day, 1) }));
        await store.triggerInstances.insert(instance(daysAgo(day, 1)));
        await store.ruleEnforcements.insert(enforcement(daysAgo(day, 1)));
      }
      const running = execution({ status: 'running', createdAt: daysAgo(40) });
      const pending = instance(daysAgo(40), 'pending');
      await store.executions.insert(running);
      await store.triggerInstances.insert(pending);

      const report = await applyRetention(store, {
        executions: { maxAgeMs: 4 * dayMs, maxCount: 2 },
        triggerInstances: { maxCount: 3 },
        ruleEnforcements: { maxAgeMs: 2 * dayMs },
      }, now);
      expect(report).toEqual({ executions: 4, triggerInstances: 3, ruleEnforcements: 4 });
      const executions = await store.executions.find({}, { sort: { createdAt: -1 } });
      expect(executions.map((record) => record.createdAt)).toEqual([daysAgo(0, 1), daysAgo(1, 1), running.createdAt]);
      expect((await store.triggerInstances.find({}, { sort: { occurredAt: -1 } })).map((record) => record.occurredAt)).toEqual([daysAgo(0, 1), daysAgo(1, 1), daysAgo(2, 1), pending.occurredAt]);
      expect((await store.ruleEnforcements.find({}, { sort: { enforcedAt: -1 } })).map((record) => record.enforcedAt)).toEqual([daysAgo(0, 1), daysAgo(1, 1)]);
    });

    it('keeps executions for ever and trigger instances and enforcements 30 days by default', async () => {
      await store.executions.insert(execution({ status: 'succeeded', createdAt: daysAgo(400) }));
      await store.triggerInstances.insert(instance(daysAgo(31)));
      await store.triggerInstances.insert(instance(daysAgo(29)));
      await store.ruleEnforcements.insert(enforcement(daysAgo(31)));
      await store.ruleEnforcements.insert(enforcement(daysAgo(29)));
      expect(await applyRetention(store, retentionPolicy(loadConfig({})), now)).toEqual({ executions: 0, triggerInstances: 1, ruleEnforcements: 1 });
    });

    it('removes in batches that leave the event loop free in between', async () => {
      const total = 1300;
      for (let start = 0; start < total; start += 100) {
        await Promise.all(Array.from({ length: 100 }, () => store.executions.insert(execution({ status: 'succeeded', createdAt: daysAgo(10, seq) }))));
      }
      let turns = 0;
      const ticker = setInterval(() => (turns += 1), 0);
      try {
        expect(await purgeExecutions(store, { before: daysAgo(5) })).toBe(total);
      } finally {
        clearInterval(ticker);
      }
      // Three batches of at most 500, and timers ran between them.
      expect(turns).toBeGreaterThanOrEqual(2);
      expect(await store.executions.count({})).toBe(0);
    });
  });
}
