import type { ActionJob, ActionMeta, ActionOutcome, InstalledPack, JobExit, PackrunConfig, ParameterSpec, SandboxLimits } from '@packrun/core';

/** Everything a runner needs to start one action: all of it already resolved and validated. */
export interface RunnerInput {
  pack: InstalledPack;
  action: ActionMeta;
  /** The action's own parameters (runner parameters removed). */
  parameters: Record<string, unknown>;
  /** The runner's parameters (cmd, cwd, env, kwarg_op, timeout, ...) with their defaults applied. */
  runnerParameters: Record<string, unknown>;
  /** The action's parameter specs without the runner's. */
  parameterSpecs: Record<string, ParameterSpec>;
  /** The pack's site config, validated and defaults filled in. */
  packConfig: Record<string, unknown>;
  executionId: string;
  jobDir: string;
  config: PackrunConfig;
  /** Sandbox limits from the operator's policy and the pack's and action's `sandbox:` blocks. */
  sandboxLimits: SandboxLimits;
  /** pack.yaml `preload_imports`: what the pack's zygote imports up front (warm spawning). */
  preloadImports: string[];
}

/** What a runner would start: shown by `packrun run --print-command`, then handed to the launcher. */
export interface RunnerPlan {
  command: string;
  args: string[];
  cwd: string;
  /** Variables the runner itself adds to the allow-listed environment (NODE_PATH). */
  env: Record<string, string>;
  /** The action's `env` parameter: applied only inside the job, after the sandbox boundary (LaunchSpec.jobEnv). */
  jobEnv: Record<string, string>;
  /** Folders put in front of PATH. */
  pathPrefix: string[];
  /** The job sent on the control channel; absent for shell actions, which have none. */
  job?: ActionJob;
}

export interface Runner {
  plan(input: RunnerInput): Promise<RunnerPlan>;
  outcome(exit: JobExit, report: WrapperReport, input: RunnerInput): Omit<ActionOutcome, 'durationMs'>;
}

/** What arrived on the control channel. */
export interface WrapperReport {
  result?: { result: unknown; success: boolean | null };
  error?: { type: string; message: string; traceback?: string };
  /** A second result, or an unknown frame: the job cannot be trusted. */
  violation?: string;
}
