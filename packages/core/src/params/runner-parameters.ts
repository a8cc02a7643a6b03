import type { ParameterSpec } from '../pack/types.ts';
import { parseParameterSpecs } from './parameter-spec.ts';

/**
 * The runners Packrun runs and the parameters each runner adds to every action that uses it
 * (StackStorm's runner.yaml files; `node-script` is Packrun's own). The API validates parameters
 * before queuing, so these live in core rather than in the action runner.
 */
const runnerParameterMetadata: Record<string, Record<string, Record<string, unknown>>> = {
  'python-script': {
    debug: { type: 'boolean', default: false, description: 'Enable runner debug mode.' },
    content_version: { type: 'string', description: 'Git revision of the pack content to use.' },
    env: { type: 'object', description: 'Environment variables available to the action.' },
    timeout: { type: 'integer', default: 600, description: 'Seconds before the action is killed.' },
    log_level: {
      type: 'string',
      default: 'DEBUG',
      enum: ['AUDIT', 'CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'],
      description: 'Log level of the action logger.',
    },
  },
  'node-script': {
    env: { type: 'object', description: 'Environment variables available to the action.' },
    timeout: { type: 'integer', default: 600, description: 'Seconds before the action is killed.' },
  },
  'local-shell-cmd': {
    cmd: { type: 'string', description: 'Command run with /bin/sh -c.' },
    cwd: { type: 'string', description: 'Working directory of the command.' },
    env: { type: 'object', description: 'Environment variables available to the command.' },
    kwarg_op: { type: 'string', default: '--', description: 'Prefix of keyword arguments, "--" or "-".' },
    sudo: { type: 'boolean', default: false, description: 'Run the command with sudo.' },
    sudo_password: { type: 'string', default: null, secret: true, description: 'Password for sudo.' },
    timeout: { type: 'integer', default: 60, description: 'Seconds before the command is killed.' },
  },
  'local-shell-script': {
    debug: { type: 'boolean', default: false, description: 'Enable runner debug mode.' },
    content_version: { type: 'string', description: 'Git revision of the pack content to use.' },
    cwd: { type: 'string', description: 'Working directory of the script.' },
    env: { type: 'object', description: 'Environment variables available to the script.' },
    kwarg_op: { type: 'string', default: '--', description: 'Prefix of keyword arguments, "--" or "-".' },
    sudo: { type: 'boolean', default: false, description: 'Run the script with sudo.' },
    sudo_password: { type: 'string', default: null, secret: true, description: 'Password for sudo.' },
    timeout: { type: 'integer', default: 60, description: 'Seconds before the script is killed.' },
  },
};

/** Older StackStorm runner names still found in Exchange packs. */
const runnerAliases: Record<string, string> = {
  'run-python': 'python-script',
  'run-local': 'local-shell-cmd',
  'run-local-script': 'local-shell-script',
};

export const supportedRunnerTypes: readonly string[] = Object.keys(runnerParameterMetadata);

/** The canonical runner name for `runner_type`, or undefined when Packrun has no such runner. */
export function canonicalRunnerType(runnerType: string): string | undefined {
  const name = runnerAliases[runnerType] ?? runnerType;
  return name in runnerParameterMetadata ? name : undefined;
}

const parsed = new Map<string, Record<string, ParameterSpec>>();

/** The runner's parameter specs (empty for an unknown runner). */
export function runnerParameters(runnerType: string): Record<string, ParameterSpec> {
  const name = canonicalRunnerType(runnerType);
  if (name === undefined) return {};
  let specs = parsed.get(name);
  if (!specs) {
    specs = Object.fromEntries(
      Object.entries(parseParameterSpecs(runnerParameterMetadata[name], { file: `runner ${name}` })).map(
        ([key, spec]) => [key, { ...spec, runnerParameter: true }],
      ),
    );
    parsed.set(name, specs);
  }
  return specs;
}
