import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, type ActionOutcome } from '@packrun/core';
import { entryPointPath } from '../runner-inputs.ts';
import type { InlineContext, InlineRunner, RunnerInput } from '../runner.ts';
import { shellArguments } from '../shell-arguments.ts';
import { parsedIfJson, stripShellChars } from '../shell-outcome.ts';
import { remoteCommandBody, remoteCommandLine, shellQuote } from './remote-command.ts';
import { remoteShellSpec, type RemoteShellSpec } from './remote-shell-spec.ts';
import { HostUnresolved, resolveAllowed, type ResolvedHost } from './ssh-destination.ts';
import type { SshHost } from './ssh-hosts.ts';
import { sshLogin } from './ssh-login.ts';
import { SshConnectFailed, SshSession, type ExecResult, type SshLogin } from './ssh-session.ts';

type Outcome = Omit<ActionOutcome, 'durationMs'>;

/** One host's entry in the result, as StackStorm's ParallelSSHClient gives it. */
interface HostResult {
  stdout: unknown;
  stderr: unknown;
  return_code: number;
  succeeded: boolean;
  failed: boolean;
  timeout?: boolean;
  error?: string;
}

interface HostOutcome {
  entry: HostResult;
  truncated?: { stdout: boolean; stderr: boolean };
}

/** What runs on each host: a command line, or a script copied there first. */
interface RemoteWork {
  /** Shell code run after `cd <cwd>`: `cmd`, or the script's quoted path and arguments. */
  command: string;
  /** remote-shell-script: files copied into the execution's own remote folder, removed afterwards. */
  upload?: { folder: string; files: Array<{ path: string; data: Buffer; mode: number } | { path: string; folder: true }> };
}

function failedEntry(error: string, extra: Partial<HostResult> = {}): HostResult {
  return { failed: true, succeeded: false, return_code: 255, stdout: '', stderr: '', error, ...extra };
}

function text(bytes: Buffer): unknown {
  return parsedIfJson(stripShellChars(bytes.toString('utf8')));
}

/** StackStorm's result of a finished command, including its check for a refused sudo password. */
function entryOf(host: SshHost, spec: RemoteShellSpec, exec: ExecResult): HostResult {
  const output = { stdout: text(exec.stdout), stderr: text(exec.stderr) };
  if (exec.stopped === 'timeout') {
    return failedEntry(`Command didn't finish in ${spec.timeoutSeconds} seconds on host ${host.hostname}`, { ...output, return_code: -9, timeout: true });
  }
  if (exec.stopped === 'canceled') return failedEntry(`Command was canceled on host ${host.hostname}`, { ...output, return_code: -15 });
  const stderr = exec.stderr.toString('utf8');
  if (spec.sudoPassword !== undefined && /sudo: \d+ incorrect password attempts?/.test(stderr)) {
    const user = /\[sudo\] password for (.+?):/.exec(stderr)?.[1] ?? 'unknown';
    return failedEntry(`Invalid sudo password provided or sudo is not configured for this user (${user})`, output);
  }
  const code = exec.exitCode ?? 255;
  return { ...output, return_code: code, succeeded: code === 0, failed: code !== 0 };
}

/** remote-shell-cmd: the `cmd` parameter; StackStorm refuses an entry point, which means a script. */
function commandWork(input: RunnerInput): RemoteWork {
  if (input.action.entryPoint) {
    throw new PackrunError('PARAMETER_INVALID', `action ${input.action.ref} has an entry_point, which the remote-shell-cmd runner does not run: use remote-shell-script`, {
      details: { action: input.action.ref, field: 'entry_point' },
    });
  }
  const cmd = input.runnerParameters['cmd'];
  if (typeof cmd !== 'string' || cmd.trim() === '') {
    throw new PackrunError('ACTION_CMD_MISSING', `action ${input.action.ref} needs the parameter "cmd"`, {
      hint: 'give the command to run on the hosts, e.g. cmd="uname -a"',
      details: { action: input.action.ref, parameter: 'cmd' },
    });
  }
  return { command: cmd };
}

/** The folder beside the script named `lib`, which StackStorm copies along with it. */
async function libraryFiles(folder: string, prefix = 'lib'): Promise<NonNullable<RemoteWork['upload']>['files']> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const files: NonNullable<RemoteWork['upload']>['files'] = entries.length > 0 || prefix !== 'lib' ? [{ path: prefix, folder: true }] : [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const local = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await libraryFiles(local, `${prefix}/${entry.name}`)));
    else if (entry.isFile()) files.push({ path: `${prefix}/${entry.name}`, data: await readFile(local), mode: (await stat(local)).mode & 0o755 });
  }
  return files;
}

/** Where a script goes on the hosts (`<dir>/<execution id>/<script>`, as StackStorm puts it) and the line that runs it. */
function scriptPlacement(input: RunnerInput, spec: RemoteShellSpec): { script: string; folder: string; command: string } {
  const script = entryPointPath(input);
  const folder = `${spec.dir.replace(/\/+$/, '')}/${input.executionId}`;
  const args = shellArguments(input.parameters, input.parameterSpecs, spec.kwargOp).map(shellQuote);
  return { script, folder, command: [shellQuote(`${folder}/${path.basename(script)}`), ...args].join(' ') };
}

/** remote-shell-script: the entry point copied with its lib folder, run with StackStorm's arguments. */
async function scriptWork(input: RunnerInput, spec: RemoteShellSpec): Promise<RemoteWork> {
  const { script, folder, command } = scriptPlacement(input, spec);
  return {
    command,
    upload: { folder, files: [{ path: path.basename(script), data: await readFile(script), mode: 0o744 }, ...(await libraryFiles(path.join(path.dirname(script), 'lib')))] },
  };
}

async function onHost(options: {
  host: SshHost;
  firstHop: ResolvedHost;
  spec: RemoteShellSpec;
  login: SshLogin;
  work: RemoteWork;
  input: RunnerInput;
  signal: AbortSignal;
  /** Bytes of stdout, and of stderr, kept for this host. */
  outputCapBytes: number;
}): Promise<HostOutcome> {
  const { host, spec, input, signal, work } = options;
  const connectSeconds = Math.max(1, Math.min(input.config.sshConnectTimeoutSeconds, spec.timeoutSeconds - 2));
  let session: SshSession;
  try {
    session = await SshSession.open({
      target: host,
      firstHop: options.firstHop,
      ...(spec.bastion ? { bastion: spec.bastion } : {}),
      login: options.login,
      hostKeys: { file: input.config.sshKnownHosts, mode: input.config.sshHostKeyChecking },
      connectTimeoutMs: connectSeconds * 1000,
      signal,
    });
  } catch (error) {
    if (error instanceof SshConnectFailed) return { entry: failedEntry(error.message) };
    throw error;
  }
  const stopGraceMs = input.config.killGraceSeconds * 1000;
  try {
    if (work.upload) {
      try {
        await session.upload(work.upload.folder, work.upload.files);
      } catch (error) {
        return { entry: failedEntry(`Failed copying the script to host ${host.hostname}: ${(error as Error).message}`) };
      }
    }
    const line = remoteCommandLine(
      { command: work.command, cwd: spec.cwd, env: spec.env, sudo: spec.sudo, sudoPassword: spec.sudoPassword !== undefined },
      input.config.killGraceSeconds,
    );
    try {
      const exec = await session.exec(line, {
        ...(spec.sudo && spec.sudoPassword !== undefined ? { firstLine: spec.sudoPassword } : {}),
        timeoutMs: spec.timeoutSeconds * 1000,
        stopGraceMs: stopGraceMs + 1000,
        outputCapBytes: options.outputCapBytes,
        signal,
      });
      return { entry: entryOf(host, spec, exec), truncated: exec.truncated };
    } catch (error) {
      return { entry: failedEntry(`Failed executing the command on host ${host.hostname}: ${(error as Error).message}`) };
    } finally {
      if (work.upload) {
        // StackStorm removes the folder whatever happened; a failure to do so is not the action's.
        await session
          .exec(`rm -rf -- ${shellQuote(work.upload.folder)}`, { timeoutMs: 10_000, stopGraceMs: 1000, outputCapBytes: 4096, signal: new AbortController().signal })
          .catch(() => undefined);
      }
    }
  } finally {
    session.close();
  }
}

/** StackStorm's concurrency: a third of the hosts plus one in parallel, one at a time otherwise. */
async function eachHost<T>(hosts: readonly SshHost[], parallel: boolean, max: number, work: (host: SshHost) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(hosts.length);
  const concurrency = parallel ? Math.min(Math.floor(hosts.length / 3) + 1, max) : 1;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const index = next++;
      results[index] = await work(hosts[index]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Keyed by host name as StackStorm keys them; two entries for one name (two ports) keep their full entries. */
function resultKeys(hosts: readonly SshHost[]): string[] {
  const counts = new Map<string, number>();
  for (const host of hosts) counts.set(host.hostname, (counts.get(host.hostname) ?? 0) + 1);
  return hosts.map((host) => ((counts.get(host.hostname) ?? 0) > 1 ? host.entry : host.hostname));
}

/** StackStorm's _get_result_status: every host succeeded (any, with partial failure allowed); timeout only when all timed out. */
function statusOf(entries: HostResult[], allowPartialFailure: boolean): Outcome['status'] {
  const success = allowPartialFailure ? entries.some((entry) => entry.succeeded) : entries.every((entry) => entry.succeeded);
  if (success) return 'succeeded';
  return entries.every((entry) => entry.timeout === true) ? 'timeout' : 'failed';
}

/**
 * Every destination is checked before any connection is made, so a list with one forbidden host
 * fails as a whole and touches no host. With a bastion, only the bastion is reached from here:
 * the hosts are resolved and reached from the bastion's side.
 */
async function firstHops(spec: RemoteShellSpec, input: RunnerInput): Promise<Map<SshHost, ResolvedHost | HostUnresolved>> {
  const allowed = input.config.sshAllow;
  const resolve = async (host: SshHost): Promise<ResolvedHost | HostUnresolved> =>
    resolveAllowed(host, allowed).catch((error: unknown) => {
      if (error instanceof HostUnresolved) return error;
      throw error;
    });
  if (spec.bastion) {
    const bastion = await resolve(spec.bastion);
    return new Map(spec.hosts.map((host) => [host, bastion]));
  }
  return new Map(await Promise.all(spec.hosts.map(async (host) => [host, await resolve(host)] as const)));
}

async function runRemote(input: RunnerInput, context: InlineContext, work: (spec: RemoteShellSpec) => Promise<RemoteWork>): Promise<Outcome> {
  const spec = remoteShellSpec(input);
  const remote = await work(spec);
  const login = await sshLogin(input, spec.username, spec.credentials);
  const hops = await firstHops(spec, input);
  const signal = context.signal ?? new AbortController().signal;
  // The output cap bounds the runtime's memory for the whole execution: the hosts share it.
  const outputCapBytes = Math.max(1024, Math.floor(input.config.outputCapBytes / spec.hosts.length));
  const outcomes = await eachHost(spec.hosts, spec.parallel, input.config.sshMaxParallel, async (host): Promise<HostOutcome> => {
    if (signal.aborted) return { entry: failedEntry(`Canceled before host ${host.hostname} was reached`, { return_code: -15 }) };
    const hop = hops.get(host)!;
    if (hop instanceof HostUnresolved) return { entry: failedEntry(`Failed connecting to host ${host.hostname}: ${hop.message}`) };
    return onHost({ host, firstHop: hop, spec, login, work: remote, input, signal, outputCapBytes });
  });
  const entries = outcomes.map((outcome) => outcome.entry);
  const keys = resultKeys(spec.hosts);
  // fromEntries defines own properties: a host named __proto__ is a key like any other.
  const result = Object.fromEntries(entries.map((entry, index) => [keys[index]!, entry]));
  const truncated = {
    stdout: outcomes.some((outcome) => outcome.truncated?.stdout === true),
    stderr: outcomes.some((outcome) => outcome.truncated?.stderr === true),
  };
  const status = signal.aborted ? 'canceled' : statusOf(entries, input.config.sshAllowPartialFailure);
  return {
    status,
    result,
    ...(status === 'timeout' ? { stopReason: 'timeout' as const } : status === 'canceled' ? { stopReason: 'canceled' as const } : {}),
    ...(truncated.stdout || truncated.stderr ? { truncated } : {}),
  };
}

function describeRemote(input: RunnerInput, spec: RemoteShellSpec, command: string, script?: string): Record<string, unknown> {
  const credentials = spec.credentials;
  return {
    runsIn: 'the runtime process, which opens the SSH connections (no job is started); hosts on the runtime\'s own host are refused unless PACKRUN_SSH_ALLOW lists them',
    hosts: spec.hosts.map((host) => `${host.hostname}:${host.port}`),
    ...(spec.bastion ? { bastion: `${spec.bastion.hostname}:${spec.bastion.port}` } : {}),
    username: spec.username,
    login: credentials.kind === 'password' ? 'password' : credentials.kind === 'key-material' ? 'private key (material)' : `private key (${credentials.origin})`,
    hostKeyChecking: input.config.sshHostKeyChecking,
    knownHosts: input.config.sshKnownHosts,
    parallel: spec.parallel,
    timeoutSeconds: spec.timeoutSeconds,
    ...(script ? { script } : {}),
    command: remoteCommandBody({ command, cwd: spec.cwd, env: spec.env, sudo: spec.sudo, sudoPassword: spec.sudoPassword !== undefined }),
  };
}

/**
 * remote-shell-cmd: StackStorm's SSH command runner. The runtime opens the SSH connections itself
 * (as StackStorm's runner process does); no pack code runs here, so no job is started.
 * Result: one entry per host, `{stdout, stderr, return_code, succeeded, failed}`.
 */
export const remoteCommandRunner: InlineRunner = {
  inline: true,
  describe(input) {
    const spec = remoteShellSpec(input);
    return describeRemote(input, spec, commandWork(input).command);
  },
  run: (input, context) => runRemote(input, context, async () => commandWork(input)),
};

/** remote-shell-script: the action's script copied to each host, run there with StackStorm's arguments, removed. */
export const remoteScriptRunner: InlineRunner = {
  inline: true,
  describe(input) {
    const spec = remoteShellSpec(input);
    const { script, command } = scriptPlacement(input, spec);
    return describeRemote(input, spec, command, script);
  },
  run: (input, context) => runRemote(input, context, (spec) => scriptWork(input, spec)),
};
