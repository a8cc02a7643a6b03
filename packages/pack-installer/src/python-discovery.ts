import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolvePython, type PythonInterpreter } from './interpreter.ts';
import { runTool } from './run-tool.ts';

/** The oldest Python Packrun's wrappers run on (packrun_runtime is tested down to it). */
const oldestSupportedPython = [3, 7] as const;

/** Interpreter file names looked for in a folder: python3, python3.X, pypy3, pypy3.X. */
const interpreterName = /^(?:python|pypy)3(?:\.\d+)?$/;

export interface DiscoveryOptions {
  /** PACKRUN_PYTHON_SEARCH: `auto`, `off`, or the operator's own list of interpreters and folders. */
  search: string[] | 'auto' | 'off';
  uv: string | undefined;
  /** Where PYENV_ROOT and HOME are read (the runtime's own environment). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The Python interpreters present on this host, from places only the operator controls: uv's
 * installed interpreters (never a download), pyenv's versions, /usr/bin and /usr/local/bin, or
 * the folders and files PACKRUN_PYTHON_SEARCH lists. Nothing a pack wrote is ever a candidate.
 * Each candidate is asked for its real path and version; one that cannot run, or is older than
 * the wrappers support, is left out. Sorted: CPython before other implementations, newest first.
 */
export async function discoverPythons(options: DiscoveryOptions): Promise<PythonInterpreter[]> {
  if (options.search === 'off') return [];
  const env = options.env ?? process.env;
  const candidates =
    options.search === 'auto'
      ? [
          ...(await uvInterpreters(options.uv)),
          ...(await pyenvInterpreters(env['PYENV_ROOT'] || path.join(env['HOME'] || os.homedir(), '.pyenv'))),
          ...(await folderInterpreters('/usr/local/bin')),
          ...(await folderInterpreters('/usr/bin')),
        ]
      : (await Promise.all(options.search.map(async (entry) => ((await isFolder(entry)) ? folderInterpreters(entry) : [entry])))).flat();
  const probed = await Promise.all([...new Set(candidates)].map((candidate) => resolvePython(candidate).catch(() => undefined)));
  const byExecutable = new Map<string, PythonInterpreter>();
  for (const python of probed) {
    if (python && isSupported(python.version) && !byExecutable.has(python.executable)) byExecutable.set(python.executable, python);
  }
  return [...byExecutable.values()].sort(preferred);
}

function isSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major === oldestSupportedPython[0] && minor >= oldestSupportedPython[1];
}

/** CPython first (the implementation packs are written and tested against), then the newest version. */
function preferred(a: PythonInterpreter, b: PythonInterpreter): number {
  const cpython = Number(b.implementation === 'cpython') - Number(a.implementation === 'cpython');
  if (cpython !== 0) return cpython;
  const [x, y] = [a, b].map((python) => python.version.split('.').map(Number));
  for (let index = 0; index < 3; index++) {
    const difference = (y?.[index] ?? 0) - (x?.[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

async function isFolder(entry: string): Promise<boolean> {
  try {
    return (await readdir(entry)) !== undefined;
  } catch {
    return false;
  }
}

async function folderInterpreters(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((name) => interpreterName.test(name)).sort().map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}

/** pyenv keeps each version under versions/<name>/bin; its shims only ever run the selected one. */
async function pyenvInterpreters(root: string): Promise<string[]> {
  let versions: string[];
  try {
    versions = await readdir(path.join(root, 'versions'));
  } catch {
    return [];
  }
  const found = await Promise.all(versions.map(async (version) => (await folderInterpreters(path.join(root, 'versions', version, 'bin'))).slice(0, 1)));
  return found.flat();
}

/** uv's view of installed interpreters (its own managed ones included), with downloads off. */
async function uvInterpreters(uv: string | undefined): Promise<string[]> {
  if (!uv) return [];
  try {
    const { stdout } = await runTool({
      command: uv,
      args: ['python', 'list', '--only-installed', '--output-format', 'json'],
      env: { ...process.env, UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1' },
      // uv also lists a virtualenv in the folder it runs in and its parents: none of those.
      cwd: '/',
    });
    const listed: unknown = JSON.parse(stdout);
    if (!Array.isArray(listed)) return [];
    return listed.flatMap((item) => (typeof item === 'object' && item !== null && typeof (item as { path?: unknown }).path === 'string' ? [(item as { path: string }).path] : []));
  } catch {
    return [];
  }
}
