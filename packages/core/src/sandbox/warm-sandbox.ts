import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lchownSync } from 'node:fs';
import { chown, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PackrunConfig } from '../config.ts';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SandboxReport, SpawnContext } from '../process/spawn-decorator.ts';
import { bwrapArgs } from './bwrap-args.ts';
import { createJobCgroup, removeCgroup, type CgroupHost, type JobCgroup } from './cgroups.ts';
import { hostPathsFor } from './host-paths.ts';
import { outsideProcessGroup } from './escaped-processes.ts';
import { sandboxedJobEnv, scrubEnvironment } from './env-scrub.ts';
import { buildSeccompFilter } from './seccomp-filter.ts';
import { jobReadOnlyFolders, resolveCommand } from './job-mounts.ts';
import { jobRlimits } from './job-rlimits.ts';
import { launchCommand, seccompFd, type RlimitValues } from './launch-prefix.ts';
import type { JobNetworkNamespace } from './network-namespace.ts';
import type { SandboxLimits } from './profile.ts';
import { killUid, pidsOfUid, type UidPool } from './uid-pool.ts';
import { removeSharedLeftovers, type SysvIpcIds } from './zygote-leftovers.ts';

const runFile = promisify(execFile);

/** What of a job's context a zygote is built from: everything but the execution. */
export type ZygoteContext = Pick<SpawnContext, 'pack' | 'packDir' | 'envDir' | 'interpreters' | 'readOnlyDirs' | 'limits'>;

export interface ZygoteSandboxSpec {
  /** The pack env's interpreter and the zygote's own arguments. */
  command: string;
  args: string[];
  env: Record<string, string>;
  context: ZygoteContext;
  /** Executions the zygote may run at once: each gets one of its job folders. */
  slots: number;
  /**
   * A folder of its own on the host (0700), where the runtime listens for its children's streams:
   * handed to the zygote's uid and bound read-only into its mount namespace, and no other.
   */
  streamFolder: string;
}

export interface WarmChildSpec {
  /** The context of the executions it may run: its kind, pack and limits. */
  context: Pick<SpawnContext, 'kind' | 'pack' | 'limits'>;
  /** Names its cgroup: the execution's id, or one of its own for a child forked ahead. */
  label: string;
  /** The job folder inside the zygote it runs in (one of `SandboxedZygote.slots`). */
  slot: string;
  zygoteHostPid: number;
  /** The System V IPC objects a uid created or owns in the zygote's IPC namespace, as the zygote lists them. */
  listSysvIpc(uid: number): Promise<SysvIpcIds>;
}

export interface WarmChild {
  uid: number;
  /** The execution's environment as the job gets it (HOME and TMPDIR already pointing at its slot): runtime secrets scrubbed. */
  envFor(env: Record<string, string>): Record<string, string>;
  rlimits: RlimitValues;
  /** Moves the forked child (by host pid) into the execution's cgroup (made meanwhile); before its job frame. */
  join(hostPid: number): Promise<void>;
  /** Kills every process of the execution, including those that left its process group. */
  killAll(): Promise<void>;
  /**
   * Once the child ended and its process group was sent SIGKILL (`groupLeader`: the child's host
   * pid, which leads it): kills whatever of the job left that group, then says what the cgroup saw.
   * When it returns, no process of the job can run any more. The rest happens after it:
   * `shared` settles once what the job left where every child of the zygote reaches (its /tmp,
   * /dev/shm, message queues and System V IPC objects) is removed, false when some could not be
   * (the zygote must then serve no further execution); `swept` settles once, after that, the last
   * process is gone, the cgroup removed, the job folder emptied and the uid back in the pool, false
   * when the folder could not be emptied and must not be handed out again.
   */
  afterExit(groupLeader: number | undefined): Promise<SandboxReport & { shared: Promise<boolean>; swept: Promise<boolean> }>;
}

export interface SandboxedZygote {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Its job folders, as paths inside its mount namespace: one tmpfs each, empty between executions. */
  slots: string[];
  prepareChild(spec: WarmChildSpec): Promise<WarmChild>;
  /** After the zygote's process is gone: its cgroup and its network namespace go too. */
  afterExit(): Promise<void>;
}

/**
 * Zygotes under the sandbox (docs/fast-spawn.md). A zygote starts in bubblewrap with the same
 * read-only view, seccomp program and namespaces as a cold job of its pack (with network, a
 * network namespace of its own with the same egress, which its children share), but as root inside
 * with CAP_SETUID, CAP_SETGID and CAP_SETPCAP only, so that each forked child can drop to a uid of
 * its own. Each execution then gets, around its child, what a cold job gets around its process: a
 * uid from the pool, a cgroup with its limits (joined before its job frame is sent), rlimits, a
 * scrubbed environment and a capped tmpfs job folder.
 */
export interface WarmSandbox {
  /** Jobs whose kinds differ need different zygotes (with or without a network namespace). */
  zygoteKind(context: ZygoteContext): string;
  launchZygote(spec: ZygoteSandboxSpec): Promise<SandboxedZygote>;
}

/** Where a zygote with network gets its namespace: the decorator's pool (the network layer). */
export interface ZygoteNetworks {
  nsenter: string;
  /** A namespace with egress and the host ports granted to `pack`, its filter loaded. */
  take(pack: string): Promise<JobNetworkNamespace>;
  /** Closes it (in the background) once the zygote is gone. */
  release(namespace: JobNetworkNamespace): void;
}

export interface WarmSandboxDeps {
  config: PackrunConfig;
  bwrap: string;
  setpriv: string;
  cgroups: CgroupHost | undefined;
  seccompFile: string | undefined;
  uids: UidPool;
  secrets: string[];
  defaults: SandboxLimits;
  dataHome: string;
  /** The data folder's modes are set (once) before any job runs. */
  protect(): Promise<void>;
  /** Set when the network layer is active. */
  networks?: ZygoteNetworks;
  logger?: Logger;
}

/** What a zygote keeps of root's power: handing out uids and gids, and dropping capabilities. */
const zygoteCaps = ['setuid', 'setgid', 'setpcap'];

/**
 * The zygote's seccomp program: the jobs' one, and uid/gid changes into the job range only. Written
 * once beside the jobs' program (detectSandbox's), per job range.
 */
async function writeZygoteFilter(jobFilter: string, range: { first: number; count: number; also: number }): Promise<string> {
  const file = path.join(path.dirname(jobFilter), `seccomp-x86_64-zygote-${range.first}-${range.count}-${range.also}.bpf`);
  const temporary = `${file}.${process.pid}`;
  await writeFile(temporary, buildSeccompFilter({ idRange: range }), { mode: 0o600 });
  await rename(temporary, file);
  return file;
}

/** Where a zygote's job folders are mounted inside it. */
const slotRoot = '/packrun-job';

function setupFailed(what: string, pack: string, error: unknown): PackrunError {
  return new PackrunError('SANDBOX_SETUP_FAILED', `cannot prepare the sandbox for ${what} of pack "${pack}": ${(error as Error).message}`, {
    details: { pack },
    userError: false,
    cause: error,
  });
}

/**
 * Gives a job folder (the root of its own tmpfs, seen from the host) to `uid`, 0700. Two system
 * calls on one inode, made synchronously: through the thread pool each cost about ten times its
 * CPU (docs/fast-spawn.md, "What bounds the figures"). What is inside the folder, which a job
 * decides the size of, is only ever read asynchronously.
 */
function handSlot(slotOnHost: string, uid: number): void {
  lchownSync(slotOnHost, uid, uid);
  chmodSync(slotOnHost, 0o700);
}

/**
 * Empties a finished execution's job folder. Deletion runs inside the zygote's mount namespace
 * (nsenter): walking its files through /proc/<pid>/root from the host would follow a symlink a job
 * planted with an absolute target to the host's own files. Inside, every path outside the job
 * folders and the shared tmpfs folders is a read-only bind.
 */
async function sweepSlot(nsenter: string, zygoteHostPid: number, slot: string): Promise<void> {
  const root = `/proc/${zygoteHostPid}/root`;
  let leftovers: string[];
  try {
    leftovers = (await readdir(`${root}${slot}`)).map((name) => path.posix.join(slot, name));
  } catch (error) {
    // The zygote is gone, and its tmpfs mounts with it: nothing is left to sweep.
    if (['ENOENT', 'ESRCH', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '') && !existsSync(`/proc/${zygoteHostPid}`)) return;
    throw error;
  }
  if (leftovers.length > 0) {
    await runFile(nsenter, [`--target=${zygoteHostPid}`, '--mount', '--', '/bin/rm', '-rf', '--one-file-system', '--', ...leftovers], {
      timeout: 60_000,
      env: { PATH: '/usr/bin:/bin' },
    });
  }
  handSlot(`${root}${slot}`, 0);
}

/**
 * A cold job's cgroup also holds its two bubblewrap processes (root, so outside RLIMIT_NPROC's
 * count); a forked child's holds only the job's own. With the same number for both, RLIMIT_NPROC
 * would refuse the last fork before the cgroup does, and the job would not be reported as stopped
 * at its pids limit. The cgroup is the limit; RLIMIT_NPROC stays a backstop one above it.
 */
function warmRlimits(values: RlimitValues, hasCgroup: boolean): RlimitValues {
  return hasCgroup && values.processes !== undefined ? { ...values, processes: values.processes + 1 } : values;
}

export function createWarmSandbox(deps: WarmSandboxDeps): WarmSandbox {
  const { config } = deps;
  const nsenter = ['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter'].find((file) => existsSync(file)) ?? 'nsenter';
  const limitsOf = (context: Pick<ZygoteContext, 'limits'>): SandboxLimits => context.limits ?? deps.defaults;
  const allowedUids = { first: deps.uids.first, count: deps.uids.count, also: config.sandboxZygoteUid };
  let zygoteFilter: Promise<string> | undefined;

  return {
    zygoteKind(context) {
      return limitsOf(context).network ? 'network' : 'no-network';
    },

    async launchZygote(spec) {
      const { context } = spec;
      const limits = limitsOf(context);
      const slots = Array.from({ length: spec.slots }, (_, index) => `${slotRoot}/${index}`);
      let cgroup: JobCgroup | undefined;
      let network: JobNetworkNamespace | undefined;
      let seccompFile: string | undefined;
      try {
        await deps.protect();
        if (deps.seccompFile) zygoteFilter ??= writeZygoteFilter(deps.seccompFile, allowedUids);
        seccompFile = await zygoteFilter;
        // The zygote's children connect from inside before they drop to their job uid; no job uid
        // can enter it, and no other sandbox has it.
        await chown(spec.streamFolder, config.sandboxZygoteUid, config.sandboxZygoteUid);
        // Its own cgroup holds the zygote and each child until the child joins its execution's.
        if (deps.cgroups) cgroup = await createJobCgroup(deps.cgroups, `zygote-${context.pack}`, { memoryMb: limits.memoryMb, pids: limits.pids, cpu: limits.cpu });
        // With network, the outside world through a namespace of its own, never the host's: the
        // zygote is started in it, and every child it forks stays there. The children share its
        // loopback as they share its /tmp; their channels to the runtime are path sockets, which
        // no namespace sharing exposes (docs/sandbox.md, "Network").
        if (limits.network && deps.networks) network = await deps.networks.take(context.pack);
      } catch (error) {
        if (cgroup) await removeCgroup(cgroup, (failure) => deps.logger?.warn({ err: failure, pack: context.pack }, 'zygote cgroup left behind'));
        throw setupFailed('the zygote', context.pack, error);
      }
      const env = scrubEnvironment(spec.env, deps.secrets).env;
      const command = resolveCommand(spec.command, env) ?? spec.command;
      const launched = launchCommand(
        {
          cgroupProcsFiles: cgroup?.procsFiles ?? [],
          // Each child sets its own; the zygote's hard limits must stay above them.
          rlimits: undefined,
          seccompFile,
          ...(network && deps.networks ? { netns: { nsenter: deps.networks.nsenter, path: network.path } } : {}),
          bwrap: {
            binary: deps.bwrap,
            args: bwrapArgs({
              // The pack's read-only host paths: jobs with more (their action's own, or writable
              // ones) never come from a zygote (needsOwnSpawn).
              readOnly: [...jobReadOnlyFolders(context, command, env, deps.dataHome), spec.streamFolder, ...hostPathsFor(config, context.pack).readOnly],
              scratch: slots,
              scratchMb: config.sandboxJobMb,
              cwd: '/',
              // In its own namespace already (or, without the network layer, the host's); one
              // without network gets an empty one from bubblewrap.
              network: limits.network,
              tmpMb: config.sandboxTmpMb,
              switchesUser: true,
              seccompFd: seccompFile ? seccompFd : undefined,
              mqueue: true,
            }),
          },
          // Never root: a uid of its own, with three capabilities kept as ambient ones, which the
          // zygote's seccomp program confines to job uids.
          setpriv: { binary: deps.setpriv, uid: config.sandboxZygoteUid, gid: config.sandboxZygoteUid, keepCaps: zygoteCaps },
        },
        command,
        spec.args,
      );

      return {
        command: launched.command,
        args: launched.args,
        env,
        slots,
        async afterExit() {
          // Its children died with its pid namespace: nothing is left in the network namespace
          // but its holder, which ends pasta as it goes.
          if (network) deps.networks?.release(network);
          network = undefined;
          if (cgroup) await removeCgroup(cgroup, (error) => deps.logger?.warn({ err: error, pack: context.pack }, 'zygote cgroup left behind'));
        },

        async prepareChild(child) {
          const { context: jobContext, slot, zygoteHostPid } = child;
          const jobLimits = limitsOf(jobContext);
          const uid = deps.uids.take();
          try {
            // Only this execution's uid may enter its job folder, as a cold job's.
            handSlot(`/proc/${zygoteHostPid}/root${slot}`, uid);
          } catch (error) {
            deps.uids.release(uid);
            throw setupFailed(jobContext.kind, jobContext.pack, error);
          }
          // Made while the child is forked and connects; `join` waits for it.
          const cgroupMade: Promise<JobCgroup | undefined> = deps.cgroups
            ? createJobCgroup(deps.cgroups, `${jobContext.kind}-${jobContext.pack}-${child.label}`, {
                memoryMb: jobLimits.memoryMb,
                pids: jobLimits.pids,
                cpu: jobLimits.cpu,
              })
            : Promise.resolve(undefined);
          cgroupMade.catch(() => undefined);
          let jobCgroup: JobCgroup | undefined;
          let cleanup: { shared: Promise<boolean>; swept: Promise<boolean> } | undefined;
          return {
            uid,
            envFor: (env) => sandboxedJobEnv(env, deps.secrets, true).env,
            rlimits: warmRlimits(jobRlimits(config, jobContext.kind, jobLimits, true), deps.cgroups !== undefined),
            async join(hostPid) {
              try {
                jobCgroup = await cgroupMade;
              } catch (error) {
                throw setupFailed(jobContext.kind, jobContext.pack, error);
              }
              // Into every hierarchy (cgroup v1: memory, pids, cpu, freezer) at once rather than one
              // after another: a spare is taken only once it joined, and a child forked for an
              // execution joins on its critical path.
              await Promise.all((jobCgroup?.procsFiles ?? []).map((file) => writeFile(file, String(hostPid))));
            },
            async killAll() {
              if (jobCgroup) await jobCgroup.killAll();
              else await killUid(uid);
            },
            async afterExit(groupLeader) {
              // A child that never joined (its fork failed) leaves a cgroup that was still made.
              jobCgroup ??= await cgroupMade.catch(() => undefined);
              if (!jobCgroup) await killUid(uid);
              // The group's SIGKILL reached everything still in it: only what left it needs the
              // cgroup-wide kill (freeze, kill, thaw), which costs milliseconds.
              else if (groupLeader === undefined || outsideProcessGroup(jobCgroup.pidsNow(), groupLeader).length > 0) await jobCgroup.killAll();
              const stats = jobCgroup ? jobCgroup.stats() : { oomKilled: false, pidsLimitHit: false };
              const cgroup = jobCgroup;
              cleanup ??= (() => {
                // First, as the next execution of this zygote waits for it: what the job left where
                // every child of the zygote reaches. Started after this turn of the event loop, in
                // which the execution's outcome goes out: the question to the zygote wakes it, and
                // on 2 cores it would take the CPU from those last steps.
                const shared = new Promise<void>((resolve) => setImmediate(resolve)).then(() => removeSharedLeftovers({
                  nsenter,
                  zygoteHostPid,
                  uid,
                  jobPids: () => (cgroup ? cgroup.pidsNow() : pidsOfUid(uid)),
                  listSysvIpc: child.listSysvIpc,
                })).then(
                  () => true,
                  (error: unknown) => {
                    deps.logger?.error({ err: error, pack: jobContext.pack }, 'could not remove what an execution left in its zygote');
                    return false;
                  },
                );
                const slotEmptied = (async () => {
                  // Removal waits (retrying) until the killed processes have finished exiting.
                  if (cgroup) await removeCgroup(cgroup, (error) => deps.logger?.warn({ err: error }, 'job cgroup left behind'));
                  await sweepSlot(nsenter, zygoteHostPid, slot);
                })().then(
                  () => true,
                  (error: unknown) => {
                    deps.logger?.warn({ err: error, pack: jobContext.pack, slot }, 'could not empty a zygote job folder');
                    return false;
                  },
                );
                // The uid goes back only when nothing of it is left anywhere: it would own what was.
                const swept = Promise.all([shared, slotEmptied]).then(([sharedEmptied, emptied]) => {
                  if (sharedEmptied && emptied) deps.uids.release(uid);
                  return emptied;
                });
                return { shared, swept };
              })();
              return { ...stats, ...cleanup };
            },
          };
        },
      };
    },
  };
}
