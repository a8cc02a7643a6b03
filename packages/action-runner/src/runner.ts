import type { ActionJob, ActionMeta, ActionOutcome, InstalledPack, JobExit, Logger, PackrunConfig, ParameterSpec, SandboxLimits } from '@packrun/core';

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

/** A runner that starts a job: a sandboxed child process running the pack's code. */
export interface Runner {
  plan(input: RunnerInput): Promise<RunnerPlan>;
  outcome(exit: JobExit, report: WrapperReport, input: RunnerInput): Omit<ActionOutcome, 'durationMs'>;
}

/**
 * A runner that runs no pack code, so it starts no job: its work (nothing, an HTTP request, a bus
 * event, a trigger) is done by the runtime itself, under the rules the runner applies.
 */
export interface InlineRunner {
  inline: true;
  /** Checks the inputs and says what `run` would do: what `packrun run --print-command` shows. */
  describe(input: RunnerInput): Record<string, unknown>;
  run(input: RunnerInput, context: InlineContext): Promise<Omit<ActionOutcome, 'durationMs'>>;
}

export type AnyRunner = Runner | InlineRunner;

export function isInlineRunner(runner: AnyRunner): runner is InlineRunner {
  return 'inline' in runner;
}

export interface InlineContext {
  signal?: AbortSignal;
  logger?: Logger;
  services: InlineServices;
}

/** A trigger an execution fires (core.inject_trigger); the authority decides whether it may. */
export interface TriggerInjection {
  trigger: string;
  payload: Record<string, unknown>;
  traceTag?: string;
}

/**
 * What inline runners reach beyond the runtime process, given by the service that runs them. In
 * `packrun run` without a server there is none: the runners that need one say so.
 */
export interface InlineServices {
  /** Publishes an announcement on the bus, which the API streams. */
  announce?(route: string, payload: Record<string, unknown>): Promise<void>;
  /** Fires a trigger on behalf of the execution, through the execution authority (the API). */
  injectTrigger?(injection: TriggerInjection): Promise<Record<string, unknown>>;
  /** Set where the execution is stored and served by an API that takes responses to inquiries. */
  takesResponses?: true;
}

/** What arrived on the control channel. */
export interface WrapperReport {
  result?: { result: unknown; success: boolean | null };
  error?: { type: string; message: string; traceback?: string };
  /** A second result, or an unknown frame: the job cannot be trusted. */
  violation?: string;
}
