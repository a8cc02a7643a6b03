/**
 * Per-spawn cost of each sandbox layer against a bare spawn, measured in one run so the ratios are
 * comparable on a noisy machine. `node --import tsx bench/sandbox/run.ts [iterations]`.
 * Each row adds one layer to the previous (the two network rows each add theirs to `+ seccomp`);
 * `all, ... (decorator)` is the real SpawnDecorator path the launcher takes, including creating and
 * removing the job cgroup, for a job without network and one with (its namespace from the pool). bench/ is not a workspace
 * package, so it imports the sandbox modules by path: it measures internals on purpose.
 * Then the network layer under warm spawning: a trivial Python action through the runner, forked
 * from its pack's zygote with network (the zygote in a namespace of its own, shared by its
 * children) and without, beside the same started cold, interleaved in one run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../packages/core/src/config.ts';
import { detectSandbox } from '../../packages/core/src/sandbox/detect.ts';
import { createSandboxDecorator } from '../../packages/core/src/sandbox/sandbox-decorator.ts';
import { bwrapArgs } from '../../packages/core/src/sandbox/bwrap-args.ts';
import { createJobCgroup } from '../../packages/core/src/sandbox/cgroups.ts';
import { launchCommand, seccompFd, type LaunchLayers } from '../../packages/core/src/sandbox/launch-prefix.ts';
import { createNetworkNamespacePool } from '../../packages/core/src/sandbox/network-namespace-pool.ts';
import { startJobNetworkNamespace } from '../../packages/core/src/sandbox/network-namespace.ts';
import { readHostAddresses } from '../../packages/core/src/sandbox/host-addresses.ts';
import { processPrespawnPool, processZygotePool, runAction } from '../../packages/action-runner/src/index.ts';
import { LocalFileKeyValues } from '../../test/helpers/file-key-values.ts';
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';

const iterations = Number(process.argv[2] ?? 25);
const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-'));
const config = loadConfig({ PACKRUN_HOME: home });
const host = await detectSandbox(config);
// The system Python when there is one: a job uid without bubblewrap cannot read an interpreter
// under /root (pyenv), and would silently start a different, smaller one.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const fullEnv = { ...process.env } as Record<string, string>;
const cleanEnv = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: home };
const jobDir = path.join(home, 'jobs', 'bench');
mkdirSync(jobDir, { recursive: true });

function spawnOnce(command: string, args: string[], env: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: jobDir, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${command} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

const none: LaunchLayers = { cgroupProcsFiles: [], rlimits: undefined, seccompFile: undefined, bwrap: undefined, setpriv: undefined };
const rlimits = { openFiles: 1024, fileSizeMb: 256, cpuSeconds: 60, processes: 256 };
const setpriv = host.setpriv ? { binary: host.setpriv, uid: config.sandboxUid, gid: config.sandboxUid } : undefined;
const bwrap = (seccomp: boolean, network = false) =>
  host.bwrap
    ? {
        binary: host.bwrap,
        args: bwrapArgs({ readOnly: [path.dirname(path.dirname(python))], scratch: [jobDir], scratchMb: 64, cwd: jobDir, network, tmpMb: 64, switchesUser: setpriv !== undefined, seccompFd: seccomp ? seccompFd : undefined }),
      }
    : undefined;

type Row = { name: string; run: (command: string, args: string[]) => Promise<number> };
const withLayers = (layers: LaunchLayers, env: Record<string, string> = cleanEnv) => (command: string, args: string[]) => {
  const launched = launchCommand(layers, command, args);
  return spawnOnce(launched.command, launched.args, env);
};
const withCgroup = (layers: LaunchLayers) => async (command: string, args: string[]) => {
  if (!host.cgroups) return Number.NaN;
  const started = process.hrtime.bigint();
  const cgroup = await createJobCgroup(host.cgroups, 'bench', { memoryMb: 256, pids: 64, cpu: 1 });
  await withLayers({ ...layers, cgroupProcsFiles: cgroup.procsFiles })(command, args);
  await cgroup.killAll();
  await cgroup.remove();
  return Number(process.hrtime.bigint() - started) / 1e6;
};
// The network layer: a namespace taken from the pool made ahead (the pool starts the next one
// while the other rows run), entered by nsenter; and, for comparison, one made for the job alone.
const netPool = host.network ? createNetworkNamespacePool({ tools: host.network, spares: 1, idleMs: 600_000 }) : undefined;
const withNetns = (layers: LaunchLayers) => async (command: string, args: string[]) => {
  if (!netPool || !host.network) return Number.NaN;
  const started = process.hrtime.bigint();
  const namespace = await netPool.take({ tcp: [], udp: [] });
  await withCgroup({ ...layers, netns: { nsenter: host.network.nsenter, path: namespace.path } })(command, args);
  netPool.release(namespace);
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const withFreshNetns = (layers: LaunchLayers) => async (command: string, args: string[]) => {
  if (!host.network) return Number.NaN;
  const started = process.hrtime.bigint();
  const namespace = await startJobNetworkNamespace(host.network, { tcp: [], udp: [] }, readHostAddresses());
  await withCgroup({ ...layers, netns: { nsenter: host.network.nsenter, path: namespace.path } })(command, args);
  await namespace.close();
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const decorator = createSandboxDecorator({ host, config });
const limits = { memoryMb: 256, pids: 64, cpu: 1, timeoutSeconds: 60 };
const viaDecorator = (network: boolean) => async (command: string, args: string[]) => {
  const started = process.hrtime.bigint();
  const wrapped = await decorator.wrap({ command, args, env: cleanEnv, cwd: jobDir, context: { kind: 'action', pack: 'bench', packDir: jobDir, jobDir, executionId: 'bench', limits: { ...limits, network } } });
  await spawnOnce(wrapped.command, wrapped.args, wrapped.env);
  await wrapped.killAll();
  await wrapped.afterExit();
  return Number(process.hrtime.bigint() - started) / 1e6;
};

const rows: Row[] = [
  { name: 'bare (runtime env)', run: (c, a) => spawnOnce(c, a, fullEnv) },
  { name: '+ env allow-list', run: (c, a) => spawnOnce(c, a, cleanEnv) },
  { name: '+ sh prelude, rlimits', run: withLayers({ ...none, rlimits }) },
  { name: '+ setpriv (uid, nnp, caps)', run: withLayers({ ...none, rlimits, setpriv }) },
  { name: '+ cgroup (create, join, kill, rmdir)', run: withCgroup({ ...none, rlimits, setpriv }) },
  { name: '+ bubblewrap', run: withCgroup({ ...none, rlimits, setpriv, bwrap: bwrap(false) }) },
  { name: '+ seccomp', run: withCgroup({ ...none, rlimits, setpriv, bwrap: bwrap(true), seccompFile: host.seccompFile }) },
  { name: '+ network namespace made ahead (nsenter)', run: withNetns({ ...none, rlimits, setpriv, bwrap: bwrap(true, true), seccompFile: host.seccompFile }) },
  { name: '+ network namespace made for the job (pasta, filter)', run: withFreshNetns({ ...none, rlimits, setpriv, bwrap: bwrap(true, true), seccompFile: host.seccompFile }) },
  { name: 'all, no network (decorator)', run: viaDecorator(false) },
  { name: 'all, network (decorator)', run: viaDecorator(true) },
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const workloads: Array<{ name: string; command: string; args: string[] }> = [
  { name: '/bin/true', command: '/bin/true', args: [] },
  { name: 'python -c pass', command: python, args: ['-c', 'pass'] },
];
console.log(`layers: ${host.layers.map((l) => `${l.name}=${l.active ? 'on' : 'off'}`).join(' ')}; ${iterations} runs each, interleaved`);
for (const workload of workloads) {
  const samples = rows.map(() => [] as number[]);
  // Interleaved rounds: drift in machine load hits every row alike.
  for (let i = 0; i < iterations; i++) {
    for (const [index, row] of rows.entries()) samples[index]!.push(await row.run(workload.command, workload.args));
  }
  const base = median(samples[0]!);
  console.log(`\n${workload.name}`);
  console.log('| layers | median ms | x bare |');
  console.log('|---|---|---|');
  rows.forEach((row, index) => {
    const value = median(samples[index]!);
    console.log(`| ${row.name} | ${value.toFixed(1)} | ${(value / base).toFixed(2)} |`);
  });
}

// Warm spawning with and without network, through the runner (runAction, every layer): the
// zygote with network was started in a namespace of its own, which its children inherit by fork,
// so an execution's path is the same with or without it. Executions 20 ms apart (not counted), as
// bench/spawn's: the zygote forks the next child as one ends.
const inactive = host.layers.filter((layer) => !layer.active);
if (inactive.length > 0) {
  console.log(`\nwarm rows skipped: layers not active here: ${inactive.map((layer) => layer.name).join(', ')}`);
} else {
  const warmHome = benchHome();
  await installBenchPacks(warmHome, [{ ref: 'benchpy', heavy: false }]);
  // Job uids reach their pack through the bench's data folder.
  chmodSync(warmHome.root, 0o711);
  const warmDecorator = createSandboxDecorator({ host: await detectSandbox(warmHome.warm), config: warmHome.warm });
  const datastore = new LocalFileKeyValues(warmHome.paths);
  const execute = async (warm: boolean, action: string): Promise<number> => {
    if (warm) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = process.hrtime.bigint();
    const outcome = await runAction({ paths: warmHome.paths, config: warm ? warmHome.warm : warmHome.cold, ref: `benchpy.${action}`, input: { n: 1 }, datastore, decorator: warmDecorator });
    if (outcome.status !== 'succeeded') throw new Error(`benchpy.${action} ${outcome.status}: ${JSON.stringify(outcome.result)}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const warmRows: Array<{ name: string; run: () => Promise<number> }> = [
    { name: 'zygote, no network', run: () => execute(true, 'trivial_offline') },
    { name: 'zygote, network (the zygote\'s namespace)', run: () => execute(true, 'trivial') },
    { name: 'cold, no network', run: () => execute(false, 'trivial_offline') },
    { name: 'cold, network (a namespace made ahead)', run: () => execute(false, 'trivial') },
  ];
  // Unmeasured: each zygote's start, file caches.
  for (const row of warmRows) for (let i = 0; i < 2; i++) await row.run();
  const samples = warmRows.map(() => [] as number[]);
  for (let i = 0; i < iterations; i++) {
    for (const [index, row] of warmRows.entries()) samples[index]!.push(await row.run());
  }
  const base = median(samples[0]!);
  console.log('\ntrivial Python action through the runner, every layer');
  console.log('| started | median ms | x zygote without network |');
  console.log('|---|---|---|');
  warmRows.forEach((row, index) => {
    const value = median(samples[index]!);
    console.log(`| ${row.name} | ${value.toFixed(1)} | ${(value / base).toFixed(2)} |`);
  });
  await processZygotePool(warmHome.warm).close();
  await processPrespawnPool(warmHome.warm).close();
}
