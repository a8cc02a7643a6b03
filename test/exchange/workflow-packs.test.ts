import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPaths, loadInstalledPackMetadata, readInstalledPack } from '@packrun/core';
import { checkWorkflowActions } from '@packrun/workflow-engine';
import { repoRoot } from '../runner/fixtures.ts';
import { homeWithPackFolders } from './exchange-home.ts';

/**
 * Exchange packs whose actions are Orquesta workflows (beertab 1.0.0, backups 2.0.0, vendored
 * unmodified in test/fixtures/exchange): installed as a user installs them, every workflow action
 * is registered, its workflow file inspected by the Orquesta driver and found sound, and none is
 * left unavailable. Running them needs what they drive (st2's `st2` pack, a MongoDB and Postgres
 * to back up), which is not here.
 */
describe('Exchange packs made of workflows', () => {
  it.each([
    ['beertab', ['add', 'find', 'get', 'remove'], ['aggregate', 'modify']],
    ['backups', ['full_backup', 'mongodb_backup', 'postgres_backup'], []],
  ])('%s installs with every workflow action registered and available', async (ref, workflows, python) => {
    const home = await homeWithPackFolders([path.join(repoRoot, 'test/fixtures/exchange', ref)]);
    const paths = dataPaths(home.home);
    const installed = await readInstalledPack(paths, ref);
    // As the API registers an installed pack: each workflow's file inspected by its driver.
    const loaded = await checkWorkflowActions(await loadInstalledPackMetadata(paths, installed), installed.dir);
    expect(loaded.problems).toEqual([]);
    const byRunner = (runner: string): string[] => loaded.actions.filter((action) => action.runnerType === runner).map((action) => action.name).sort();
    expect(byRunner('orquesta')).toEqual(workflows);
    expect(byRunner('python-script')).toEqual(python);
    for (const action of loaded.actions) expect(action.unavailable, `${ref}.${action.name}`).toBeUndefined();
  }, 120_000);
});
