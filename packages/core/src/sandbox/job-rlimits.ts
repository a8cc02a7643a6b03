import type { PackrunConfig } from '../config.ts';
import type { SpawnContext } from '../process/spawn-decorator.ts';
import type { RlimitValues } from './launch-prefix.ts';
import type { SandboxLimits } from './profile.ts';

/** The rlimits of one job, cold or forked from a zygote. */
export function jobRlimits(config: PackrunConfig, kind: SpawnContext['kind'], limits: SandboxLimits, hasOwnUid: boolean): RlimitValues {
  return {
    openFiles: config.sandboxOpenFiles,
    fileSizeMb: kind === 'build' ? 'unlimited' : config.sandboxFileSizeMb,
    // CPU seconds back up the timeout (spread over the cores the job may use); a sensor has none.
    cpuSeconds: kind === 'sensor' ? 'unlimited' : Math.ceil(limits.timeoutSeconds * Math.max(1, limits.cpu)) + config.killGraceSeconds + 5,
    // RLIMIT_NPROC counts every process of the uid: only meaningful for a uid of the job's own.
    processes: hasOwnUid ? limits.pids : undefined,
  };
}
