import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  PackrunError,
  dataPaths,
  describeProblem,
  describeSkippedActions,
  isBuiltinPackRef,
  loadPack,
  readInstalledPack,
  summariseActions,
  type ActionSummary,
  type DataPaths,
  type InstalledPack,
  type LoadedPack,
  type PackrunConfig,
  type PackProblem,
  type SpawnDecorator,
} from '@packrun/core';
import { checkWorkflowActions } from '@packrun/workflow-engine';
import { deactivate, placeVersion, retireVersion, switchActive } from './activation.ts';
import { planEnv } from './env-plan.ts';
import { describePython } from './interpreter.ts';
import type { ChosenPython } from './python-choice.ts';
import { ensurePythonLibs } from './python-libs.ts';
import { ensureEnv, removeSharedCaches } from './env-store.ts';
import { checkConflicts, planInstall, type InstallPlan, type PlannedPack } from './install-plan.ts';
import { withPackLocks } from './install-lock.ts';
import { readInstalledPacks, type InstalledPackRecord, type InstalledPackState } from './installed-packs.ts';
import { packDigest } from './pack-digest.ts';
import type { InstallProgressEvent, ProgressListener } from './progress.ts';
import { assertSafePackageJson } from './package-json-check.ts';
import { assertSafeRequirements } from './requirements-check.ts';
import { defaultArchiveLimits, type ArchiveLimits } from './sources/archive-check.ts';
import { ShownPaths } from './shown-paths.ts';
import { discardUpload } from './sources/upload-source.ts';
import { createStagingDir } from './staging.ts';
import { locateUv } from './uv-locate.ts';
import { collectPackGarbage, collectRetiredVersions } from './version-gc.ts';

export type InstallerConfig = Pick<PackrunConfig, 'home' | 'python' | 'packPython' | 'pythonSearch' | 'uv' | 'allowUnsafeRequirements' | 'allowNpmScripts' | 'packIndex'> &
  Partial<Pick<PackrunConfig, 'sandboxBuildTimeoutSeconds'>>;

export interface InstallOptions {
  config: InstallerConfig;
  /** Install even when stackstorm_version or python_versions says the pack does not fit. */
  force?: boolean;
  onProgress?: ProgressListener;
  /** Called for each pack right after it became the active version (e.g. to register it in the Store). A throw rolls the install back. */
  onActivated?: (installed: InstalledPack, loaded: LoadedPack) => void | Promise<void>;
  /** Called when a rollback uninstalls a pack this install had activated and that was not installed before. */
  onRemoved?: (ref: string) => void | Promise<void>;
  /** Size limits for .tar.gz sources (defaults: 512 MiB unpacked, 50,000 entries, 128 MiB download). */
  archiveLimits?: Partial<ArchiveLimits>;
  signal?: AbortSignal;
  /**
   * The sandbox (createSandboxDecorator) that uv, pip and npm run in: they execute the pack's
   * setup.py and install scripts. Without it they run as the runtime's own user.
   */
  decorator?: SpawnDecorator;
  /**
   * Keep a pack, rather than install it again, when the installed copy came from the same source
   * with the same version and content digest (decided once the pack's lock is held, so that
   * processes starting together install a built-in pack once).
   */
  keepIdentical?: boolean;
}

export interface InstallResult {
  /** Packs now active, dependencies first. */
  installed: InstalledPack[];
  /** Dependencies already installed at a fitting version. */
  kept: Array<{ ref: string; version: string }>;
  /** Non-fatal problems: broken action files, actions whose runner is missing, forced incompatibilities. */
  warnings: PackProblem[];
  /** For each pack installed, what of its actions will run and what was skipped and why. */
  actions: Record<string, ActionSummary>;
}

interface Prepared {
  planned: PlannedPack;
  record: Omit<InstalledPackRecord, 'dir'>;
}

/**
 * Installs packs from folders, git URLs, archives or index names, with their dependencies.
 * Everything is staged and every env built and every pack validated before the first pack is
 * switched; any failure leaves the previously installed versions active and their envs untouched.
 */
export async function installPack(sources: string | string[], options: InstallOptions): Promise<InstallResult> {
  const list = Array.isArray(sources) ? sources : [sources];
  const paths = dataPaths(options.config.home);
  // Progress and errors name the user's files, never the staged copies read here.
  const shown = new ShownPaths();
  const emit: ProgressListener = (event) =>
    options.onProgress?.({ ...event, message: shown.text(event.message), ...(event.output !== undefined && { output: shown.text(event.output) }) });
  const stagingDir = await createStagingDir(paths);
  try {
    const plan = await planInstall(list, {
      home: options.config.home,
      onStaged: (dir, as) => shown.add(dir, as),
      stagingDir,
      installed: await readInstalledPacks(paths),
      python: {
        configured: options.config.python,
        overrides: options.config.packPython,
        discovery: { search: options.config.pythonSearch, uv: await locateUv(options.config.uv) },
      },
      force: options.force ?? false,
      onProgress: emit,
      packIndex: options.config.packIndex,
      archiveLimits: { ...defaultArchiveLimits, ...options.archiveLimits },
      ...(options.signal && { signal: options.signal }),
    });
    checkConflicts(plan, await readInstalledPacks(paths));
    const result = await withPackLocks(paths, plan.packs.map((pack) => pack.ref), () => installPlanned(plan, paths, stagingDir, options, emit, shown), {
      onWait: (ref) => emit({ stage: 'resolving', pack: ref, message: `waiting for another install of ${ref} to finish` }),
      ...(options.signal && { signal: options.signal }),
    });
    // Versions of any pack that jobs kept past earlier installs, now that those jobs may have ended.
    await collectRetiredVersions(options.config.home);
    return result;
  } catch (error) {
    throw shown.error(error);
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
    // An upload serves one install, whatever its outcome: the client sends it again to retry.
    for (const id of uploadIds(list)) await discardUpload(options.config.home, id);
  }
}

async function installPlanned(
  given: InstallPlan,
  paths: DataPaths,
  stagingDir: string,
  options: InstallOptions,
  emit: ProgressListener,
  shown: ShownPaths,
): Promise<InstallResult> {
  // Another install may have finished while this one waited for the locks.
  const current = await readInstalledPacks(paths);
  checkConflicts(given, current);
  const plan = options.keepIdentical ? await withoutIdentical(given, current) : given;
  if (plan.packs.length === 0) return { installed: [], kept: plan.kept, warnings: [], actions: {} };
  for (const planned of plan.packs) await collectPackGarbage(paths, planned.ref);
  const uv = await locateUv(options.config.uv);
  await removeSharedCaches(paths);
  const warnings: PackProblem[] = [];
  const actions: Record<string, ActionSummary> = {};
  const prepared: Prepared[] = [];
  // Every pack's dependency files are checked before any env is built.
  for (const planned of plan.packs) await assertSafeInputs(planned, options.config);
  for (const planned of plan.packs) {
    const { ref } = planned;
    const packEmit = (event: Omit<InstallProgressEvent, 'stage' | 'pack'>) => emit({ stage: 'building-env', pack: ref, ...event });
    for (const message of planned.warnings) {
      warnings.push({ file: 'pack.yaml', message, code: 'PACK_INCOMPATIBLE' });
      emit({ stage: 'validating', pack: ref, message: `warning: ${message} (installing anyway: --force)`, warning: true });
    }
    const envPlan = await planEnv({ packDir: planned.dir, python: planned.python, allowNpmScripts: options.config.allowNpmScripts });
    emit({ stage: 'building-env', pack: ref, message: envPlan.kind === 'none' ? 'no environment needed (no Python or Node code)' : `${envPlan.kind} env ${envPlan.hash}` });
    if (envPlan.python) {
      packEmit({ message: `Python: ${describePython(envPlan.python)} (${envPlan.python.executable}, ${choiceReason[envPlan.python.chosenBy]})` });
      const problem = await buildPythonLibs(envPlan.python, uv, options, packEmit);
      if (problem) {
        warnings.push({ file: 'pack.yaml', message: problem, code: 'PYTHON_LIBS_BUILD_FAILED' });
        emit({ stage: 'building-env', pack: ref, message: `warning: ${problem}`, warning: true });
      }
    }
    const { env } = await ensureEnv({
      paths,
      stagingDir,
      ref,
      plan: envPlan,
      uv,
      pipHost: options.config.python,
      allowNpmScripts: options.config.allowNpmScripts,
      packDir: planned.dir,
      allowLocalRequirements: options.config.allowUnsafeRequirements,
      ...(options.decorator && { sandbox: { decorator: options.decorator, timeoutSeconds: options.config.sandboxBuildTimeoutSeconds ?? 900 } }),
      emit: packEmit,
      // The tools read copies of the pack's dependency files there; the user edits the pack's own.
      onBuildDir: (buildDir) => {
        for (const file of ['requirements.txt', 'package.json', 'package-lock.json']) shown.add(path.join(buildDir, file), shown.text(path.join(planned.dir, file)));
      },
      ...(options.signal && { signal: options.signal }),
    });
    emit({ stage: 'validating', pack: ref, message: `loading ${ref} ${planned.meta.version}` });
    // Workflows are checked by their drivers here, so a refused one is said with the other skipped actions.
    const loaded = await checkWorkflowActions(await loadPack(planned.dir), planned.dir);
    assertValidPolicies(ref, loaded.problems);
    const summary = summariseActions(loaded);
    actions[ref] = summary;
    for (const line of describeSkippedActions(ref, summary)) emit({ stage: 'validating', pack: ref, message: `warning: ${line}`, warning: true });
    for (const skipped of summary.skipped.filter((item) => item.code === 'ACTION_RUNNER_MISSING')) {
      warnings.push({ file: skipped.file, field: 'runner_type', message: skipped.reason, code: skipped.code });
    }
    for (const problem of [...loaded.problems, ...loaded.warnings]) {
      warnings.push(problem);
      // Broken action files were said above, as skipped actions.
      if (problem.file.startsWith('actions/') && problem.code === 'ACTION_INVALID') continue;
      emit({ stage: 'validating', pack: ref, message: `warning: ${describeProblem(problem)}`, warning: true });
    }
    prepared.push({
      planned,
      record: {
        ref,
        version: planned.meta.version,
        source: planned.source,
        env,
        installedAt: new Date().toISOString(),
        dependsOn: [...planned.dependsOn].sort(),
        ...(isBuiltinPackRef(ref) ? { digest: await packDigest(planned.dir) } : {}),
      },
    });
  }
  const installed = await activateAll(prepared, paths, options, emit);
  for (const item of installed) {
    emit({ stage: 'done', pack: item.ref, message: `${item.ref} ${item.version} installed` });
  }
  return { installed, kept: plan.kept, warnings, actions };
}

function uploadIds(sources: string[]): string[] {
  return sources.map((source) => source.trim()).filter((source) => source.startsWith('upload:')).map((source) => source.slice('upload:'.length));
}

/** The plan without the packs whose installed copy is the same source, version and content. */
async function withoutIdentical(plan: InstallPlan, current: Map<string, InstalledPackState>): Promise<InstallPlan> {
  const packs: PlannedPack[] = [];
  const kept = [...plan.kept];
  for (const planned of plan.packs) {
    const installed = current.get(planned.ref)?.installed;
    const same =
      installed?.digest !== undefined &&
      installed.source === planned.source &&
      installed.version === planned.meta.version &&
      installed.digest === (await packDigest(planned.dir));
    if (same) kept.push({ ref: planned.ref, version: planned.meta.version });
    else packs.push(planned);
  }
  return { ...plan, packs, kept };
}

/**
 * A broken policy fails the install, before anything is activated: skipped like a broken rule, it
 * would leave the pack's actions running without the limits (concurrency, retries) it declares.
 */
function assertValidPolicies(ref: string, problems: readonly PackProblem[]): void {
  const invalid = problems.filter((problem) => problem.code === 'POLICY_INVALID');
  if (invalid.length === 0) return;
  const first = invalid[0]!;
  throw new PackrunError('POLICY_INVALID', `pack "${ref}": ${invalid.map((problem) => problem.message).join('; ')}`, {
    hint: 'fix the policy file (policies/*.yaml); nothing was installed',
    details: { pack: ref, file: first.file, ...(first.field === undefined ? {} : { field: first.field }), problems: invalid },
  });
}

const choiceReason: Record<ChosenPython['chosenBy'], string> = {
  operator: 'PACKRUN_PACK_PYTHON',
  default: 'PACKRUN_PYTHON',
  python_versions: "found on this host for the pack's python_versions",
};

/**
 * The st2 fallback and Packrun's own libraries for the pack's interpreter, built when this is the
 * first pack on it. A failure does not stop the install (most packs never import them): it is
 * returned, to be said as a warning.
 */
async function buildPythonLibs(
  python: ChosenPython,
  uv: string | undefined,
  options: InstallOptions,
  packEmit: (event: Omit<InstallProgressEvent, 'stage' | 'pack'>) => void,
): Promise<string | undefined> {
  try {
    await ensurePythonLibs({
      python,
      uv,
      pipHost: options.config.python,
      onMessage: (message, tool) => packEmit({ message, ...(tool && { tool }) }),
      onLine: (line) => packEmit({ message: line, output: line }),
      ...(options.signal && { signal: options.signal }),
    });
    return undefined;
  } catch (error) {
    if (error instanceof PackrunError && error.code === 'PYTHON_LIBS_BUILD_FAILED') return `${error.message}: pack code that imports them (requests, eventlet) without listing them will fail`;
    throw error;
  }
}

async function assertSafeInputs(planned: PlannedPack, config: InstallerConfig): Promise<void> {
  const read = (file: string) => readFile(path.join(planned.dir, file), 'utf8').catch(() => undefined);
  const requirements = await read('requirements.txt');
  if (requirements !== undefined) assertSafeRequirements(requirements, `${planned.ref}/requirements.txt`, config.allowUnsafeRequirements);
  const packageJson = await read('package.json');
  if (packageJson !== undefined) assertSafePackageJson(packageJson, `${planned.ref}/package.json`, config.allowUnsafeRequirements);
}

interface Switched {
  ref: string;
  installed: InstalledPack;
  previous: string | undefined;
}

/**
 * Switches every prepared pack to its new version, then drops the old versions and envs no
 * running job holds (see collectPackGarbage). When a
 * switch or the onActivated hook fails, every pack switched so far goes back to what it was.
 */
async function activateAll(prepared: Prepared[], paths: DataPaths, options: InstallOptions, emit: ProgressListener): Promise<InstalledPack[]> {
  const switched: Switched[] = [];
  try {
    for (const item of prepared) {
      const { ref } = item.planned;
      emit({ stage: 'registering', pack: ref, message: `activating ${ref} ${item.record.version}` });
      const installed = await placeVersion(paths, item.planned.dir, item.record);
      const previous = await switchActive(paths, ref, installed.dir);
      switched.push({ ref, installed, previous });
      if (options.onActivated) await options.onActivated(installed, await loadPack(installed.dir));
    }
  } catch (cause) {
    for (const item of switched.reverse()) {
      if (item.previous !== undefined) await switchActive(paths, item.ref, item.previous);
      else await deactivate(paths, item.ref);
      await retireVersion(paths, item.installed.dir);
    }
    await reannounce(switched, paths, options, emit);
    if (cause instanceof PackrunError) throw cause;
    throw new PackrunError('PACK_ACTIVATION_FAILED', `activating the installed packs failed, the previous versions are active again: ${cause instanceof Error ? cause.message : String(cause)}`, {
      details: { packs: prepared.map((item) => item.planned.ref) },
      cause,
      userError: false,
    });
  }
  // The previous versions go, with the envs only they used, unless a running job still uses them.
  for (const item of switched) await collectPackGarbage(paths, item.ref);
  return switched.map((item) => item.installed);
}

/**
 * After a rollback, the hooks hear about the versions that are active again (onActivated) and the
 * packs that are gone again (onRemoved), so that whatever they registered for the new versions
 * (e.g. Store records) is put back too. Best effort: the original failure is what the caller gets.
 */
async function reannounce(switched: Switched[], paths: DataPaths, options: InstallOptions, emit: ProgressListener): Promise<void> {
  for (const item of switched) {
    try {
      if (item.previous === undefined) {
        await options.onRemoved?.(item.ref);
        continue;
      }
      if (!options.onActivated) continue;
      const restored = await readInstalledPack(paths, item.ref);
      await options.onActivated(restored, await loadPack(restored.dir));
    } catch (error) {
      emit({ stage: 'registering', pack: item.ref, message: `warning: re-registering the restored ${item.ref} failed: ${error instanceof Error ? error.message : String(error)}`, warning: true });
    }
  }
}
