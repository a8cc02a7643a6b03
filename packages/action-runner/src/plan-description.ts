import { maskedValue } from '@packrun/core';
import type { PreparedAction } from './run-action.ts';

/** A job: the command line and what goes with it. */
export interface JobPlanDescription {
  /** The command line as it would be started. */
  argv: string[];
  cwd: string;
  /** What the runner adds to the allow-listed environment. */
  env: Record<string, string>;
  /** The action's `env` parameter, applied inside the job once it is in its sandbox. */
  jobEnv: Record<string, string>;
  /** The job sent on the control channel (Python and Node actions). */
  job?: unknown;
}

/** A runner that starts no job: the runner and what it would do. */
export interface InlinePlanDescription {
  runner: string;
  [what: string]: unknown;
}

export type PlanDescription = JobPlanDescription | InlinePlanDescription;

function mask(text: string, secrets: readonly string[]): string {
  return secrets.reduce((masked, secret) => masked.replaceAll(secret, maskedValue), text);
}

function maskDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return mask(value, secrets);
  // A secret number (a PIN in a list) is as secret as a string.
  if (typeof value === 'number' && secrets.includes(String(value))) return maskedValue;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item, secrets)]));
  }
  return value;
}

/**
 * What `packrun run --print-command` shows: the plan with every secret parameter and secret config
 * value (each text inside a secret list or object too) replaced by `********` wherever it appears
 * (arguments, environment, job, request), at any depth.
 */
export function describePlan(prepared: PreparedAction): PlanDescription {
  const secrets = [...prepared.secretValues].sort((a, b) => b.length - a.length);
  if (prepared.kind === 'inline') {
    return maskDeep({ runner: prepared.input.action.runnerType, ...prepared.description }, secrets) as InlinePlanDescription;
  }
  const { plan } = prepared;
  return maskDeep(
    { argv: [plan.command, ...plan.args], cwd: plan.cwd, env: plan.env, jobEnv: plan.jobEnv, ...(plan.job ? { job: plan.job } : {}) },
    secrets,
  ) as JobPlanDescription;
}
