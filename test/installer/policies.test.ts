import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, readInstalledPack, type LoadedPack } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { installerConfig, tempDir, writePack } from './fixtures.ts';

/**
 * Action policies (`policies/*.yaml`) are read at install: valid ones reach the registration hook,
 * and a broken one fails the install naming the file and field, with nothing installed (a pack
 * running without the limits it declares would be worse than no pack).
 */
describe('pack policies at install', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('policies');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const policyFile = (body: string) => ({ 'policies/limit.yaml': body });

  it("hands the pack's policies, defaults filled as st2's policy types declare them, to registration", async () => {
    const config = installerConfig(path.join(root, 'good'));
    const dir = await writePack(path.join(root, 'good-src'), {
      ref: 'good',
      version: '1.0.0',
      files: {
        ...policyFile('name: hello.limit\nresource_ref: good.hello\npolicy_type: action.concurrency\nparameters: {threshold: 3}\n'),
        'policies/retry.yaml': 'name: hello.retry\nresource_ref: good.hello\npolicy_type: action.retry\nparameters: {retry_on: timeout}\n',
      },
    });
    const seen: LoadedPack[] = [];
    await installPack(dir, { config, onActivated: (_installed, loaded) => void seen.push(loaded) });
    expect(seen[0]!.policies.map(({ ref, policyType, parameters, enabled }) => ({ ref, policyType, parameters, enabled }))).toEqual([
      { ref: 'good.hello.limit', policyType: 'action.concurrency', parameters: { threshold: 3, action: 'delay' }, enabled: true },
      { ref: 'good.hello.retry', policyType: 'action.retry', parameters: { retry_on: 'timeout', max_retry_count: 2, delay: 0 }, enabled: true },
    ]);
  });

  const refused: Array<[string, string, string, string]> = [
    ['a missing threshold', 'name: l\nresource_ref: bad.hello\npolicy_type: action.concurrency\nparameters: {action: delay}\n', 'parameters.threshold', 'is required'],
    ['an unknown action', 'name: l\nresource_ref: bad.hello\npolicy_type: action.concurrency\nparameters: {threshold: 1, action: queue}\n', 'parameters.action', 'must be one of delay, cancel'],
    ['an unknown policy type', 'name: l\nresource_ref: bad.hello\npolicy_type: action.rate\nparameters: {}\n', 'policy_type', 'is not one of'],
    ['another pack\'s action', 'name: l\nresource_ref: core.local\npolicy_type: action.retry\nparameters: {retry_on: failure}\n', 'resource_ref', 'applies only to its own actions'],
    ['an action the pack lacks', 'name: l\nresource_ref: bad.nope\npolicy_type: action.retry\nparameters: {retry_on: failure}\n', 'resource_ref', 'is not an action of this pack'],
    ['an attribute that is no parameter', 'name: l\nresource_ref: bad.hello\npolicy_type: action.concurrency.attr\nparameters: {threshold: 1, attributes: [host]}\n', 'parameters.attributes', '"host" is not a parameter'],
    ['too many retries', 'name: l\nresource_ref: bad.hello\npolicy_type: action.retry\nparameters: {retry_on: failure, max_retry_count: 9}\n', 'parameters.max_retry_count', 'from 1 to 5'],
  ];
  for (const [what, body, field, message] of refused) {
    it(`refuses ${what}, naming the file and field, and installs nothing`, async () => {
      const home = path.join(root, `bad-${field}-${refused.findIndex((entry) => entry[0] === what)}`);
      const dir = await writePack(path.join(home, 'src'), { ref: 'bad', version: '1.0.0', files: policyFile(body) });
      const config = installerConfig(path.join(home, 'home'));
      const failure = await installPack(dir, { config }).then(() => undefined, (error: unknown) => error);
      expect(failure).toMatchObject({ code: 'POLICY_INVALID', details: { pack: 'bad', file: 'policies/limit.yaml', field } });
      expect((failure as Error).message).toContain(`policies/limit.yaml field "${field}"`);
      expect((failure as Error).message).toContain(message);
      await expect(readInstalledPack(dataPaths(config.home), 'bad')).rejects.toThrow();
    });
  }
});
