import { declaredRunnerParameters, runnerTypeNames } from '../params/runner-parameters.ts';

/** A runner as StackStorm 3.9's API shows it (`GET /api/v1/runnertypes`, an execution's `runner`). */
export interface St2RunnerType {
  id: string;
  uid: string;
  name: string;
  description: string;
  enabled: boolean;
  runner_package: string;
  runner_module: string;
  runner_parameters: Record<string, Record<string, unknown>>;
  output_key?: string;
}

/**
 * What st2's runner.yaml files say of each runner (description, Python package and module), for
 * the runners Packrun has; `node-script` and `inject-trigger` are Packrun's own.
 */
const runnerFacts: Record<string, { description: string; runner_package: string; runner_module: string; output_key?: string }> = {
  'python-script': { description: 'A runner for launching python actions.', runner_package: 'python_runner', runner_module: 'python_runner', output_key: 'result' },
  'node-script': { description: "Packrun's runner for Node.js actions.", runner_package: 'node_runner', runner_module: 'node_runner', output_key: 'result' },
  'local-shell-cmd': { description: 'A runner to execute local actions as a fixed user.', runner_package: 'local_runner', runner_module: 'local_shell_command_runner', output_key: 'stdout' },
  'local-shell-script': { description: 'A runner to execute local actions as a fixed user.', runner_package: 'local_runner', runner_module: 'local_shell_script_runner', output_key: 'stdout' },
  'remote-shell-cmd': { description: 'A remote execution runner that executes actions as a fixed system user.', runner_package: 'remote_runner', runner_module: 'remote_command_runner' },
  'remote-shell-script': { description: 'A remote execution runner that executes actions as a fixed system user.', runner_package: 'remote_runner', runner_module: 'remote_script_runner' },
  'http-request': { description: 'HTTP client for running HTTP actions.', runner_package: 'http_runner', runner_module: 'http_runner', output_key: 'body' },
  noop: { description: 'A runner that returns a static response regardless of input parameters', runner_package: 'noop_runner', runner_module: 'noop_runner' },
  inquirer: { description: 'A runner for Inquiries', runner_package: 'inquirer_runner', runner_module: 'inquirer_runner' },
  announcement: { description: 'A runner for emitting an announcement event on the stream.', runner_package: 'announcement_runner', runner_module: 'announcement_runner' },
  'inject-trigger': { description: "Packrun's runner of core.inject_trigger: dispatches a trigger with the execution's rights.", runner_package: 'inject_trigger_runner', runner_module: 'inject_trigger_runner' },
  'action-chain': { description: 'A runner for launching linear action chains.', runner_package: 'action_chain_runner', runner_module: 'action_chain_runner', output_key: 'published' },
  orquesta: { description: 'A runner for executing orquesta workflow.', runner_package: 'orquesta_runner', runner_module: 'orquesta_runner', output_key: 'output' },
};

/** The runner named `name` (an old alias resolves to its runner), or undefined when Packrun has none. */
export function st2RunnerType(name: string): St2RunnerType | undefined {
  const parameters = declaredRunnerParameters(name);
  if (parameters === undefined) return undefined;
  const canonical = runnerTypeNames().find((known) => declaredRunnerParameters(known) === parameters) ?? name;
  const facts = runnerFacts[canonical] ?? { description: '', runner_package: canonical, runner_module: canonical };
  return {
    id: canonical,
    uid: `runner_type:${canonical}`,
    name: canonical,
    description: facts.description,
    enabled: true,
    runner_package: facts.runner_package,
    runner_module: facts.runner_module,
    runner_parameters: parameters,
    ...(facts.output_key === undefined ? {} : { output_key: facts.output_key }),
  };
}

/** Every runner Packrun has, by name. */
export function st2RunnerTypes(): St2RunnerType[] {
  return runnerTypeNames()
    .sort()
    .map((name) => st2RunnerType(name))
    .filter((runner): runner is St2RunnerType => runner !== undefined);
}
