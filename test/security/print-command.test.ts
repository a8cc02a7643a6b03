import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { realPython, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * `packrun run --print-command` masked a secret only where it was a whole string: a secret config
 * attribute inside a list (a password of each server), and the items of a secret list or object
 * parameter, were printed in clear.
 */
let scratch: string;
let packDir: string;
let env: Record<string, string>;
const secrets = ['pw-alpha-1', 'pw-beta-2', 'tok-gamma-3', 'key-delta-4', 'nest-eps-5', '8675309'];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-print-command-'));
  // The sandboxed env build (its own uid) passes through to its staging folder.
  await chmod(scratch, 0o711);
  packDir = await writePack({
    'pack.yaml': 'ref: secretive\nname: secretive\ndescription: secrets at every depth\nversion: 1.0.0\nauthor: tests\n',
    'config.schema.yaml': [
      'servers:',
      '  type: array',
      '  items: {type: object, properties: {host: {type: string}, password: {type: string, secret: true}}}',
      'tokens: {type: array, items: {type: string, secret: true}}',
    ].join('\n'),
    'actions/connect.yaml': [
      'name: connect',
      'runner_type: python-script',
      'entry_point: connect.py',
      'parameters:',
      '  keys: {type: array, secret: true}',
      '  nested: {type: object, secret: true}',
    ].join('\n'),
    'actions/connect.py': 'from st2common.runners.base_action import Action\nclass Connect(Action):\n    def run(self, **kwargs):\n        return True\n',
  });
  await chmod(packDir, 0o755);
  env = { PACKRUN_HOME: path.join(scratch, 'home'), PACKRUN_PYTHON: realPython() };
  expect((await runPackrunCli(['pack', 'install', packDir], env)).code).toBe(0);
  await mkdir(path.join(env['PACKRUN_HOME']!, 'configs'), { recursive: true });
  await writeFile(
    path.join(env['PACKRUN_HOME']!, 'configs', 'secretive.yaml'),
    'servers: [{host: db1, password: pw-alpha-1}, {host: db2, password: pw-beta-2}]\ntokens: [tok-gamma-3]\n',
  );
}, 120_000);

afterAll(async () => {
  for (const dir of [scratch, packDir]) await rm(dir, { recursive: true, force: true });
});

describe('packrun run --print-command', () => {
  it('masks secrets inside lists and nested objects, in the config and in the parameters', async () => {
    const printed = await runPackrunCli(
      ['run', 'secretive.connect', 'keys=["key-delta-4"]', 'nested={"a": {"b": "nest-eps-5", "pin": 8675309}}', '--print-command'],
      env,
    );
    expect(printed.code).toBe(0);
    for (const secret of secrets) expect(printed.stdout).not.toContain(secret);
    const job = (JSON.parse(printed.stdout) as { job: { config: Record<string, unknown>; parameters: Record<string, unknown> } }).job;
    expect(job.config).toEqual({
      servers: [{ host: 'db1', password: '********' }, { host: 'db2', password: '********' }],
      tokens: ['********'],
    });
    expect(job.parameters).toEqual({ keys: ['********'], nested: { a: { b: '********', pin: '********' } } });
  });
});
