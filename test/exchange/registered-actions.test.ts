import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPack, summariseActions } from '@packrun/core';
import { repoRoot } from '../runner/fixtures.ts';

/**
 * Which actions of the vendored StackStorm packs register and run, and what the built-in core
 * pack gives the rules of StackStorm's examples pack.
 */
describe('actions of the vendored StackStorm packs', () => {
  it.each([
    ['csv', ['csv.format', 'csv.parse', 'csv.parse_file']],
    ['xml', ['xml.parse', 'xml.parse_file']],
    ['fpm', ['create_deb_from_deb', 'create_deb_from_dir', 'create_deb_from_empty', 'create_deb_from_gem', 'create_deb_from_python', 'create_deb_from_rpm', 'create_deb_from_tar', 'create_rpm_from_deb', 'create_rpm_from_dir', 'create_rpm_from_empty', 'create_rpm_from_gem', 'create_rpm_from_python', 'create_rpm_from_rpm', 'create_rpm_from_tar', 'load_metadata'].map((name) => `fpm.${name}`)],
    ['networking_utils', ['networking_utils.contains', 'networking_utils.hosts', 'networking_utils.ip_calc', 'networking_utils.is_valid_hostname', 'networking_utils.subnets']],
    ['packagecloud', ['create_master_token', 'create_read_token', 'destroy_master_token', 'destroy_read_token', 'get_master_token', 'list_master_token', 'list_packages', 'show_package'].map((name) => `packagecloud.${name}`)],
    // Packs whose actions are all Orquesta workflows (and beertab's two Python helpers).
    ['beertab', ['beertab.add', 'beertab.aggregate', 'beertab.find', 'beertab.get', 'beertab.modify', 'beertab.remove']],
    ['backups', ['backups.full_backup', 'backups.mongodb_backup', 'backups.postgres_backup']],
  ])('%s: every action registers and runs', async (name, refs) => {
    const summary = summariseActions(await loadPack(path.join(repoRoot, 'test/fixtures/exchange', name)));
    expect(summary).toEqual({ runnable: refs, disabled: [], skipped: [] });
  });

  it("StackStorm's examples pack: the core actions its rules run are there and runnable", async () => {
    const examples = await loadPack(path.join(repoRoot, 'test/fixtures/st2-examples'));
    // Its actions are not vendored (workflows and scripts no rule uses), see its README.
    expect(summariseActions(examples)).toEqual({ runnable: [], disabled: [], skipped: [] });
    const core = await loadPack(path.join(repoRoot, 'packs/core'));
    const runnable = new Set(summariseActions(core).runnable);
    const coreRefs = [...new Set(examples.rules.map((rule) => rule.action.ref).filter((ref) => ref.startsWith('core.')))];
    expect(coreRefs).toEqual(['core.local']);
    expect(coreRefs.every((ref) => runnable.has(ref))).toBe(true);
  });
});
