import { execFile } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LayerMode, PackrunConfig } from '../config.ts';
import { dataPaths } from '../paths.ts';
import { bwrapArgs } from './bwrap-args.ts';
import { probeCgroupHost, type CgroupHost } from './cgroups.ts';
import { launchCommand, type LaunchLayers } from './launch-prefix.ts';
import { buildSeccompFilter, seccompArchSupported } from './seccomp-filter.ts';
import { detectNetwork } from './detect-network.ts';
import { accountsInRange, findBinary, searchPath } from './host-lookup.ts';
import type { NetworkTools } from './network-namespace.ts';

const run = promisify(execFile);

export type LayerName = 'environment' | 'rlimits' | 'user' | 'cgroups' | 'bubblewrap' | 'seccomp' | 'network' | 'channels';

export interface LayerStatus {
  name: LayerName;
  active: boolean;
  /** The operator's switch; `always` for layers that cannot be turned off. */
  mode: LayerMode | 'always';
  /** Why it is active or not, in words an operator can act on. */
  reason: string;
}

/** What this host offers the sandbox, found once at start-up. */
export interface SandboxHost {
  layers: LayerStatus[];
  /** Set when the user layer is active. */
  setpriv: string | undefined;
  uidRange: { first: number; count: number } | undefined;
  cgroups: CgroupHost | undefined;
  bwrap: string | undefined;
  seccompFile: string | undefined;
  /** Set when the network layer is active: what makes each job's network namespace. */
  network: NetworkTools | undefined;
  /** Layers the operator marked `required` that this host cannot provide. */
  missingRequired: LayerName[];
}

async function tryRun(command: string, args: string[]): Promise<string | undefined> {
  try {
    await run(command, args, { timeout: 10_000, env: { PATH: searchPath.join(':') } });
    return undefined;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    return (failure.stderr?.trim() || failure.message).split('\n')[0];
  }
}

const noLayers: LaunchLayers = { cgroupProcsFiles: [], rlimits: undefined, seccompFile: undefined, bwrap: undefined, setpriv: undefined };

async function detectUser(config: PackrunConfig): Promise<{ status: Omit<LayerStatus, 'name' | 'mode'>; setpriv?: string }> {
  if (config.sandboxUser === 'off') return { status: { active: false, reason: 'turned off (PACKRUN_SANDBOX_USER=off): jobs run as the runtime uid' } };
  if (process.getuid?.() !== 0) return { status: { active: false, reason: `the runtime runs as uid ${process.getuid?.()}, not root: jobs share its uid` } };
  const setpriv = findBinary('setpriv');
  if (!setpriv) return { status: { active: false, reason: 'setpriv (util-linux) not found' } };
  const clash = await accountsInRange(config.sandboxUid, config.sandboxUidCount);
  if (clash.length > 0) return { status: { active: false, reason: `uid range ${config.sandboxUid}+${config.sandboxUidCount} holds real accounts (${clash.join(', ')}): pick another PACKRUN_SANDBOX_UID` } };
  const buildUid = config.sandboxBuildUid;
  if (buildUid >= config.sandboxUid && buildUid < config.sandboxUid + config.sandboxUidCount) {
    return { status: { active: false, reason: `the build uid ${buildUid} (PACKRUN_SANDBOX_BUILD_UID) lies in the job uid range: a job could then touch the build caches` } };
  }
  const buildClash = await accountsInRange(buildUid, 1);
  if (buildClash.length > 0) return { status: { active: false, reason: `the build uid ${buildUid} is a real account (${buildClash.join(', ')}): pick another PACKRUN_SANDBOX_BUILD_UID` } };
  const probe = launchCommand({ ...noLayers, setpriv: { binary: setpriv, uid: config.sandboxUid, gid: config.sandboxUid } }, '/bin/true', []);
  const failure = await tryRun(probe.command, probe.args);
  if (failure) return { status: { active: false, reason: `setpriv cannot switch to uid ${config.sandboxUid}: ${failure}` } };
  return {
    status: { active: true, reason: `one uid per job from ${config.sandboxUid} (${config.sandboxUidCount} uids), env builds as uid ${buildUid}, no_new_privs, no capabilities` },
    setpriv,
  };
}

async function detectBwrap(config: PackrunConfig, setpriv: string | undefined): Promise<{ status: Omit<LayerStatus, 'name' | 'mode'>; bwrap?: string }> {
  if (config.sandboxBwrap === 'off') return { status: { active: false, reason: 'turned off (PACKRUN_SANDBOX_BWRAP=off)' } };
  const bwrap = findBinary('bwrap');
  if (!bwrap) return { status: { active: false, reason: 'bubblewrap not installed (Debian package `bubblewrap`)' } };
  if (process.getuid?.() !== 0) return { status: { active: false, reason: 'the runtime is not root: Packrun runs bubblewrap without a user namespace, which needs root' } };
  const args = bwrapArgs({ readOnly: [], scratch: [], scratchMb: 1, cwd: '/', network: false, tmpMb: 1, switchesUser: setpriv !== undefined, seccompFd: undefined });
  const probe = launchCommand(
    { ...noLayers, bwrap: { binary: bwrap, args }, setpriv: setpriv ? { binary: setpriv, uid: config.sandboxUid, gid: config.sandboxUid } : undefined },
    '/bin/true',
    [],
  );
  const failure = await tryRun(probe.command, probe.args);
  if (failure) return { status: { active: false, reason: `bubblewrap is installed but cannot create namespaces here: ${failure}` } };
  const { stdout } = await run(bwrap, ['--version']);
  return { status: { active: true, reason: `${stdout.trim()}: pid, ipc, uts, mount and (where a pack has no network) net namespaces; read-only system and pack, private /tmp and /dev/shm` }, bwrap };
}

async function detectSeccomp(config: PackrunConfig, bwrap: string | undefined): Promise<{ status: Omit<LayerStatus, 'name' | 'mode'>; file?: string }> {
  if (config.sandboxSeccomp === 'off') return { status: { active: false, reason: 'turned off (PACKRUN_SANDBOX_SECCOMP=off)' } };
  if (!seccompArchSupported()) return { status: { active: false, reason: `no filter for architecture ${process.arch} (x64 only)` } };
  if (!bwrap) return { status: { active: false, reason: 'loaded by bubblewrap, which is not active' } };
  const status = await readFile('/proc/self/status', 'utf8');
  if (!/^Seccomp:/m.test(status)) return { status: { active: false, reason: 'kernel built without seccomp' } };
  // The filter is a constant: written once into the data folder, opened per job by the prelude.
  const dir = path.join(dataPaths(config.home).cache, 'sandbox');
  const file = path.join(dir, 'seccomp-x86_64.bpf');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}`;
  await writeFile(temporary, buildSeccompFilter(), { mode: 0o600 });
  await rename(temporary, file);
  const args = bwrapArgs({ readOnly: [], scratch: [], scratchMb: 1, cwd: '/', network: false, tmpMb: 1, switchesUser: false, seccompFd: 9 });
  const probe = launchCommand({ ...noLayers, seccompFile: file, bwrap: { binary: bwrap, args } }, '/bin/true', []);
  const failure = await tryRun(probe.command, probe.args);
  if (failure) return { status: { active: false, reason: `the kernel refused the filter: ${failure}` } };
  return { status: { active: true, reason: 'x86_64 filter: mount, namespaces, ptrace, bpf, perf, keyrings, modules, kexec, swap, clock and io_uring denied with EPERM' }, file };
}

async function detectCgroups(config: PackrunConfig): Promise<{ status: Omit<LayerStatus, 'name' | 'mode'>; host?: CgroupHost }> {
  if (config.sandboxCgroups === 'off') return { status: { active: false, reason: 'turned off (PACKRUN_SANDBOX_CGROUPS=off): no memory or pids limit, tree kill by uid or process group only' } };
  const probe = await probeCgroupHost();
  if ('reason' in probe) return { status: { active: false, reason: probe.reason } };
  const { host } = probe;
  const where = host.version === 1 ? `v1, job cgroups under ${path.dirname(host.memory)}/packrun` : `v2, job cgroups under ${host.base}`;
  const kill = host.version === 2 ? 'cgroup.kill' : host.freezer ? 'freezer then SIGKILL' : 'repeated SIGKILL';
  return { status: { active: true, reason: `${where}: memory, pids and CPU limits, out-of-memory counted, tree kill by ${kill}` }, host };
}

/** The first folder on the way to `target` that other uids cannot pass through, if any. */
function blockedForOthers(target: string): string | undefined {
  // A data folder not created yet is checked from its nearest existing ancestor on.
  let existing = path.resolve(target);
  while (!existsSync(existing)) existing = path.dirname(existing);
  const real = realpathSync(existing);
  for (let dir = existing === path.resolve(target) ? path.dirname(real) : real; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    if (dir === '/') return undefined;
  }
}

/**
 * Without bubblewrap the job uid sees the host's real file tree, so the data folder and the
 * interpreters must be reachable by other uids. Said at start-up rather than left to fail per job.
 */
function fallbackReachability(config: PackrunConfig): string {
  const python = resolvePython(config.python);
  const blocked = [config.home, ...(python ? [python] : [])]
    .map((target) => [target, blockedForOthers(target)] as const)
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
  if (blocked.length === 0) return '';
  return `; without bubblewrap jobs cannot reach ${blocked.map(([target, dir]) => `${target} (${dir} is closed to other uids)`).join(', ')}`;
}

function resolvePython(python: string): string | undefined {
  if (path.isAbsolute(python)) return python;
  return findBinary(python);
}

/**
 * A job's control and output streams: descriptors it inherits, or for a zygote's child a socket in
 * a folder only the zygote's uid may enter, never a name in the abstract socket namespace. They
 * keep one job from another only when each job has a uid of its own.
 */
function channelsStatus(ownUids: boolean): Omit<LayerStatus, 'name' | 'mode'> {
  if (!ownUids) return { active: false, reason: 'jobs share the runtime uid (user layer inactive): a job can reach the runtime processes and files, its channels included' };
  return { active: true, reason: "inherited descriptors, or for a zygote's child a socket in a folder only the zygote's uid can enter, joined with a token only that child was given; no abstract socket names" };
}

/** Probes every layer by actually using it, once; a layer is active only if the probe worked. */
export async function detectSandbox(config: PackrunConfig): Promise<SandboxHost> {
  const user = await detectUser(config);
  // The network probe (a namespace made for real, ~100 ms) runs beside the others.
  const networkDetected = detectNetwork(config, user.setpriv);
  const [cgroups, bwrap] = await Promise.all([detectCgroups(config), detectBwrap(config, user.setpriv)]);
  const [seccomp, network] = await Promise.all([detectSeccomp(config, bwrap.bwrap), networkDetected]);
  if (user.setpriv && !bwrap.bwrap) user.status.reason += fallbackReachability(config);
  const layers: LayerStatus[] = [
    { name: 'environment', mode: 'always', active: true, reason: 'cleared environment plus an allow-list; runtime secrets scrubbed by name and by value' },
    { name: 'rlimits', mode: 'always', active: true, reason: 'open files, file size, core dumps 0, CPU seconds; processes per uid when the user layer is active' },
    { name: 'user', mode: config.sandboxUser, ...user.status },
    { name: 'cgroups', mode: config.sandboxCgroups, ...cgroups.status },
    { name: 'bubblewrap', mode: config.sandboxBwrap, ...bwrap.status },
    { name: 'seccomp', mode: config.sandboxSeccomp, ...seccomp.status },
    { name: 'network', mode: config.sandboxNetns, ...network.status },
    { name: 'channels', mode: 'always', ...channelsStatus(user.setpriv !== undefined) },
  ];
  return {
    layers,
    setpriv: user.setpriv,
    uidRange: user.setpriv ? { first: config.sandboxUid, count: config.sandboxUidCount } : undefined,
    cgroups: cgroups.host,
    bwrap: bwrap.bwrap,
    seccompFile: seccomp.file,
    network: network.tools,
    missingRequired: layers.filter((layer) => layer.mode === 'required' && !layer.active).map((layer) => layer.name),
  };
}
