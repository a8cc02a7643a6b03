import path from 'node:path';
import {
  leastPrivilegedCaller,
  loadSiteConfig,
  newId,
  givenValuesFrom,
  packScopedLookup,
  secretLeaves,
  operatorSandboxPolicy,
  PackrunError,
  leaseInstalledPack,
  loadInstalledPackMetadata,
  readInstalledPack,
  resolveParameters,
  resolveSandboxProfile,
  type ActionApiAccess,
  type ActionMeta,
  type ActionOutcome,
  type InstalledPack,
  type LoadedPack,
  type DataPaths,
  type KeyValueLookup,
  type KeyValues,
  type Logger,
  type ParameterOrigin,
  type PackrunConfig,
  type ParameterSpec,
  type ResolvedParameters,
  type SiteConfig,
  type SpawnDecorator,
} from '@packrun/core';
import { executePlan } from './execute-plan.ts';
import { isInlineRunner, type InlineRunner, type InlineServices, type Runner, type RunnerInput, type RunnerPlan } from './runner.ts';
import { runnerFor } from './runners.ts';
import { preloadImportsOf } from './warm/preload-imports.ts';

export interface RunActionOptions {
  paths: DataPaths;
  config: PackrunConfig;
  /** `<pack>.<action>` */
  ref: string;
  /** Parameters as the caller gave them; validated and completed with defaults before anything starts. */
  input: Record<string, unknown>;
  datastore: KeyValues;
  /** Must be safe as a folder name; a new id when absent. */
  executionId?: string;
  /** Owner of user-scoped datastore keys: the caller, or the user a rule acts as. */
  user?: string;
  /**
   * Whether templates in `input` are the caller's (rendered with the caller's rights: `user`, and
   * decryption only when allowed) or data (inserted as they are). Default: leastPrivilegedCaller.
   */
  parameterOrigin?: ParameterOrigin;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  decorator?: SpawnDecorator;
  logger?: Logger;
  /** What runners that start no job reach beyond this process (the bus, the API); none in `packrun run` alone. */
  services?: InlineServices;
  /** StackStorm's API for the job: its token's variables and the way out to the API (PACKRUN_ACTION_API_PACKS). */
  actionApi?: ActionApiAccess;
}

interface PreparedBase {
  input: RunnerInput;
  /** Values to hide wherever the plan is shown: secret parameters and secret config attributes. */
  secretValues: string[];
}

/** An action whose runner starts a job: the command line and job it would start. */
export interface PreparedJob extends PreparedBase {
  kind: 'job';
  runner: Runner;
  plan: RunnerPlan;
}

/** An action whose runner does its work in this process: what it would do. */
export interface PreparedInline extends PreparedBase {
  kind: 'inline';
  runner: InlineRunner;
  description: Record<string, unknown>;
}

export type PreparedAction = PreparedJob | PreparedInline;

export function splitActionRef(ref: string): { pack: string; action: string } {
  const dot = ref.indexOf('.');
  if (dot <= 0 || dot === ref.length - 1) {
    throw new PackrunError('ACTION_REF_INVALID', `"${ref}" is not an action ref`, {
      hint: 'write <pack>.<action>, e.g. core.echo',
      details: { ref },
    });
  }
  return { pack: ref.slice(0, dot), action: ref.slice(dot + 1) };
}

export interface FoundAction {
  installed: InstalledPack;
  pack: LoadedPack;
  action: ActionMeta;
}

/**
 * The installed pack's action named by `<pack>.<action>`, or a user error saying what exists.
 * `leased`: the install record the caller holds a lease on (the version it will run from).
 */
export async function findAction(paths: DataPaths, ref: string, leased?: InstalledPack): Promise<FoundAction> {
  const names = splitActionRef(ref);
  const installed = leased ?? (await readInstalledPack(paths, names.pack));
  const pack = await loadInstalledPackMetadata(paths, installed);
  const action = pack.actions.find((candidate) => candidate.name === names.action);
  if (!action) {
    throw new PackrunError('ACTION_NOT_FOUND', `pack "${names.pack}" has no action "${names.action}"`, {
      hint: `\`packrun action list --pack ${names.pack}\` shows its actions`,
      details: { action: ref },
    });
  }
  return { installed, pack, action };
}

/**
 * Everything short of starting a process: load the installed pack and the action, resolve and
 * validate the parameters (a wrong one fails here, naming it), load the site config, and plan the
 * command. `packrun run --print-command` stops here.
 */
export async function prepareAction(options: RunActionOptions, executionId: string, jobDir: string, leased?: InstalledPack): Promise<PreparedAction> {
  const { installed, pack, action } = await findAction(options.paths, options.ref, leased);
  if (!action.enabled) {
    throw new PackrunError('ACTION_DISABLED', `action ${action.ref} is disabled (enabled: false in ${action.file})`, {
      details: { action: action.ref, file: action.file },
    });
  }
  const runner = runnerFor(action);
  // The caller's view of the datastore; the pack's own templates (config schema and parameter
  // defaults) see it without other packs' local keys.
  const callerKv: KeyValueLookup = {
    get: async (name, lookup) => (await options.datastore.get(name, { ...lookup, ...(options.user ? { user: options.user } : {}) }))?.value,
  };
  const packKv = packScopedLookup(callerKv, pack.ref);
  const siteConfig = await loadSiteConfig({ pack, configsDir: options.paths.configs, kv: packKv });
  const origin = options.parameterOrigin ?? leastPrivilegedCaller;
  const resolved = await resolveParameters({
    action,
    input: options.input,
    given: givenValuesFrom(origin, callerKv, siteConfig),
    config: siteConfig.values,
    kv: packKv,
    actionContext: { execution_id: executionId, ...(options.user ? { user: options.user } : {}) },
  });
  const parameterSpecs: Record<string, ParameterSpec> = Object.fromEntries(
    Object.entries(action.parameters).filter(([, spec]) => !spec.runnerParameter),
  );

  const input: RunnerInput = {
    pack: installed,
    action,
    parameters: resolved.actionParameters,
    runnerParameters: resolved.runnerParameters,
    parameterSpecs,
    packConfig: siteConfig.values,
    executionId,
    jobDir,
    config: options.config,
    sandboxLimits: resolveSandboxProfile({
      operator: operatorSandboxPolicy(options.config),
      pack: pack.meta.raw['sandbox'],
      action: action.raw['sandbox'],
      actionSource: action.file,
    }),
    preloadImports: preloadImportsOf(pack),
  };
  const secretValues = secretValuesOf(resolved, siteConfig);
  if (isInlineRunner(runner)) return { kind: 'inline', runner, input, description: runner.describe(input), secretValues };
  return { kind: 'job', runner, input, plan: await runner.plan(input), secretValues };
}

/** Every text a secret parameter or secret config value holds, inside lists and objects too. */
function secretValuesOf(resolved: ResolvedParameters, siteConfig: SiteConfig): string[] {
  const values = resolved.secretNames.flatMap((name) => {
    const value = resolved.parameters[name];
    // A whole list or object shows up JSON-encoded in a shell argument or a variable.
    return [...secretLeaves(value), ...(typeof value === 'object' && value !== null ? [JSON.stringify(value)] : [])];
  });
  return [...new Set([...values, ...siteConfig.secretValues])];
}

function checkExecutionId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(id)) {
    throw new PackrunError('EXECUTION_ID_INVALID', `execution id "${id}" may only hold letters, digits, "_" and "-"`, {
      details: { executionId: id },
    });
  }
  return id;
}

/**
 * Runs one action to its end in a fresh job folder (its HOME, TMPDIR and working directory),
 * removed afterwards; launchAction makes it, or hands the job to a warm child that has its own.
 * Failures of the action are outcomes; only a bad request (unknown action, wrong parameter) or a
 * broken installation throws.
 */
export async function runAction(options: RunActionOptions): Promise<ActionOutcome> {
  const executionId = checkExecutionId(options.executionId ?? newId());
  const jobDir = path.join(options.paths.jobs, executionId);
  // The version folder (and its env) stays on disk while the action runs, even if an install
  // switches the pack to a newer version meanwhile.
  const lease = await leaseInstalledPack(options.paths, splitActionRef(options.ref).pack);
  try {
    const prepared = await prepareAction(options, executionId, jobDir, lease.installed);
    if (options.signal?.aborted) {
      return { status: 'canceled', result: { error: 'Action was canceled before it started' }, stopReason: 'canceled', durationMs: 0 };
    }
    if (prepared.kind === 'inline') {
      const started = performance.now();
      const outcome = await prepared.runner.run(prepared.input, {
        services: options.services ?? {},
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      return { ...outcome, durationMs: Math.round(performance.now() - started) };
    }
    return await executePlan(prepared.runner, prepared.plan, prepared.input, {
      keyValues: options.datastore,
      ...(options.user ? { user: options.user } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      ...(options.decorator ? { decorator: options.decorator } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.actionApi ? { actionApi: options.actionApi } : {}),
    });
  } finally {
    await lease.release();
  }
}
