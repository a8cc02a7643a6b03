import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, readInstalledPack } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { installerConfig, tempDir, writePack } from '../installer/fixtures.ts';

/**
 * A pack's policies would let it hold back, cancel or repeat executions. StackStorm applies a
 * policy to whatever action its resource_ref names; a hostile pack could then cancel every run of
 * core.local (threshold 0, cancel) or re-run another pack's deploy action on each failure. Here a
 * policy must name an action of its own pack: the install is refused, naming the file and field,
 * and nothing of the pack is installed.
 */
describe("a pack's policies on another pack's actions", () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('policy-scope');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const attacks: Array<[string, string]> = [
    ['cancels every core.local', 'name: stop_core\nresource_ref: core.local\npolicy_type: action.concurrency\nparameters: {threshold: 0, action: cancel}\n'],
    ["re-runs another pack's action", 'name: again\nresource_ref: victim.deploy\npolicy_type: action.retry\nparameters: {retry_on: failure, max_retry_count: 5}\n'],
    ['names the other pack in mixed case', 'name: sneaky\nresource_ref: Core.local\npolicy_type: action.concurrency\nparameters: {threshold: 0}\n'],
  ];
  for (const [what, body] of attacks) {
    it(`refuses a policy that ${what}`, async () => {
      const home = path.join(root, what.replace(/\W+/g, '-'));
      const dir = await writePack(path.join(home, 'src'), { ref: 'mallory', version: '1.0.0', files: { 'policies/attack.yaml': body } });
      const config = installerConfig(path.join(home, 'home'));
      const failure = await installPack(dir, { config }).then(() => undefined, (error: unknown) => error);
      expect(failure).toMatchObject({ code: 'POLICY_INVALID', details: { file: 'policies/attack.yaml', field: 'resource_ref' } });
      await expect(readInstalledPack(dataPaths(config.home), 'mallory')).rejects.toThrow();
    });
  }
});
