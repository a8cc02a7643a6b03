import type { SandboxLimits } from '../sandbox/profile.ts';
import type { WarmSandbox } from '../sandbox/warm-sandbox.ts';

/**
 * The one hook where the sandbox wraps a spawn. The launcher builds a SpawnSpec, hands it to the
 * decorator, and spawns what comes back; after the child exits it asks the decorator what it saw
 * (out of memory, pids limit) and to kill whatever the process-group kill cannot reach (a child
 * that called setsid). The default decorator changes nothing.
 */
export interface SpawnContext {
  /** `build`: a pack's env build (uv, pip, npm), which runs the pack's setup.py or install scripts. */
  kind: 'action' | 'sensor' | 'build';
  pack: string;
  /** An action job's action (its short name, without the pack): host paths may be granted to it alone. */
  action?: string;
  /** Absolute path of the pack's content (read-only for the job). */
  packDir: string;
  /** Absolute path of the pack's env (venv or node_modules folder), when it has one. */
  envDir?: string;
  /** The job folder: HOME, TMPDIR and the working directory; the only writable place. */
  jobDir: string;
  /**
   * Builds only: folders bound read-write as they are on the host (the env being built, the tool's
   * cache), so what the build writes there outlives it. They become the build uid's.
   */
  writableDirs?: string[];
  /** Interpreters the job runs besides its command (a build's Python): their installations are made visible. */
  interpreters?: string[];
  /** More of Packrun's own folders the job reads (a Node sensor's RabbitMQ client), bound read-only. */
  readOnlyDirs?: string[];
  /**
   * Ports of the host's loopback this job reaches besides those the operator grants its pack
   * (a sensor publishing straight to a broker on this host: the broker's port). Only under the
   * network layer: without it a job with network reaches the whole host anyway.
   */
  hostPorts?: number[];
  executionId: string;
  /** The job's limits (resolveSandboxProfile); the sandbox uses the operator's defaults when absent. */
  limits?: SandboxLimits;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  context: SpawnContext;
}

export interface SandboxReport {
  oomKilled: boolean;
  pidsLimitHit: boolean;
}

export interface WrappedSpawn {
  command: string;
  args: string[];
  env: Record<string, string>;
  /**
   * The environment as this wrap would pass it, for one that reaches the process later (a wrapper
   * started ahead gets its job's environment in the job frame). Unchanged when absent.
   */
  jobEnv?(env: Record<string, string>): Record<string, string>;
  /** Called once with the pid right after the spawn (e.g. to move it into a cgroup). */
  started?(pid: number): Promise<void> | void;
  /**
   * Asks the job to stop (SIGTERM), replacing the launcher's SIGTERM to the process group where
   * that cannot reach the job's own processes gracefully (inside bubblewrap, signalling the group
   * kills bubblewrap, and with it the whole sandbox at once).
   */
  terminate?(): Promise<void>;
  /** Kills every process of the job, including those that left its process group. */
  killAll(): Promise<void>;
  /** Called once after the job's processes are gone; releases what `wrap` set up. */
  afterExit(): Promise<SandboxReport>;
}

export interface SpawnDecorator {
  wrap(spec: SpawnSpec): Promise<WrappedSpawn>;
  /**
   * How to contain jobs forked from a warm zygote, when this host's layers allow it (bubblewrap and
   * a uid per job). Without it, a decorated job always starts cold.
   */
  warm?: WarmSandbox;
}

export const noSandbox: SpawnDecorator = {
  async wrap(spec) {
    return {
      command: spec.command,
      args: spec.args,
      env: spec.env,
      async killAll() {},
      async afterExit() {
        return { oomKilled: false, pidsLimitHit: false };
      },
    };
  },
};
