import { realpathSync } from 'node:fs';
import { chmod, copyFile, lchown, lstat, readdir, readlink, rename } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { PackrunConfig } from '../config.ts';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SpawnDecorator, SpawnSpec, WrappedSpawn } from '../process/spawn-decorator.ts';
import { bwrapArgs } from './bwrap-args.ts';
import { protectDataFolder } from './data-folder-modes.ts';
import { createJobCgroup, removeCgroup, type JobCgroup } from './cgroups.ts';
import { checkGrantedPathsExist, checkHostPathGrants, hostPathsFor, packGroupId, packGroups, prepareWritableGrant, type HostPaths } from './host-paths.ts';
import { grantedPorts } from './host-port-grants.ts';
import { jobReadOnlyFolders, resolveCommand } from './job-mounts.ts';
import { jobRlimits } from './job-rlimits.ts';
import type { SandboxHost } from './detect.ts';
import { runtimeSecrets, sandboxedJobEnv } from './env-scrub.ts';
import { launchCommand, seccompFd } from './launch-prefix.ts';
import { createNetworkNamespacePool, type NetworkNamespacePool } from './network-namespace-pool.ts';
import type { JobNetworkNamespace } from './network-namespace.ts';
import { operatorSandboxPolicy, type SandboxLimits } from './profile.ts';
import { killUid, pidsOfUid, UidPool } from './uid-pool.ts';
import { createWarmSandbox } from './warm-sandbox.ts';

export interface SandboxDecoratorOptions {
  host: SandboxHost;
  config: PackrunConfig;
  logger?: Logger;
  /**
   * Host loopback ports the runtime itself opens to every job of a pack, asked when the pack's warm
   * zygote takes its namespace (its children share it): StackStorm's API for the packs in
   * PACKRUN_ACTION_API_PACKS. A cold job names its own in `SpawnContext.hostPorts`.
   */
  packHostPorts?: (pack: string) => readonly number[];
}

/** Never follows a symlink: one left in a job folder must not hand its target to the job uid. */
async function chownTree(dir: string, uid: number): Promise<void> {
  await lchown(dir, uid, uid);
  for (const entry of await readdir(dir)) {
    const entryPath = path.join(dir, entry);
    const stat = await lstat(entryPath);
    if (stat.isDirectory()) await chownTree(entryPath, uid);
    else await lchown(entryPath, uid, uid);
  }
}

/**
 * Hands a build's writable folder (its output, a tool cache) to the build uid. A file with other
 * links is copied to an inode of its own first: an env built earlier by hardlinking from the cache
 * shares inodes with it, and the build uid must never own a file an installed env uses.
 */
async function claimForBuild(dir: string, uid: number): Promise<void> {
  const stat = await lstat(dir);
  if (stat.uid === uid) return;
  if (stat.isFile() && stat.nlink > 1) {
    const copy = `${dir}.packrun-unlink`;
    await copyFile(dir, copy);
    await chmod(copy, stat.mode & 0o777);
    await rename(copy, dir);
  }
  await lchown(dir, uid, uid);
  if (stat.isDirectory()) for (const entry of await readdir(dir)) await claimForBuild(path.join(dir, entry), uid);
}

/** Limits of an env build: roomier than a job's, always with the network (the package index). */
function buildSandboxLimits(config: PackrunConfig): SandboxLimits {
  return {
    memoryMb: config.sandboxBuildMemoryMb,
    pids: config.sandboxBuildPids,
    cpu: availableParallelism(),
    network: true,
    timeoutSeconds: config.sandboxBuildTimeoutSeconds,
  };
}

/**
 * The SpawnDecorator that puts every job the launcher starts (actions, sensors), and every env
 * build the installer runs (uv, pip, npm, as kind `build`), inside the layers
 * `detectSandbox` found: scrubbed environment, rlimits, a uid of its own, a cgroup, bubblewrap,
 * seccomp, and for a job with network a network namespace of its own (a warm zygote's too, through
 * `warm`). Layers the host lacks are skipped (the doctor says so); a layer the operator marked
 * `required` but the host lacks makes every spawn fail instead.
 */
export function createSandboxDecorator(options: SandboxDecoratorOptions): SpawnDecorator {
  const { host, config } = options;
  // A grant that would hand over Packrun's own data, or two packs' writable folders sharing a
  // group, stops the service at start rather than at some job.
  checkHostPathGrants(config);
  packGroups(config);
  const preparedGrants = new Set<string>();
  const secrets = runtimeSecrets(config);
  const defaults = operatorSandboxPolicy(config).defaults;
  const uids = host.uidRange ? new UidPool(host.uidRange.first, host.uidRange.count) : undefined;
  const dataHome = path.resolve(config.home);
  let protectedOnce: Promise<void> | undefined;
  const protect = (): Promise<void> => (protectedOnce ??= protectDataFolder(dataHome));
  const networkTools = host.network;
  let namespaces: NetworkNamespacePool | undefined;
  const namespacePool = (tools: NonNullable<typeof networkTools>): NetworkNamespacePool =>
    (namespaces ??= createNetworkNamespacePool({
      tools,
      spares: config.sandboxNetnsSpares,
      idleMs: config.warmIdleSeconds * 1000,
      ...(options.logger ? { logger: options.logger } : {}),
    }));
  const warm =
    host.bwrap && host.setpriv && uids && host.missingRequired.length === 0
      ? createWarmSandbox({
          config,
          bwrap: host.bwrap,
          setpriv: host.setpriv,
          cgroups: host.cgroups,
          seccompFile: host.seccompFile,
          uids,
          secrets,
          defaults,
          dataHome,
          protect,
          // A zygote with network gets a namespace of its own, as a cold job of its pack would
          // (the same granted ports), which its children share.
          ...(networkTools
            ? {
                networks: {
                  nsenter: networkTools.nsenter,
                  take: (pack: string) =>
                    namespacePool(networkTools).take(grantedPorts(config.sandboxHostPorts, pack, options.packHostPorts?.(pack))),
                  release: (namespace: JobNetworkNamespace) => namespaces?.release(namespace),
                },
              }
            : {}),
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;

  return {
    ...(warm ? { warm } : {}),
    async wrap(spec: SpawnSpec): Promise<WrappedSpawn> {
      if (host.missingRequired.length > 0) {
        throw new PackrunError('SANDBOX_LAYER_MISSING', `sandbox layers required by the configuration are not available: ${host.missingRequired.join(', ')}`, {
          hint: 'run `packrun doctor` to see why, or set the PACKRUN_SANDBOX_* switch to auto',
          details: { layers: host.missingRequired },
        });
      }
      const { context } = spec;
      const isBuild = context.kind === 'build';
      const limits = isBuild ? buildSandboxLimits(config) : (context.limits ?? defaults);
      const granted: HostPaths = isBuild ? { readOnly: [], writable: [] } : hostPathsFor(config, context.pack, context.action);
      checkGrantedPathsExist(granted);
      // Builds share one fixed uid: uv's, pip's and npm's caches are written across builds and
      // must stay writable by whichever build comes next.
      const uid = isBuild ? (uids ? config.sandboxBuildUid : undefined) : uids?.take();
      const jobEnv = (raw: Record<string, string>): Record<string, string> => {
        const scrubbed = sandboxedJobEnv(raw, secrets, uid !== undefined);
        if (scrubbed.removed.length > 0) options.logger?.warn({ pack: context.pack, removed: scrubbed.removed }, 'removed runtime secrets from a job environment');
        return scrubbed.env;
      };
      const env = jobEnv(spec.env);
      // Each job of a pack runs as a uid of its own: what one writes in a writable grant, the
      // next reaches through the pack's group (umask 002, setgid folder).
      const packGroup = granted.writable.length > 0 && uid !== undefined ? packGroupId(context.pack) : undefined;
      const releaseUid = (): void => {
        if (uid !== undefined && !isBuild) uids?.release(uid);
      };
      let cgroup: JobCgroup | undefined;
      let network: JobNetworkNamespace | undefined;
      try {
        await protect();
        if (uid !== undefined) {
          // Only the job folder becomes the job's: everything else it sees stays root's and read-only.
          await chownTree(context.jobDir, uid);
          await chmod(context.jobDir, 0o700);
          for (const dir of context.writableDirs ?? []) await claimForBuild(dir, uid);
        }
        if (packGroup !== undefined) {
          for (const folder of granted.writable) {
            if (preparedGrants.has(folder)) continue;
            prepareWritableGrant(folder, packGroup);
            preparedGrants.add(folder);
          }
        }
        // With network, the outside world through a namespace of its own; never the host's.
        if (limits.network && networkTools) network = await namespacePool(networkTools).take(grantedPorts(config.sandboxHostPorts, context.pack, context.hostPorts));
        if (host.cgroups) {
          cgroup = await createJobCgroup(host.cgroups, `${context.kind}-${context.pack}-${context.executionId}`, {
            memoryMb: limits.memoryMb,
            pids: limits.pids,
            cpu: limits.cpu,
          });
        }
      } catch (error) {
        releaseUid();
        if (network) namespaces?.release(network);
        throw new PackrunError('SANDBOX_SETUP_FAILED', `cannot prepare the sandbox for ${context.kind} of pack "${context.pack}": ${(error as Error).message}`, {
          details: { pack: context.pack, jobDir: context.jobDir },
          userError: false,
          cause: error,
        });
      }

      const command = resolveCommand(spec.command, env);
      const readOnly = [...jobReadOnlyFolders(context, command, env, dataHome), ...granted.readOnly];
      const launched = launchCommand(
        {
          cgroupProcsFiles: cgroup?.procsFiles ?? [],
          rlimits: jobRlimits(config, context.kind, limits, uid !== undefined),
          seccompFile: host.seccompFile,
          ...(network && networkTools ? { netns: { nsenter: networkTools.nsenter, path: network.path } } : {}),
          bwrap: host.bwrap
            ? {
                binary: host.bwrap,
                args: bwrapArgs({
                  readOnly,
                  // A build's job folder is its TMPDIR, where pip unpacks and builds sdists: on
                  // disk rather than a tmpfs sized for jobs.
                  scratch: isBuild ? [] : [context.jobDir],
                  writable: isBuild ? [context.jobDir, ...(context.writableDirs ?? [])] : granted.writable,
                  scratchMb: config.sandboxJobMb,
                  cwd: spec.cwd,
                  // A job with network is already in its own namespace (or, without the network
                  // layer, shares the host's); one without gets an empty one from bubblewrap.
                  network: limits.network,
                  tmpMb: config.sandboxTmpMb,
                  switchesUser: uid !== undefined,
                  seccompFd: host.seccompFile ? seccompFd : undefined,
                }),
              }
            : undefined,
          setpriv: uid !== undefined && host.setpriv ? { binary: host.setpriv, uid, gid: uid, ...(packGroup === undefined ? {} : { groups: [packGroup] }) } : undefined,
          ...(packGroup === undefined ? {} : { umask: '002' }),
        },
        command ?? spec.command,
        spec.args,
      );

      let released = false;
      let swept = false;
      const bwrapBinary = host.bwrap ? realpathSync(host.bwrap) : undefined;
      // Inside bubblewrap a SIGTERM to the process group lands on bubblewrap itself, which dies and
      // takes the sandbox with it at once; the job's own processes are signalled instead.
      const terminate =
        bwrapBinary && (cgroup || uid !== undefined)
          ? async (): Promise<void> => {
              const pids = cgroup ? await cgroup.pids() : await pidsOfUid(uid as number);
              for (const pid of pids) {
                const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
                if (exe === bwrapBinary) continue;
                try {
                  process.kill(pid, 'SIGTERM');
                } catch {
                  // Gone already.
                }
              }
            }
          : undefined;
      return {
        command: launched.command,
        args: launched.args,
        env,
        jobEnv,
        ...(terminate ? { terminate } : {}),
        async killAll() {
          if (cgroup) await cgroup.killAll();
          else if (uid !== undefined) await killUid(uid);
          swept = true;
        },
        async afterExit() {
          const stats = cgroup ? cgroup.stats() : { oomKilled: false, pidsLimitHit: false };
          if (!released) {
            released = true;
            if (network) namespaces?.release(network);
            // The uid goes back to the pool only once nothing runs as it.
            if (cgroup) await removeCgroup(cgroup, (error) => options.logger?.warn({ err: error }, 'job cgroup left behind'));
            if (uid !== undefined) {
              if (!cgroup && !swept) await killUid(uid).catch(() => undefined);
              releaseUid();
            }
          }
          return stats;
        },
      };
    },
  };
}
