import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHostPathGrants, createSandboxDecorator, detectSandbox, loadConfig } from '@packrun/core';

/**
 * Host paths granted to packs (PACKRUN_SANDBOX_HOST_PATHS) are the operator's to give, but a grant
 * must never hand a pack more than the folder named: not Packrun's own data, not the kernel's
 * interfaces, not a folder a job can swap for a link to somewhere else.
 */
const base = mkdtempSync(path.join(os.tmpdir(), 'packrun-grant-attacks-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function configWith(grants: string, home = path.join(base, 'home')) {
  return loadConfig({ PACKRUN_HOME: home, PACKRUN_SANDBOX_HOST_PATHS: grants });
}

describe('host path grants', () => {
  it.each([
    ['relative', 'csv=srv/reports'],
    ['dot-dot', 'csv=/srv/../etc'],
    ['the whole host', 'csv=/'],
    ['/proc', 'csv=/proc/1'],
    ['/sys', 'csv=/sys/fs/cgroup:rw'],
    ['/dev', 'csv=/dev'],
    ['/run', 'csv=/run/docker.sock:rw'],
    ['a typo in the pack', 'CSV=/srv'],
  ])('refuses %s at configuration, naming the entry', (_label, grants) => {
    expect(() => configWith(grants)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: expect.objectContaining({ variable: 'PACKRUN_SANDBOX_HOST_PATHS' }) }));
  });

  it('refuses a grant inside Packrun\'s data folder, or holding it, before any service starts', async () => {
    const home = path.join(base, 'data');
    for (const grant of [`csv=${path.join(home, 'store')}`, `csv=${home}`, `csv=${base}`]) {
      const config = configWith(grant, home);
      expect(() => checkHostPathGrants(config)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      const host = await detectSandbox(config);
      expect(() => createSandboxDecorator({ host, config })).toThrow(/Packrun's data folder/);
    }
  });

  it('refuses a folder inside another grant (a job writing in the outer one could swap it for a link), and one writable folder for two packs', () => {
    expect(() => checkHostPathGrants(configWith(`git=${base}/clones:rw,csv=${base}/clones/reports`))).toThrow(/one inside the other/);
    expect(() => checkHostPathGrants(configWith(`git=${base}/shared:rw,csv=${base}/shared`))).toThrow(/writable for one of them/);
    expect(() => checkHostPathGrants(configWith(`git=${base}/shared,csv=${base}/shared`))).not.toThrow();
  });

  it.runIf(process.getuid?.() === 0)('never changes what a writable grant that is a link points to', async () => {
    const target = path.join(base, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(base, 'granted-link');
    symlinkSync(target, link);
    const home = path.join(base, 'link-home');
    const config = configWith(`hostile=${link}:rw`, home);
    const host = await detectSandbox(config);
    const decorator = createSandboxDecorator({ host, config });
    const jobDir = path.join(home, 'jobs', 'x');
    mkdirSync(jobDir, { recursive: true });
    const before = statSync(target);
    await expect(
      decorator.wrap({ command: '/bin/true', args: [], env: {}, cwd: jobDir, context: { kind: 'action', pack: 'hostile', action: 'attack', packDir: base, jobDir, executionId: 'x' } }),
    ).rejects.toThrow(/symbolic link/);
    const after = statSync(target);
    expect({ gid: after.gid, mode: after.mode }).toEqual({ gid: before.gid, mode: before.mode });
  });
});
