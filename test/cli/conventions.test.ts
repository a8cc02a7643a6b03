import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../packages/cli/src/main.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { repoRoot } from '../runner/fixtures.ts';

const run = promisify(execFile);
/** commander's Command (the root workspace does not depend on commander itself). */
type Command = Awaited<ReturnType<typeof buildProgram>>;

/** Every command of the tree with its path from `packrun`. */
function everyCommand(command: Command, words: string[] = []): Array<{ words: string[]; command: Command }> {
  return [{ words, command }, ...command.commands.flatMap((sub) => everyCommand(sub, [...words, sub.name()]))];
}

/** The CLI's conventions (issue 17): help on everything, --version, completion scripts from the tree. */
describe('packrun conventions', () => {
  let program: Command;
  let tmp: string;
  let scripts: Record<'bash' | 'zsh' | 'fish', string>;

  beforeAll(async () => {
    program = await buildProgram(['node', 'packrun']);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'packrun-conventions-'));
    const env = { PACKRUN_HOME: path.join(tmp, 'home') };
    scripts = { bash: '', zsh: '', fish: '' };
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const result = await runPackrunCli(['completion', shell], env);
      expect(result.code, result.stderr).toBe(0);
      scripts[shell] = result.stdout;
      await writeFile(path.join(tmp, `packrun.${shell}`), result.stdout);
    }
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('gives every command, argument and option a help text', () => {
    const missing: string[] = [];
    const commands = everyCommand(program);
    for (const { words, command } of commands) {
      const name = ['packrun', ...words].join(' ');
      if (!command.description().trim()) missing.push(`${name}: no description`);
      for (const argument of command.registeredArguments) if (!argument.description.trim()) missing.push(`${name} <${argument.name()}>: no description`);
      for (const option of command.options) if (!option.description.trim()) missing.push(`${name} ${option.flags}: no description`);
    }
    expect(missing).toEqual([]);
    // The walk saw the whole tree, not only the program: every module registered.
    expect(commands.map(({ words }) => words.join(' '))).toEqual(expect.arrayContaining(['execution get', 'key set', 'rule enable', 'sensor restart', 'completion']));
  });

  it('gives every command that prints about a resource --json: every leaf but the services and completion', () => {
    const services = new Set(['up', 'api', 'action-runner', 'rules-engine', 'sensor-container', 'workflow-engine', 'completion']);
    const leaves = everyCommand(program).filter(({ command }) => command.commands.length === 0);
    const without = leaves.filter(({ words, command }) => !services.has(words.join(' ')) && !command.options.some((option) => option.long === '--json'));
    expect(without.map(({ words }) => words.join(' '))).toEqual([]);
    // The exemption names only commands that exist (a renamed service must not hide a command).
    expect(leaves.map(({ words }) => words.join(' '))).toEqual(expect.arrayContaining([...services]));
    expect(leaves.length).toBeGreaterThan(40);
  });

  it('prints the package version and the commit it was built from', async () => {
    const { version } = (await import('../../packages/cli/package.json', { with: { type: 'json' } })).default;
    const result = await runPackrunCli(['--version'], { PACKRUN_HOME: path.join(tmp, 'home') });
    expect(result.code, result.stderr).toBe(0);
    const head = (await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: import.meta.dirname })).stdout.trim();
    // The bundle records the commit it was built at, which a later commit on the branch leaves behind.
    expect(result.stdout).toMatch(new RegExp(`^${version.replaceAll('.', '\\.')} \\(commit [0-9a-f]{12}\\)\n$`));
    const fromSource = await runPackrunCli(['--version'], { PACKRUN_HOME: path.join(tmp, 'home'), PACKRUN_FROM_SOURCE: '1' });
    expect(fromSource.stdout).toBe(`${version} (commit ${head})\n`);
  });

  it('refuses a shell it has no script for', async () => {
    const result = await runPackrunCli(['completion', 'ksh'], { PACKRUN_HOME: path.join(tmp, 'home') });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Allowed choices are bash, zsh, fish/);
  });

  /** What bash completes for the words typed (the last one being completed), with the script sourced. */
  async function bashCompletes(words: string[]): Promise<string[]> {
    const script = `source ${JSON.stringify(path.join(tmp, 'packrun.bash'))}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_packrun_completion
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', script]);
    return stdout.split('\n').filter(Boolean);
  }

  it('completes in bash: commands, subcommands and their options', async () => {
    expect(await bashCompletes(['packrun', 'exec'])).toEqual(['execution']);
    expect(await bashCompletes(['packrun', 'execution', 'li'])).toEqual(['list']);
    expect(await bashCompletes(['packrun', 'execution', 'list', '--st'])).toEqual(['--status']);
    // An option's value between the words does not lose the command.
    expect(await bashCompletes(['packrun', '-v', 'rule', 'list', '--pack', 'core', '--j'])).toEqual(['--json']);
    expect(await bashCompletes(['packrun', 'comp'])).toEqual(['completion']);
  });

  it.runIf(existsSync('/usr/bin/fish'))('completes in fish (skipped without fish: scripts/setup.sh installs it)', async () => {
    const complete = async (line: string) =>
      (await run('fish', ['--no-config', '-c', `source ${path.join(tmp, 'packrun.fish')}; complete -C ${JSON.stringify(line)}`])).stdout
        .split('\n')
        .filter(Boolean)
        .map((entry) => entry.split('\t')[0]);
    expect(await complete('packrun exec')).toEqual(['execution']);
    expect(await complete('packrun execution li')).toEqual(['list']);
    expect(await complete('packrun execution list --st')).toEqual(['--status']);
  });

  it.runIf(existsSync('/usr/bin/zsh'))('completes in zsh (skipped without zsh: scripts/setup.sh installs it)', async () => {
    await run('zsh', ['-n', path.join(tmp, 'packrun.zsh')]);
    expect(scripts.zsh).toMatch(/^#compdef packrun/);
    // compsys's _describe and compdef need an interactive zsh with zle; stand-ins print the
    // candidates the script hands _describe (its 4th argument names the array).
    const complete = async (words: string[]) =>
      (
        await run('zsh', [
          '-f',
          '-c',
          `compdef() { :; }; _describe() { local -a list; list=("\${(@P)4}"); print -l -- "\${list[@]}"; }
source ${JSON.stringify(path.join(tmp, 'packrun.zsh'))}; words=(${words.map((word) => `'${word}'`).join(' ')}); CURRENT=${words.length}; _packrun`,
        ])
      ).stdout
        .split('\n')
        .map((entry) => entry.split(':')[0])
        .filter((name) => name && name.startsWith(words.at(-1)!));
    expect(await complete(['packrun', 'exec'])).toEqual(['execution']);
    expect(await complete(['packrun', 'execution', 'list', '--st'])).toEqual(['--status']);
  });

  it('runs the build only while no source it was made from is newer, and never with PACKRUN_FROM_SOURCE=1', async () => {
    // The bin's own check, on a copy of the layout: a build made at t=1000 s from one source.
    const root = path.join(tmp, 'layout');
    await mkdir(path.join(root, 'packages/cli/bin'), { recursive: true });
    await mkdir(path.join(root, 'packages/cli/dist'), { recursive: true });
    await mkdir(path.join(root, 'packages/core/src'), { recursive: true });
    await copyFile(path.join(repoRoot, 'packages/cli/bin/current-build.mjs'), path.join(root, 'packages/cli/bin/current-build.mjs'));
    const source = path.join(root, 'packages/core/src/errors.ts');
    await writeFile(source, '');
    const buildJson = (extra: object) => writeFile(path.join(root, 'packages/cli/dist/build.json'), JSON.stringify({ builtAt: 1_000_000, sources: ['packages/core/src/errors.ts'], ...extra }));
    const check = async (env: Record<string, string> = {}) =>
      (await run(process.execPath, ['--input-type=module', '-e', `import { currentBuild } from ${JSON.stringify(path.join(root, 'packages/cli/bin/current-build.mjs'))}; console.log(currentBuild() ?? 'source')`], { env: { PATH: process.env['PATH'] ?? '', ...env } })).stdout.trim();
    const entry = path.join(root, 'packages/cli/dist/main.mjs');

    await buildJson({});
    await utimes(source, 900, 900);
    expect(await check()).toBe(entry);
    expect(await check({ PACKRUN_FROM_SOURCE: '1' })).toBe('source');
    await utimes(source, 1100, 1100);
    expect(await check()).toBe('source');
    await rm(source);
    expect(await check()).toBe('source');
    // The npm package's build carries no sources and is always current.
    await buildJson({ packaged: true });
    expect(await check()).toBe(entry);
    await rm(path.join(root, 'packages/cli/dist/build.json'));
    expect(await check()).toBe('source');
  });
});
