import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describePlan, prepareAction, runAction, type JobPlanDescription } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { installPack } from '@packrun/pack-installer';
import { homeWithPacks, type PackrunHome } from './fixtures.ts';

let home: PackrunHome;

beforeAll(async () => {
  // The action writes a system key (local: false): the operator grants that pack by pack.
  home = await homeWithPacks([], { PACKRUN_DATASTORE_SYSTEM_WRITERS: 'runner_contract' });
  await installPack(path.join(import.meta.dirname, 'packs/runner_contract'), { config: home.config });
});

function run(ref: string, input: Record<string, unknown> = {}) {
  return runAction({ paths: home.paths, config: home.config, ref, input, datastore: new LocalFileKeyValues(home.paths) });
}

describe('node-script contract', () => {
  it('calls a CommonJS module.exports function with the parameters and context', async () => {
    const outcome = await run('runner_contract.cjs_function', { word: 'hi' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toEqual({ upper: 'HI', pack: 'runner_contract', action: 'cjs_function' });
  });

  it('gives a datastore with local keys prefixed <pack>.<action>:', async () => {
    const outcome = await run('runner_contract.node_datastore');
    expect(outcome.result['result']).toEqual({ local: 'yes', global: 'global', listed: ['runner_contract.node_datastore:seen'], deleted: true, after: null });
    expect((await new LocalFileKeyValues(home.paths).get('shared'))?.value).toBe('global');
  });

  it('fails with a result through context.fail', async () => {
    const outcome = await run('runner_contract.node_fail', { how: 'fail' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['result']).toEqual({ reason: 'asked to fail' });
  });

  it('fails with the error and its stack when the function throws', async () => {
    const outcome = await run('runner_contract.node_fail', { how: 'throw' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['error']).toBe('RangeError: out of range');
    expect(outcome.result['traceback']).toContain('node_fail.mjs');
  });

  it('sends a value JSON cannot carry as its string form', async () => {
    const outcome = await run('runner_contract.node_fail', { how: 'bigint' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toBe('10');
  });

  it('fails a result nested a million deep or over the size limit, naming the limit, before sending it', async () => {
    const deep = await run('runner_contract.node_fail', { how: 'deep' });
    expect(deep.status).toBe('failed');
    expect(deep.result['error']).toBe(`ResultTooDeep: the result is nested more than ${home.config.jsonMaxDepth} levels deep (PACKRUN_JSON_MAX_DEPTH)`);
    const huge = await run('runner_contract.node_fail', { how: 'huge' });
    expect(huge.status).toBe('failed');
    expect(huge.result['error']).toMatch(/^ResultTooLarge: the result is \d+ bytes, over the limit of 16777216 bytes \(PACKRUN_RESULT_MAX_BYTES\)$/);
  });

  it('ends as soon as the function returns, whatever it left running', async () => {
    const outcome = await run('runner_contract.node_fail', { how: 'timer' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.durationMs).toBeLessThan(5000);
  });
});

describe('python-script failures', () => {
  it('exits with the code run() gives sys.exit, after its threads, atexit handlers and all its output', async () => {
    for (const code of [3, 256 + 4]) {
      const outcome = await run('runner_contract.py_exit', { code, lines: 2000 });
      expect(outcome.status).toBe('failed');
      // Only the low byte of an exit status exists, as for any process.
      expect(outcome.result['exit_code']).toBe(code & 0xff);
      const stdout = String(outcome.result['stdout']).trimEnd().split('\n');
      expect(stdout.filter((line) => line.startsWith('out '))).toHaveLength(2000);
      expect(stdout.slice(-2)).toEqual(['thread finished', 'atexit ran']);
      expect(String(outcome.result['stderr']).trimEnd().split('\n').filter((line) => line.startsWith('err '))).toHaveLength(2000);
    }
  });


  it('fails with the exception when run raises, in a pack without a venv', async () => {
    const outcome = await run('runner_contract.py_raise');
    expect(outcome.status).toBe('failed');
    expect(outcome.result['error']).toMatch(/ValueError: no good/);
    expect(outcome.result['result']).toBeNull();
  });

  it('passes run() every parameter the action declares, None for one nobody set (StackStorm\'s python runner)', async () => {
    const outcome = await run('runner_contract.py_params', { given: 'g' });
    expect(outcome.status, String(outcome.result['error'])).toBe('succeeded');
    expect(outcome.result['result']).toEqual({ given: 'g', unset: null, with_default: 'd' });
  });
});

describe('secret parameters', () => {
  it('reach the action but are masked in the printed plan', async () => {
    const token = 's3cr3t-value';
    const outcome = await run('runner_contract.secret_echo', { token });
    expect(outcome.result['stdout']).toBe(token.length);
    const prepared = await prepareAction(
      { paths: home.paths, config: home.config, ref: 'runner_contract.secret_echo', input: { token }, datastore: new LocalFileKeyValues(home.paths) },
      'plan1',
      path.join(home.paths.jobs, 'plan1'),
    );
    const description = describePlan(prepared) as JobPlanDescription;
    expect(description.argv.at(-1)).toBe('********');
    expect(JSON.stringify(description)).not.toContain(token);
  });
});
