import type { ParameterSpec } from '../pack/types.ts';
import { parseParameterSpecs } from './parameter-spec.ts';

/** What StackStorm's two SSH runners share (remote_runner/runner.yaml). */
function remoteShellParameters(what: 'command' | 'script'): Record<string, Record<string, unknown>> {
  return {
    bastion_host: { type: 'string', description: 'Host the SSH connections go through, logged in to with the same user, credentials and port (host, or host:port for another port).' },
    cwd: { type: 'string', default: '/tmp', description: `Working directory of the ${what} on the remote hosts.` },
    env: { type: 'object', description: `Environment variables exported for the ${what} on the remote hosts.` },
    hosts: { type: 'string', required: true, description: 'Comma-separated hosts to run on, each host or host:port ([v6addr]:port): example1.com,example2.com:5555.' },
    parallel: { type: 'boolean', default: false, immutable: true, description: 'Work on the hosts at once rather than one after the other.' },
    passphrase: { type: 'string', secret: true, description: 'Passphrase of the private key.' },
    password: { type: 'string', secret: true, description: 'Password to log in with; without it, private_key, then PACKRUN_SSH_KEY_FILE, is used.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port for hosts that name none (default 22).' },
    private_key: { type: 'string', secret: true, description: 'Private key material, or the path of a key file the operator allows (PACKRUN_SSH_KEY_PATHS).' },
    sudo: { type: 'boolean', default: false, description: `Run the ${what} with sudo on the remote hosts.` },
    sudo_password: { type: 'string', default: null, secret: true, description: 'Password for sudo (sent on the session\'s input, never on a command line).' },
    timeout: { type: 'integer', default: 60, description: `Seconds the ${what} may run on each host before it is killed.` },
    username: { type: 'string', description: 'User to log in as; default PACKRUN_SSH_USER.' },
  };
}

/**
 * The runners Packrun runs and the parameters each runner adds to every action that uses it
 * (StackStorm's runner.yaml files; `node-script` and `inject-trigger` are Packrun's own). The API
 * validates parameters before queuing, so these live in core rather than in the action runner.
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
  'http-request': {
    allow_redirects: { type: 'boolean', default: false, description: 'Follow redirects (any method).' },
    cookies: { type: 'object', description: 'Cookies sent with the request.' },
    headers: { type: 'object', description: 'HTTP headers of the request.' },
    http_proxy: { type: 'string', description: 'Proxy for http:// URLs (http://10.10.1.10:3128).' },
    https_proxy: { type: 'string', description: 'Proxy for https:// URLs (http://10.10.1.10:3128).' },
    password: { type: 'string', secret: true, description: 'Password for basic authentication.' },
    url: { type: 'string', required: true, description: 'URL of the HTTP endpoint.' },
    username: { type: 'string', description: 'User name for basic authentication.' },
    verify_ssl_cert: { type: 'boolean', default: true, description: 'Verify the HTTPS certificate against the system\'s CAs; false skips it.' },
    url_hosts_blacklist: { type: 'array', items: { type: 'string' }, description: 'Hosts the action may not reach (mutually exclusive with url_hosts_whitelist).' },
    url_hosts_whitelist: { type: 'array', items: { type: 'string' }, description: 'The only hosts the action may reach (mutually exclusive with url_hosts_blacklist).' },
  },
  'remote-shell-cmd': {
    ...remoteShellParameters('command'),
    cmd: { type: 'string', description: 'Command run on each host by its login shell.' },
    dir: { type: 'string', default: '/tmp', immutable: true, description: 'Working folder on the remote hosts (what templates mean by {{dir}}).' },
    kwarg_op: { type: 'string', default: '--', description: 'Prefix of keyword arguments, "--" or "-" (declared by StackStorm\'s runner; a command takes no arguments).' },
  },
  'remote-shell-script': {
    ...remoteShellParameters('script'),
    dir: { type: 'string', default: '/tmp', description: 'Folder on the remote hosts under which the script is copied (into a folder of its own, removed afterwards).' },
    kwarg_op: { type: 'string', default: '--', description: 'Prefix of keyword arguments, "--" or "-".' },
  },
  noop: {},
  inquirer: {
    schema: {
      type: 'object',
      default: {
        title: 'response_data',
        type: 'object',
        properties: { continue: { type: 'boolean', description: 'Would you like to continue the workflow?', required: true } },
      },
      description: 'JSON schema the response must validate against.',
    },
    roles: { type: 'array', default: [], items: { type: 'string' }, description: 'Roles (API key roles) whose holders may respond; with users, anyone in either.' },
    users: { type: 'array', default: [], items: { type: 'string' }, description: 'Users who may respond; with neither users nor roles, anyone who may respond to inquiries.' },
    route: { type: 'string', default: '', description: 'Where notifications of the inquiry are routed (core.st2.generic.inquiry payload).' },
    ttl: { type: 'integer', default: 1440, description: 'Minutes the inquiry waits for a response before it times out (0: no limit).' },
  },
  announcement: {
    experimental: { type: 'boolean', default: false, required: true, description: 'Acknowledges that the announcement runner is experimental (StackStorm requires it).' },
    route: { type: 'string', default: 'general', minLength: 1, maxLength: 255, description: 'Routing key of the announcement: consumers listen for st2.announcement__<route>.' },
  },
  'inject-trigger': {},
  // Workflow runners: the workflow engine runs these, never an action runner (workflowRunnerTypes).
  'action-chain': {
    display_published: { type: 'boolean', default: true, description: 'Keep the published variables in the result.' },
    skip_notify: { type: 'array', default: [], description: 'Tasks to skip notifications for.' },
  },
  orquesta: {
    notify: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, pattern: '^\\w+$' },
      default: [],
      description: 'Tasks to trigger notifications for.',
    },
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
  'run-remote': 'remote-shell-cmd',
  'run-remote-script': 'remote-shell-script',
  orchestra: 'orquesta',
};

/**
 * StackStorm's runners Packrun does not have (yet). An action using one still registers, marked
 * unavailable with this reason, so that running it says what is missing instead of "not found".
 */
const missingRunners: Record<string, string> = {
  'winrm-cmd': "StackStorm's WinRM runner",
  'winrm-ps-cmd': "StackStorm's WinRM runner",
  'winrm-ps-script': "StackStorm's WinRM runner",
  'mistral-v2': 'the Mistral workflow runner, removed from StackStorm in 3.3',
};

/** The runners whose actions are workflows: the workflow engine runs them, with its drivers. */
export const workflowRunnerTypes: readonly string[] = ['orquesta', 'action-chain'];

export function isWorkflowRunner(runnerType: string | undefined): boolean {
  return runnerType !== undefined && workflowRunnerTypes.includes(runnerType);
}

/** Runners only Packrun's built-in `core` pack may use: they act for the execution's caller (core.inject_trigger). */
const builtinOnlyRunners = new Set(['inject-trigger']);

const supportedRunnerTypes: readonly string[] = Object.keys(runnerParameterMetadata).filter((name) => !builtinOnlyRunners.has(name));

/** The canonical runner name for `runner_type`, or undefined when Packrun has no such runner. */
function canonicalRunnerType(runnerType: string): string | undefined {
  const name = runnerAliases[runnerType] ?? runnerType;
  return name in runnerParameterMetadata ? name : undefined;
}

/** Whether an action of `pack` may run with `runnerType`: the canonical runner, or why not. */
export type RunnerAvailability = { runner: string } | { missing: string; reason: string };

export function runnerAvailability(runnerType: string, pack: string): RunnerAvailability {
  const name = runnerAliases[runnerType] ?? runnerType;
  if (name in runnerParameterMetadata) {
    if (builtinOnlyRunners.has(name) && pack !== 'core') {
      return { missing: name, reason: `runner "${name}" is reserved for Packrun's built-in core pack` };
    }
    return { runner: name };
  }
  const known = missingRunners[name];
  if (known !== undefined) return { missing: name, reason: `runner "${name}" (${known}) is not available in Packrun` };
  return { missing: runnerType, reason: `runner "${runnerType}" is neither one of Packrun's (${supportedRunnerTypes.join(', ')}) nor one of StackStorm's` };
}

/** Every runner Packrun has, by its canonical (StackStorm) name. */
export function runnerTypeNames(): string[] {
  return Object.keys(runnerParameterMetadata);
}

/**
 * A runner's parameters as its runner.yaml declares them (StackStorm's RunnerType
 * `runner_parameters`), or undefined for a runner Packrun does not have; an old alias is resolved.
 */
export function declaredRunnerParameters(runnerType: string): Record<string, Record<string, unknown>> | undefined {
  const name = canonicalRunnerType(runnerType);
  return name === undefined ? undefined : runnerParameterMetadata[name];
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
