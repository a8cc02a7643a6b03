import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, type DataPaths, type PackEnvironment, type SpawnDecorator } from '@packrun/core';
import { createBuildSandbox } from './build-sandbox.ts';
import type { EnvPlan } from './env-plan.ts';
import { buildNodeEnv } from './node-env.ts';
import type { InstallProgressEvent } from './progress.ts';
import { describePython } from './interpreter.ts';
import { buildPythonEnv } from './python-env.ts';

/** Written last into a finished env: an env folder without it is never used. */
export const envReadyMarker = '.packrun-env.json';

export interface EnsureEnvOptions {
  paths: DataPaths;
  /** This install's private staging folder (same filesystem as envs/, so the final rename is atomic). */
  stagingDir: string;
  ref: string;
  plan: EnvPlan;
  uv: string | undefined;
  /** Interpreter whose pip builds venvs when uv is not used. */
  pipHost: string;
  allowNpmScripts: boolean;
  /** The staged pack, readable by the build tools. */
  packDir: string;
  /** The operator allows local paths in requirements: they are resolved against the pack. */
  allowLocalRequirements: boolean;
  /** Runs uv, pip and npm through this decorator as env builds; unsandboxed when absent. */
  sandbox?: { decorator: SpawnDecorator; timeoutSeconds: number };
  emit: (event: Omit<InstallProgressEvent, 'stage' | 'pack'>) => void;
  /** Told the private folder the env is built in (the tools name the files they read there). */
  onBuildDir?: (buildDir: string) => void;
  signal?: AbortSignal;
}

function envDir(paths: DataPaths, ref: string, hash: string): string {
  return path.join(paths.envs, ref, hash);
}

/**
 * The download caches (uv, pip, npm) of one pack. A build runs the pack's own code (setup.py,
 * install scripts) with its cache writable, so a cache shared by packs would let one pack's
 * build rewrite what another pack's later build installs: each pack has its own, at the price
 * of downloading a package once per pack that needs it.
 */
export function packCacheDir(paths: DataPaths, ref: string): string {
  return path.join(paths.cache, 'packs', ref);
}

/**
 * Opens the pack's cache folder to the build uid for one build, and closes it after. Every build
 * runs as the same build uid: under bubblewrap a build sees only its own pack's cache, but on a
 * host without it the folder's mode is what keeps a build out of the other packs' caches.
 */
async function openPackCache(paths: DataPaths, ref: string): Promise<() => Promise<void>> {
  const dir = packCacheDir(paths, ref);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o711);
  return () => chmod(dir, 0o700);
}

/** The caches every pack shared before they were split per pack: never read again, so removed. */
export async function removeSharedCaches(paths: DataPaths): Promise<void> {
  for (const tool of ['uv', 'pip', 'npm']) await rm(path.join(paths.cache, tool), { recursive: true, force: true });
}

function describeEnv(paths: DataPaths, ref: string, plan: EnvPlan): PackEnvironment {
  if (plan.kind === 'none') return { kind: 'none' };
  const dir = envDir(paths, ref, plan.hash);
  return {
    kind: plan.kind,
    path: dir,
    hash: plan.hash,
    ...(plan.python && {
      python: path.join(dir, 'bin', 'python'),
      interpreter: { executable: plan.python.executable, version: plan.python.version, implementation: plan.python.implementation, chosenBy: plan.python.chosenBy },
    }),
    ...(plan.packageJson !== undefined && { nodeModules: path.join(dir, 'node_modules') }),
  };
}

export async function isEnvReady(dir: string): Promise<boolean> {
  try {
    await stat(path.join(dir, envReadyMarker));
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the env for the plan, building it only when no finished env with that hash exists.
 * A build happens in a private staging folder and is renamed into envs/<ref>/<hash> only once
 * complete, so a failed build never touches an env in use.
 */
export async function ensureEnv(options: EnsureEnvOptions): Promise<{ env: PackEnvironment; reused: boolean }> {
  const { paths, ref, plan } = options;
  const env = describeEnv(paths, ref, plan);
  if (plan.kind === 'none') return { env, reused: true };
  const finalDir = envDir(paths, ref, plan.hash);
  if (await isEnvReady(finalDir)) {
    options.emit({ message: `reusing env ${plan.hash} (dependencies unchanged)`, envReused: true });
    return { env, reused: true };
  }
  const buildDir = await mkdtemp(path.join(options.stagingDir, `env-${ref}-`));
  // mkdtemp makes the folder private; sandboxed jobs run as another user and must read the env.
  await chmod(buildDir, 0o755);
  options.onBuildDir?.(buildDir);
  // The tool step running now, named in the error if it fails (`uv pip install -r requirements.txt`).
  let step = '';
  const onTool = (tool: InstallProgressEvent['tool'] & string, message: string) => {
    step = message;
    options.emit({ message, tool });
  };
  const onLine = (line: string) => options.emit({ message: line, output: line });
  const sandbox = options.sandbox
    ? await createBuildSandbox({ ...options.sandbox, ref, packDir: options.packDir, buildDir, stagingDir: options.stagingDir })
    : undefined;
  const closeCache = await openPackCache(paths, ref);
  try {
    if (plan.python) {
      await buildPythonEnv({
        buildDir,
        finalDir,
        python: plan.python,
        requirements: plan.requirements,
        uv: options.uv,
        pipHost: options.pipHost,
        cacheDir: packCacheDir(paths, ref),
        workDir: options.allowLocalRequirements ? options.packDir : buildDir,
        onTool,
        onLine,
        ...(options.signal && { signal: options.signal }),
        ...(sandbox && { sandbox }),
      });
    }
    if (plan.packageJson !== undefined) {
      await buildNodeEnv({
        buildDir,
        packageJson: plan.packageJson,
        packageLock: plan.packageLock,
        allowScripts: options.allowNpmScripts,
        cacheDir: packCacheDir(paths, ref),
        onTool,
        onLine,
        ...(options.signal && { signal: options.signal }),
        ...(sandbox && { sandbox }),
      });
    }
    await sandbox?.finish();
    // The build could write in this folder: whatever it left under the marker's name (a link to a
    // file of the host's, which writing would follow) goes, and the marker is created, never opened.
    const marker = path.join(buildDir, envReadyMarker);
    await rm(marker, { force: true, recursive: true });
    await writeFile(marker, JSON.stringify({ ref, hash: plan.hash, kind: plan.kind, python: plan.python, builtAt: new Date().toISOString() }, null, 2), { flag: 'wx' });
    await mkdir(path.dirname(finalDir), { recursive: true });
    // A leftover without the ready marker is an aborted build of some earlier process.
    await rm(finalDir, { recursive: true, force: true });
    await rename(buildDir, finalDir);
  } catch (cause) {
    await sandbox?.discard();
    await rm(buildDir, { recursive: true, force: true });
    if (cause instanceof PackrunError && cause.code === 'TOOL_FAILED') throw envBuildFailed(ref, plan, step, cause);
    throw cause;
  } finally {
    await closeCache();
  }
  return { env, reused: false };
}

const pythonChoiceNames: Record<NonNullable<EnvPlan['python']>['chosenBy'], string> = {
  operator: 'chosen by PACKRUN_PACK_PYTHON',
  default: 'PACKRUN_PYTHON, the default',
  python_versions: "found on this host for the pack's python_versions",
};

/**
 * PACK_ENV_BUILD_FAILED says which step failed and, for a Python env, with which interpreter and
 * how to choose another; not the tool's command line (paths in PACKRUN_HOME the user never wrote)
 * nor its output, which the install's progress showed as it came (it is kept in details.output).
 */
function envBuildFailed(ref: string, plan: EnvPlan, step: string, cause: PackrunError): PackrunError {
  const stopReason = cause.details['stopReason'];
  const exitCode = cause.details['exitCode'];
  const how = typeof stopReason === 'string' ? stopReason : typeof exitCode === 'number' ? `exited with code ${exitCode}` : 'was stopped';
  const python = plan.python;
  const usingNpm = step.startsWith('npm');
  const what = python && !usingNpm ? `the Python environment of pack "${ref}" (${describePython(python)}, ${pythonChoiceNames[python.chosenBy]})` : `the environment of pack "${ref}"`;
  const hint =
    python && !usingNpm
      ? `the tool's output is above (and in details.output); if the pack needs another Python than ${describePython(python)}, list the versions it supports in pack.yaml's python_versions, or name an interpreter for it with PACKRUN_PACK_PYTHON=${ref}=/path/to/python (docs/configuration.md, "Python per pack"); the previously installed version is unchanged`
      : "the tool's output is above (and in details.output): check the pack's package.json; the previously installed version is unchanged";
  return new PackrunError('PACK_ENV_BUILD_FAILED', `building ${what} failed: ${step || cause.details['command']} ${how}`, {
    hint,
    details: { pack: ref, step, ...(python && { python: { version: python.version, implementation: python.implementation, executable: python.executable, chosenBy: python.chosenBy } }), ...cause.details },
    cause,
  });
}

/** Removes every env of the pack except the ones still referenced. */
export async function collectUnusedEnvs(paths: DataPaths, ref: string, keep: ReadonlySet<string>): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(path.join(paths.envs, ref));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const hash of entries) {
    if (keep.has(hash)) continue;
    await rm(path.join(paths.envs, ref, hash), { recursive: true, force: true });
    removed.push(hash);
  }
  return removed;
}
