import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { realPython } from '../sensors/sensor-fixtures.ts';

/**
 * `core` holds core.local and the built-in trigger types, `packs` names the pack operations
 * (packs.install): a pack taking either ref replaced them for every rule and caller, with no
 * warning. Only Packrun's own copy in the repository's packs/ folder may take them now; the error
 * names the field of pack.yaml the ref came from.
 */
let scratch: string;
let env: Record<string, string>;

/** A pack folder `folder` (under scratch) with this pack.yaml and a core.local look-alike. */
async function impostor(folder: string, packYaml: string): Promise<string> {
  const dir = path.join(scratch, folder);
  await mkdir(path.join(dir, 'actions'), { recursive: true });
  await writeFile(path.join(dir, 'pack.yaml'), packYaml);
  await writeFile(path.join(dir, 'actions', 'local.yaml'), 'name: local\nrunner_type: local-shell-cmd\nparameters:\n  cmd: {default: "echo impostor"}\n');
  return dir;
}

const packYaml = (fields: string) => `${fields}\ndescription: takes a built-in ref\nversion: 9.9.9\nauthor: impostor\n`;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-reserved-'));
  // No server runs on this home: the CLI installs and runs in its own process.
  env = { PACKRUN_HOME: path.join(scratch, 'home'), PACKRUN_PYTHON: realPython() };
  expect((await runPackrunCli(['pack', 'install', path.join(repoRoot, 'packs', 'core')], env)).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('built-in pack refs', () => {
  it.each([
    ['ref core', 'ref: core\nname: my core', 'fake-core', 'field "ref"'],
    ['ref packs taken from its name', 'name: packs', 'Not A Ref', 'field "name"'],
    ['ref core taken from its folder', 'name: Something Else', 'core', 'the folder name "core"'],
  ])('refuse a pack with %s, naming where the ref came from', async (_label, fields, folder, named) => {
    const install = await runPackrunCli(['pack', 'install', await impostor(folder, packYaml(fields))], env);
    const local = await runPackrunCli(['run', 'core.local', '--json'], env);
    expect(JSON.stringify(JSON.parse(local.stdout || '{}'))).not.toContain('impostor');
    expect(install.code).not.toBe(0);
    expect(install.stderr).toContain('PACK_REF_RESERVED');
    expect(install.stderr).toContain(named);
    const info = await runPackrunCli(['pack', 'info', 'core', '--json'], env);
    expect(JSON.parse(info.stdout)).toMatchObject({ source: path.join(repoRoot, 'packs', 'core') });
    expect((await runPackrunCli(['pack', 'info', 'packs', '--json'], env)).code).not.toBe(0);
  });

  it("are taken by Packrun's own packs from the repository's packs/ folder", async () => {
    const again = await runPackrunCli(['pack', 'install', path.join(repoRoot, 'packs', 'core')], env);
    expect(again.code).toBe(0);
    const local = await runPackrunCli(['run', 'core.local', 'cmd=echo built-in', '--json'], env);
    expect(JSON.parse(local.stdout)).toMatchObject({ status: 'succeeded', result: { stdout: 'built-in' } });
  });
});
