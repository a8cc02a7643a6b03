import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { dataPaths, loadConfig, type ActionOutcome } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';

// runAction keeps pack metadata and parsed site configs between executions: these check that a
// reinstall and an edited config are still seen by the very next execution.
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-metacache-'));
const home = path.join(root, 'home');
const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_LOG_LEVEL: 'error' });
const paths = dataPaths(home);
const datastore = new LocalFileKeyValues(paths);

/** A shell-only pack (no env to build) whose action prints its `word` parameter. */
function writePack(version: string, wordDefault: string): string {
  const dir = path.join(root, `src-${version}`, 'metacache');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), `ref: metacache\nname: metacache\ndescription: cache test\nversion: ${version}\nauthor: t\nemail: t@example.invalid\n`);
  writeFileSync(path.join(dir, 'config.schema.yaml'), 'word:\n  type: string\n  default: schema-default\n');
  writeFileSync(
    path.join(dir, 'actions', 'say.yaml'),
    ['name: say', 'runner_type: local-shell-cmd', 'enabled: true', 'parameters:', '  word:', '    type: string', `    default: "${wordDefault}"`,
      '  cmd:', '    type: string', '    default: "echo {{ word }}"', ''].join('\n'),
  );
  return dir;
}

async function say(): Promise<ActionOutcome> {
  return runAction({ paths, config, ref: 'metacache.say', input: {}, datastore });
}

function stdoutOf(outcome: ActionOutcome): string {
  expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
  return String((outcome.result as { stdout: unknown }).stdout).trim();
}

describe('runAction with cached metadata', () => {
  it('runs the reinstalled version on the next execution', async () => {
    await installPack([writePack('1.0.0', 'first')], { config });
    expect(stdoutOf(await say())).toBe('first');
    expect(stdoutOf(await say())).toBe('first');
    await installPack([writePack('2.0.0', 'second')], { config });
    expect(stdoutOf(await say())).toBe('second');
  });

  it('reads an edited site config on the next execution, even one rewritten at once to the same size', async () => {
    await installPack([writePack('3.0.0', '{{ config_context.word }}')], { config });
    expect(stdoutOf(await say())).toBe('schema-default');
    mkdirSync(paths.configs, { recursive: true });
    const file = path.join(paths.configs, 'metacache.yaml');
    writeFileSync(file, 'word: aaa\n');
    expect(stdoutOf(await say())).toBe('aaa');
    writeFileSync(file, 'word: bbb\n');
    expect(stdoutOf(await say())).toBe('bbb');
    writeFileSync(file, 'word: [unclosed\n');
    await expect(say()).rejects.toMatchObject({ code: 'PACK_CONFIG_INVALID' });
    writeFileSync(file, 'word: ccc\n');
    expect(stdoutOf(await say())).toBe('ccc');
  });
});
