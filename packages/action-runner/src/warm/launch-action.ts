import { launchJob, noSandbox, pythonRuntime, type InstalledPack, type JobExit, type LaunchSpec, type Logger, type PackrunConfig } from '@packrun/core';
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

/**
 * A job a zygote can run exactly as a cold start would: a Python wrapper job, warm spawning on,
 * and no sandbox decorator (a sandboxed job's cgroup, uid and namespaces are set up around a
 * fresh process; see docs/fast-spawn.md for what a sandboxed zygote still needs).
 */
function warmEligible(spec: LaunchSpec, warm: WarmChoice): boolean {
  return (
    warm.config.warmSpawn &&
    spec.controlChannel &&
    spec.args.length === 2 &&
    spec.args[0] === '-I' &&
    spec.args[1] === pythonRuntime.actionWrapper &&
    (spec.decorator === undefined || spec.decorator === noSandbox)
  );
}

/** Starts an action's job: forked from its pack's zygote when it can be, else a cold spawn. */
export async function launchAction(spec: LaunchSpec, warm: WarmChoice): Promise<JobExit> {
  if (!warmEligible(spec, warm)) return launchJob(spec);
  const pool = warm.pool ?? processZygotePool(warm.config, warm.logger);
  let lease;
  try {
    lease = await pool.acquire({
      pack: warm.pack.ref,
      packDir: warm.pack.dir,
      python: spec.command,
      preload: warm.preload,
      // The zygote's own environment: how to find the env's tools and a locale, nothing else.
      env: { PATH: spec.env['PATH'] ?? '/usr/bin:/bin', LANG: spec.env['LANG'] ?? 'C.UTF-8' },
      identity: JSON.stringify([warm.pack.env.hash ?? '', warm.pack.installedAt, warm.preload]),
    });
  } catch (error) {
    warm.logger?.warn({ err: error, pack: warm.pack.ref }, 'no zygote: starting the action cold');
    return launchJob(spec);
  }
  try {
    return await launchWarmJob(spec, lease.zygote);
  } catch (error) {
    // Only the fork itself can fail here, before any of the action's code ran: start it cold.
    if ((error as { code?: unknown }).code === 'JOB_TOO_LARGE') throw error;
    warm.logger?.warn({ err: error, pack: warm.pack.ref }, 'zygote fork failed: starting the action cold');
    return launchJob(spec);
  } finally {
    lease.release();
  }
}
