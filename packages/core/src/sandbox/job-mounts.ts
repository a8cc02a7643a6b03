import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { SpawnContext } from '../process/spawn-decorator.ts';

/**
 * Packrun's own wrapper runtimes (`packages/<name>/node` and `packages/<name>/python`: the action
 * and sensor wrappers and the StackStorm stand-ins): every job reads them, none may write them.
 */
const packagesDir = path.resolve(import.meta.dirname, '../../..');
const runtimeFolders = readdirSync(packagesDir).flatMap((name) =>
  ['node', 'python'].map((runtime) => path.join(packagesDir, name, runtime)).filter((dir) => existsSync(dir)),
);

export function resolveCommand(command: string, env: Record<string, string>): string | undefined {
  if (path.isAbsolute(command)) return command;
  for (const dir of (env['PATH'] ?? '').split(':')) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The installation an interpreter needs at run time (its stdlib beside its binary): the real
 * binary's prefix, and for a virtualenv the base install its pyvenv.cfg points at. A prefix that
 * would expose a home folder or the data folder is refused: the job then fails to start, loudly,
 * rather than seeing more than it should.
 */
function interpreterInstallations(command: string | undefined, dataHome: string): string[] {
  if (!command || !existsSync(command)) return [];
  const prefixes = [path.dirname(path.dirname(realpathSync(command)))];
  const venvConfig = path.join(path.dirname(path.dirname(command)), 'pyvenv.cfg');
  if (existsSync(venvConfig)) {
    const home = /^home\s*=\s*(.+)$/m.exec(readFileSync(venvConfig, 'utf8'))?.[1]?.trim();
    if (home && existsSync(home)) prefixes.push(path.dirname(realpathSync(home)));
  }
  return prefixes.filter(
    (prefix) =>
      path.dirname(prefix) !== '/' &&
      !/^\/home\/[^/]+$/.test(prefix) &&
      !`${dataHome}/`.startsWith(`${prefix}/`),
  );
}

/** What a job of `context` reads, bound read-only: its pack, its env, Packrun's wrapper runtimes and its interpreters' installations. */
export function jobReadOnlyFolders(
  context: Pick<SpawnContext, 'packDir' | 'envDir' | 'interpreters' | 'readOnlyDirs'>,
  command: string | undefined,
  env: Record<string, string>,
  dataHome: string,
): string[] {
  const interpreters = [command, ...(context.interpreters ?? []).map((interpreter) => resolveCommand(interpreter, env))];
  return [
    context.packDir,
    ...(context.envDir ? [context.envDir] : []),
    ...runtimeFolders,
    ...(context.readOnlyDirs ?? []),
    ...interpreters.flatMap((interpreter) => interpreterInstallations(interpreter, dataHome)),
  ];
}
