import { readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolvePython, type PythonInterpreter } from './interpreter.ts';
import { buildToolEnv, type BuildSandbox } from './build-sandbox.ts';
import type { InstallTool } from './progress.ts';
import { runTool } from './run-tool.ts';
import { uvProgressLine } from './tool-progress.ts';

export interface PythonEnvBuild {
  /** Temporary folder the venv is built in; renamed to `finalDir` by the caller when complete. */
  buildDir: string;
  finalDir: string;
  python: PythonInterpreter;
  /** requirements.txt content, already checked; empty or undefined: an empty venv. */
  requirements: string | undefined;
  /** uv binary, or undefined to use venv + pip. */
  uv: string | undefined;
  /** The interpreter whose pip installs into the venv (PACKRUN_PYTHON): the pack's own may have none. */
  pipHost: string;
  cacheDir: string;
  /**
   * The tools' working folder, against which relative paths in the requirements resolve: the
   * pack only when the operator allows local paths, so a name that pip would read as a file
   * (`x-1.0.tar.xz`) finds nothing of the pack's otherwise.
   */
  workDir: string;
  onTool: (tool: InstallTool, message: string) => void;
  onLine: (line: string) => void;
  signal?: AbortSignal;
  /** Runs the tools sandboxed, as the build uid; unsandboxed when absent. */
  sandbox?: BuildSandbox;
}

function hasRequirements(requirements: string | undefined): requirements is string {
  return requirements !== undefined && requirements.split(/\r?\n/).some((line) => line.replace(/#.*/, '').trim() !== '');
}

/**
 * Builds a pack's venv. Packrun's own Python modules are never installed here: the env holds only
 * what the pack's requirements.txt names, so two packs may pin different versions of one library.
 */
export async function buildPythonEnv(build: PythonEnvBuild): Promise<void> {
  // Inside bubblewrap only uv's installation is there, not a symlink to it elsewhere.
  if (build.uv) await buildWithUv(build, build.sandbox ? await realpath(build.uv) : build.uv);
  else await buildWithPip(build);
}

async function buildWithUv(build: PythonEnvBuild, uv: string): Promise<void> {
  const cacheDir = path.join(build.cacheDir, 'uv');
  // The cache lives in PACKRUN_HOME, on the same filesystem as envs/, so uv can hardlink from it;
  // except in the sandbox, where the cache belongs to the build uid: a hardlinked env file would
  // be the very inode a later (hostile) build can rewrite through the cache.
  const linkMode = build.sandbox ? 'copy' : 'hardlink';
  const uvVars = { UV_CACHE_DIR: cacheDir, UV_LINK_MODE: linkMode, UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1' };
  const env = build.sandbox ? buildToolEnv(process.env, build.sandbox.homeDir, uvVars) : { ...process.env, ...uvVars };
  const sandbox = await build.sandbox?.forTool({ cacheDir, interpreters: [build.python.executable] });
  build.onTool('uv', `uv venv (Python ${build.python.version})`);
  await runTool({
    command: uv,
    args: ['venv', '--quiet', '--relocatable', '--python', build.python.executable, build.buildDir],
    env,
    onLine: build.onLine,
    ...(build.signal && { signal: build.signal }),
    ...(sandbox && { sandbox }),
  });
  if (!hasRequirements(build.requirements)) return;
  const requirementsFile = path.join(build.buildDir, 'requirements.txt');
  await writeFile(requirementsFile, build.requirements);
  const install = (offline: boolean) =>
    runTool({
      command: uv,
      // -v: a line per package as uv resolves and downloads (tool-progress.ts), not silence until the end.
      args: ['pip', 'install', '-v', '--python', path.join(build.buildDir, 'bin', 'python'), '--compile-bytecode', '--link-mode', linkMode, ...(offline ? ['--offline'] : []), '-r', requirementsFile],
      env,
      cwd: build.workDir,
      onLine: build.onLine,
      lineFilter: uvProgressLine,
      ...(build.signal && { signal: build.signal }),
      ...(sandbox && { sandbox }),
    });
  build.onTool('uv', 'uv pip install -r requirements.txt');
  try {
    await install(false);
  } catch (error) {
    // Unlike StackStorm, an install must not need the network when the cache holds everything.
    if (!isNetworkFailure(error)) throw error;
    build.onTool('uv', 'package index unreachable: uv pip install --offline (from the cache)');
    await install(true);
  }
}

function isNetworkFailure(error: unknown): boolean {
  const output = (error as { details?: { output?: unknown } }).details?.output;
  return typeof output === 'string' && /tcp connect error|dns error|failed to lookup address|error sending request|tunnel error|connection refused|network is unreachable/i.test(output);
}

async function buildWithPip(build: PythonEnvBuild): Promise<void> {
  build.onTool('venv', `python -m venv --without-pip (Python ${build.python.version})`);
  const venvSandbox = await build.sandbox?.forTool({});
  await runTool({
    command: build.python.executable,
    args: ['-m', 'venv', '--without-pip', build.buildDir],
    ...(build.sandbox && { env: buildToolEnv(process.env, build.sandbox.homeDir, {}) }),
    onLine: build.onLine,
    ...(build.signal && { signal: build.signal }),
    ...(venvSandbox && { sandbox: venvSandbox }),
  });
  if (!hasRequirements(build.requirements)) return;
  const requirementsFile = path.join(build.buildDir, 'requirements.txt');
  await writeFile(requirementsFile, build.requirements);
  build.onTool('pip', 'pip install -r requirements.txt');
  // An outside pip installs into the venv (`--python`, pip >= 22.3): the venv itself never gets
  // a pip of its own to go stale.
  const host = await resolvePython(build.pipHost);
  const cacheDir = path.join(build.cacheDir, 'pip');
  const pipVars = { PIP_CACHE_DIR: cacheDir, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  const sandbox = await build.sandbox?.forTool({ cacheDir, interpreters: [host.executable, build.python.executable] });
  await runTool({
    command: host.executable,
    args: ['-m', 'pip', '--python', path.join(build.buildDir, 'bin', 'python'), 'install', '--disable-pip-version-check', '--no-input', '--no-warn-script-location', '-r', requirementsFile],
    env: build.sandbox ? buildToolEnv(process.env, build.sandbox.homeDir, pipVars) : { ...process.env, ...pipVars },
    cwd: build.workDir,
    onLine: build.onLine,
    ...(build.signal && { signal: build.signal }),
    ...(sandbox && { sandbox }),
  });
  await retargetScripts(build.buildDir, build.finalDir);
}

/**
 * pip writes the build folder's absolute path into script shebangs and activate scripts; the venv
 * is renamed into place afterwards, so those paths are pointed at the final folder.
 */
async function retargetScripts(buildDir: string, finalDir: string): Promise<void> {
  const bin = path.join(buildDir, 'bin');
  for (const entry of await readdir(bin, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(bin, entry.name);
    const content = await readFile(file);
    if (content.includes(0)) continue;
    const text = content.toString('utf8');
    if (!text.includes(buildDir)) continue;
    await writeFile(file, text.split(buildDir).join(finalDir));
  }
}
