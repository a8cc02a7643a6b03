import path from 'node:path';
import {
  execShimArgs,
  fitsExecShim,
  launchJob,
  needsOwnSpawn,
  nodeRuntime,
  noSandbox,
  pythonRuntime,
  withGivenEnv,
  type InstalledPack,
  type JobExit,
  type LaunchSpec,
  type Logger,
  type PackrunConfig,
} from '@packrun/core';
import { inJobFolder } from './job-folder.ts';
import { launchPrespawnedJob } from './prespawn-launch.ts';
import { PrespawnPool, type PrespawnSpec } from './prespawn-pool.ts';
import { NoFreeSlot } from './waiting-child.ts';
import { launchWarmJob } from './warm-launch.ts';
import { ZygotePool } from './zygote-pool.ts';

export interface WarmChoice {
  config: PackrunConfig;
  pack: InstalledPack;
  /** pack.yaml `preload_imports`. */
  preload: string[];
  /** The pool to take zygotes from; the process-wide one when absent. */
  pool?: ZygotePool;
  logger?: Logger;
}

let processPool: ZygotePool | undefined;

/** The zygotes of this process: one pool, so every runner in it shares warm zygotes. */
export function processZygotePool(config: PackrunConfig, logger?: Logger): ZygotePool {
  processPool ??= new ZygotePool({ idleMs: config.warmIdleSeconds * 1000, ...(logger ? { logger } : {}) });
  return processPool;
}

let processPrespawns: PrespawnPool | undefined;

/** The Node wrappers this process keeps started ahead. */
export function processPrespawnPool(config: PackrunConfig, logger?: Logger): PrespawnPool {
  processPrespawns ??= new PrespawnPool({ idleMs: config.warmIdleSeconds * 1000, ...(logger ? { logger } : {}) });
  return processPrespawns;
}

/** Warm spawning on, and the job unsandboxed or under a sandbox that can contain zygotes (and so, processes started ahead). */
function warmAllowed(spec: LaunchSpec, warm: WarmChoice): boolean {
  if (needsOwnSpawn(warm.config, spec.context.pack, spec.context.action)) return false;
  return warm.config.warmSpawn && (isUnsandboxed(spec) || spec.decorator?.warm !== undefined);
}

/** What to start ahead for jobs like this one, and where (the sandbox around it, if any). */
function prespawnKind(spec: LaunchSpec, started: { command: string; args: string[]; env: Record<string, string>; tokenArg?: boolean }): PrespawnSpec {
  const sandboxed = !isUnsandboxed(spec) && spec.decorator;
  return {
    ...started,
    ...(sandboxed ? { sandbox: { decorator: sandboxed, context: spec.context, jobsDir: path.dirname(spec.context.jobDir) } } : {}),
  };
}

/**
 * Runs a job in the process of `kind` started ahead when one waits, cold otherwise; either way the
 * next one is started once the job ended. A process started outside the sandbox runs in the
 * execution's own jobs/<execution> folder; one inside it has its own.
 */
async function launchStartedAhead(spec: LaunchSpec, warm: WarmChoice, kind: PrespawnSpec, cold: () => Promise<JobExit>): Promise<JobExit> {
  const pool = processPrespawnPool(warm.config, warm.logger);
  const child = pool.take(kind);
  try {
    if (!child) return await cold();
    // The job's environment (the given variables too) arrives in a frame: the sandbox that wrapped
    // the process treats it as it would at spawn.
    const env = withGivenEnv(spec.env, spec.jobEnv);
    const launch = (): Promise<JobExit> => launchPrespawnedJob(spec, child, child.wrapped?.jobEnv?.(env) ?? env);
    return await (child.jobDir ? launch() : inJobFolder(spec.context.jobDir, launch));
  } finally {
    pool.replenish(kind);
  }
}

/**
 * Job folders of a sandboxed zygote: one for each execution running at once, one for the child
 * forked ahead, and one more for each execution running at once, because a folder comes back only
 * after its execution's cgroup is removed and the folder emptied, in the background, while the
 * runner already runs the next one. With one folder per execution only, back-to-back executions
 * found none free one time in fifteen (bench/api/packrun-up.ts, a burst of 200) and started cold:
 * bubblewrap, a cgroup and a network namespace of their own, tens of milliseconds of CPU each.
 * A folder is a tmpfs, which takes memory only for what a job writes in it.
 */
function zygoteSlots(concurrency: number): number {
  return 2 * concurrency + 1;
}

function isUnsandboxed(spec: LaunchSpec): boolean {
  return spec.decorator === undefined || spec.decorator === noSandbox;
}

function isPythonWrapperJob(spec: LaunchSpec): boolean {
  return spec.args.length === 2 && spec.args[0] === '-I' && spec.args[1] === pythonRuntime.actionWrapper;
}

// What differs between two executions of the same Node action, and is set from the job frame.
const perExecutionVariables = new Set(['HOME', 'TMPDIR', 'ST2_ACTION_EXECUTION_ID', 'PACKRUN_EXECUTION_ID']);
// Everything else a pre-spawned Node process may start with. An action's `env` parameter is not
// among them (LaunchSpec.jobEnv): it arrives with the job, as it does for a cold start.
const nodeBaseVariables = new Set(['PATH', 'LANG', 'LC_ALL', 'NODE_PATH', 'ST2_ACTION_PACK_NAME', 'PACKRUN_PACK']);

/** The environment a pre-spawned Node wrapper for this job starts with, when it may have one. */
function nodePrespawnEnv(spec: LaunchSpec, warm: WarmChoice): Record<string, string> | undefined {
  if (spec.command !== warm.config.node || spec.args.length !== 1 || spec.args[0] !== nodeRuntime.actionWrapper) return undefined;
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) {
    if (nodeBaseVariables.has(name)) base[name] = value;
    else if (!perExecutionVariables.has(name)) return undefined;
  }
  return base;
}

/**
 * Starts an action's job: a Python one forked from its pack's zygote, a Node one handed to a
 * wrapper started ahead, when they can be; else a cold spawn.
 */
export async function launchAction(spec: LaunchSpec, warm: WarmChoice): Promise<JobExit> {
  // A cold job runs in jobs/<execution>, made for it here.
  const cold = (): Promise<JobExit> => inJobFolder(spec.context.jobDir, () => launchJob(spec));
  if (!warmAllowed(spec, warm)) return cold();
  // A shell action under the sandbox: a /bin/sh shim started ahead inside it (its uid, cgroup and
  // bubblewrap ready) becomes the action by exec (exec-shim.ts). Outside the sandbox starting
  // /bin/sh from the runtime is as quick as handing the job to a waiting shell (bench/spawn).
  if (!spec.controlChannel) {
    if (isUnsandboxed(spec) || !fitsExecShim({ argv: [spec.command, ...spec.args], env: withGivenEnv(spec.env, spec.jobEnv), cwd: spec.cwd })) return cold();
    return launchStartedAhead(spec, warm, prespawnKind(spec, { command: '/bin/sh', args: execShimArgs, env: {}, tokenArg: true }), cold);
  }
  const nodeEnv = nodePrespawnEnv(spec, warm);
  if (nodeEnv) return launchStartedAhead(spec, warm, prespawnKind(spec, { command: spec.command, args: spec.args, env: nodeEnv }), cold);
  if (!isPythonWrapperJob(spec)) return cold();
  const pool = warm.pool ?? processZygotePool(warm.config, warm.logger);
  const warmSandbox = isUnsandboxed(spec) ? undefined : spec.decorator?.warm;
  let lease;
  try {
    lease = await pool.acquire({
      pack: warm.pack.ref,
      packDir: warm.pack.dir,
      python: spec.command,
      preload: warm.preload,
      // The zygote's own environment: how to find the env's tools and a locale, nothing else.
      env: { PATH: spec.env['PATH'] ?? '/usr/bin:/bin', LANG: spec.env['LANG'] ?? 'C.UTF-8' },
      jobsDir: path.dirname(spec.context.jobDir),
      identity: JSON.stringify([warm.pack.env.hash ?? '', warm.pack.installedAt, warm.preload]),
      ...(warmSandbox ? { sandbox: { warm: warmSandbox, context: spec.context, slots: zygoteSlots(warm.config.runnerConcurrency) } } : {}),
    });
  } catch (error) {
    warm.logger?.warn({ err: error, pack: warm.pack.ref }, 'no zygote: starting the action cold');
    return cold();
  }
  try {
    // A zygote's child brings a job folder of its own.
    return await launchWarmJob(spec, lease.zygote, lease.spare);
  } catch (error) {
    // Only the fork itself (or the sandbox around it) can fail here, before any of the action's
    // code ran: start it cold.
    if ((error as { code?: unknown }).code === 'JOB_TOO_LARGE') throw error;
    if (!(error instanceof NoFreeSlot)) warm.logger?.warn({ err: error, pack: warm.pack.ref }, 'zygote fork failed: starting the action cold');
    return cold();
  } finally {
    lease.release();
  }
}
