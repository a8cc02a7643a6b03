import { PackrunError } from '@packrun/core';
import type { RunnerInput } from '../runner.ts';
import { HostEntryInvalid, parseHostEntry, parseHostList, type SshHost } from './ssh-hosts.ts';

/** Where the login credentials come from; key files are read only when the connection is made. */
export type SshCredentials =
  | { kind: 'password'; password: string }
  | { kind: 'key-material'; key: string; passphrase?: string }
  | { kind: 'key-file'; path: string; origin: 'private_key' | 'PACKRUN_SSH_KEY_FILE'; passphrase?: string };

/** The remote-shell runners' inputs, from the runner's parameters and the operator's settings, checked. */
export interface RemoteShellSpec {
  hosts: SshHost[];
  bastion?: SshHost;
  username: string;
  credentials: SshCredentials;
  parallel: boolean;
  sudo: boolean;
  sudoPassword?: string;
  cwd: string;
  /** The `env` parameter and StackStorm's action variables, sorted by name as StackStorm exports them. */
  env: Array<[string, string]>;
  timeoutSeconds: number;
  /** remote-shell-script: the folder the script's own folder is made in. */
  dir: string;
  kwargOp: string;
}

const defaultSshPort = 22;
/** StackStorm recognises key material by this text (REMOTE_RUNNER_PRIVATE_KEY_HEADER). */
const keyMaterialMarker = 'private key-----';

function invalidParameter(input: RunnerInput, parameter: string, message: string): PackrunError {
  return new PackrunError('PARAMETER_INVALID', `action ${input.action.ref}: parameter "${parameter}" ${message}`, {
    details: { action: input.action.ref, parameter },
  });
}

function text(input: RunnerInput, name: string): string | undefined {
  const value = input.runnerParameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidParameter(input, name, 'must be a string');
  // No protocol field and no shell word can carry a NUL; refusing it beats cutting the value short.
  if (value.includes('\0')) throw invalidParameter(input, name, 'holds a NUL character');
  return value;
}

function hostsOf(input: RunnerInput, port: number): SshHost[] {
  const list = text(input, 'hosts');
  let hosts: SshHost[];
  try {
    hosts = parseHostList(list ?? '', port);
  } catch (error) {
    if (error instanceof HostEntryInvalid) throw invalidParameter(input, 'hosts', `entry ${error.message}`);
    throw error;
  }
  if (hosts.length === 0) throw invalidParameter(input, 'hosts', 'names no host: give a comma-separated list such as web1,web2:2222');
  return hosts;
}

/** Login names are data on the wire, but shown in messages and used by sudo: keep them to what accounts are made of. */
function usernameOf(input: RunnerInput): string {
  const given = text(input, 'username');
  const username = given ?? input.config.sshUser;
  if (!/^[A-Za-z0-9._][A-Za-z0-9._@$-]{0,63}$/.test(username)) {
    if (given === undefined) {
      throw new PackrunError('CONFIG_INVALID', `PACKRUN_SSH_USER "${username}" is not a user name`, { details: { variable: 'PACKRUN_SSH_USER' } });
    }
    throw invalidParameter(input, 'username', 'is not a user name (letters, digits, ".", "_", "-", "@", "$", not starting with "-")');
  }
  return username;
}

/**
 * StackStorm's order: a password wins; else private_key, which is key material when it holds a
 * PEM/OpenSSH header and a file path otherwise; else the operator's key file.
 */
function credentialsOf(input: RunnerInput): SshCredentials {
  const password = text(input, 'password');
  const privateKey = text(input, 'private_key');
  const passphrase = text(input, 'passphrase');
  const withPassphrase = passphrase === undefined ? {} : { passphrase };
  if (password !== undefined) return { kind: 'password', password };
  if (privateKey !== undefined) {
    if (privateKey.toLowerCase().includes(keyMaterialMarker)) return { kind: 'key-material', key: privateKey, ...withPassphrase };
    return { kind: 'key-file', path: privateKey, origin: 'private_key', ...withPassphrase };
  }
  const keyFile = input.config.sshKeyFile;
  if (keyFile !== undefined) return { kind: 'key-file', path: keyFile, origin: 'PACKRUN_SSH_KEY_FILE', ...withPassphrase };
  if (passphrase !== undefined) throw invalidParameter(input, 'passphrase', 'goes with a private key: give private_key too');
  throw new PackrunError('SSH_CREDENTIALS_MISSING', `action ${input.action.ref} has no credentials to log in with over SSH`, {
    hint: 'give the parameter password or private_key, or set PACKRUN_SSH_KEY_FILE to the key file remote actions use by default',
    details: { action: input.action.ref },
  });
}

/** Variable names a POSIX shell can export; values go through quoting, names cannot. */
function envOf(input: RunnerInput): Array<[string, string]> {
  const given = input.runnerParameters['env'];
  const variables: Record<string, string> = {};
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) throw invalidParameter(input, 'env', 'must be an object of variable names and values');
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalidParameter(input, 'env', `names the variable ${JSON.stringify(name)}, which is not a shell variable name`);
      if (value === null || value === undefined) continue;
      const textValue = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
      if (textValue.includes('\0')) throw invalidParameter(input, 'env', `gives ${name} a value holding a NUL character`);
      variables[name] = textValue;
    }
  }
  // StackStorm's common action variables (its API URL and auth token have no Packrun equivalent a
  // remote host should hold).
  variables['ST2_ACTION_PACK_NAME'] = input.pack.ref;
  variables['ST2_ACTION_EXECUTION_ID'] = input.executionId;
  return Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function remoteShellSpec(input: RunnerInput): RemoteShellSpec {
  const portValue = input.runnerParameters['port'];
  const port = portValue === undefined || portValue === null ? defaultSshPort : Number(portValue);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidParameter(input, 'port', 'must be a port number from 1 to 65535');
  const hosts = hostsOf(input, port);
  const bastionEntry = text(input, 'bastion_host');
  let bastion: SshHost | undefined;
  if (bastionEntry !== undefined) {
    try {
      // StackStorm connects to the bastion with the final connection's parameters, its port included.
      bastion = parseHostEntry(bastionEntry.trim(), port);
    } catch (error) {
      if (error instanceof HostEntryInvalid) throw invalidParameter(input, 'bastion_host', error.message);
      throw error;
    }
  }
  const timeout = Number(input.runnerParameters['timeout'] ?? 60);
  if (!Number.isFinite(timeout) || timeout <= 0) throw invalidParameter(input, 'timeout', 'must be a positive number of seconds');
  const dir = text(input, 'dir') ?? '/tmp';
  if (!dir.startsWith('/')) throw invalidParameter(input, 'dir', 'must be an absolute path on the remote hosts');
  const sudoPassword = text(input, 'sudo_password');
  return {
    hosts,
    ...(bastion ? { bastion } : {}),
    username: usernameOf(input),
    credentials: credentialsOf(input),
    parallel: input.runnerParameters['parallel'] === true,
    sudo: input.runnerParameters['sudo'] === true,
    ...(sudoPassword === undefined ? {} : { sudoPassword }),
    cwd: text(input, 'cwd') ?? '/tmp',
    env: envOf(input),
    timeoutSeconds: Math.min(timeout, input.config.sandboxTimeoutMaxSeconds),
    dir,
    kwargOp: text(input, 'kwarg_op') ?? '--',
  };
}
