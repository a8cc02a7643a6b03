import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createSandboxDecorator,
  dataPaths,
  detectSandbox,
  loadConfig,
  type ActionOutcome,
  type DataPaths,
  type PackrunConfig,
  type SandboxHost,
} from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { installPack } from '@packrun/pack-installer';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const hostilePackDir = path.join(import.meta.dirname, 'fixtures', 'hostile');

/**
 * A runtime with secrets to steal: canaries in its config (API key), its environment, its data
 * folder (a secrets file, another pack's site config) — and the hostile and examples packs
 * installed for real. Every outcome produced is kept so a test can check no canary ever leaked.
 */
export interface SandboxFixture {
  home: string;
  paths: DataPaths;
  config: PackrunConfig;
  host: SandboxHost;
  canary: string;
  canaryFiles: string[];
  outcomes: string[];
  /** Runs an action through the real runner; `overrides` change the configuration for this run only. */
  run(ref: string, input: Record<string, unknown>, overrides?: Partial<PackrunConfig>): Promise<ActionOutcome>;
}

/** `packs`: folders of the packs to install (the hostile and examples packs when absent). */
export async function sandboxFixture(env: Record<string, string>, packs: string[] = [hostilePackDir, path.join(repoRoot, 'packs', 'examples')]): Promise<SandboxFixture> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-sandbox-'));
  // The job uids must be able to reach their own pack and job folder through the data folder.
  chmodSync(home, 0o711);
  const canary = `canary${Math.random().toString(36).slice(2, 12)}`;
  // The runtime's own environment carries secrets too; the job's must not.
  process.env['PACKRUN_SANDBOX_TEST_SECRET'] = canary;
  process.env['PACKRUN_API_KEY'] = canary;
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  // test/warm-modes.config.ts runs these suites with warm spawning on and off.
  const warm = process.env['PACKRUN_WARM_SPAWN'];
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: python, PACKRUN_KILL_GRACE: '1', PACKRUN_API_KEY: canary, ...(warm ? { PACKRUN_WARM_SPAWN: warm } : {}), ...testUidRange(), ...env });
  const paths = dataPaths(home);
  await installPack(packs, { config });
  mkdirSync(path.join(home, 'secrets'), { recursive: true, mode: 0o700 });
  mkdirSync(paths.configs, { recursive: true, mode: 0o700 });
  const canaryFiles = [path.join(home, 'secrets', 'cli-api-key'), path.join(paths.configs, 'examples.yaml')];
  writeFileSync(canaryFiles[0]!, `${canary}\n`, { mode: 0o600 });
  writeFileSync(canaryFiles[1]!, `token: ${canary}\n`, { mode: 0o600 });
  const host = await detectSandbox(config);
  const decorator = createSandboxDecorator({ host, config });
  const datastore = new LocalFileKeyValues(paths);
  const outcomes: string[] = [];
  return {
    home,
    paths,
    config,
    host,
    canary,
    canaryFiles,
    outcomes,
    async run(ref, input, overrides = {}) {
      const outcome = await runAction({ paths, config: { ...config, ...overrides }, ref, input, datastore, decorator });
      outcomes.push(JSON.stringify(outcome));
      return outcome;
    },
  };
}

/**
 * A uid range of this test process's own, so that test files running in parallel never see each
 * other's job processes in their "nothing left behind" checks.
 */
export function testUidRange(): { PACKRUN_SANDBOX_UID: string; PACKRUN_SANDBOX_UID_COUNT: string } {
  return { PACKRUN_SANDBOX_UID: String(2_000_000 + (process.pid % 4096) * 1024), PACKRUN_SANDBOX_UID_COUNT: '1024' };
}

/**
 * A Node wrapper started ahead, or a zygote child forked ahead (a spare, in its own cgroup once it
 * joined it, in its zygote's while it is being set up), waiting for its next job.
 */
function isWaitingForJob(pid: string): boolean {
  try {
    return /-(prespawn|spare)-|\/zygote-/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Pids of live processes running as any uid of the sandbox range: after a job, there must be none
 * but wrappers and zygote children started ahead for the next job (`includeWaiting` counts those too).
 */
export function sandboxProcesses(config: PackrunConfig, includeWaiting = false): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    if (/^State:\s+Z/m.test(status)) continue;
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (uid < config.sandboxUid || uid >= config.sandboxUid + config.sandboxUidCount) continue;
    // A process started ahead, waiting for its next job, is no job's leftover.
    if (!includeWaiting && isWaitingForJob(entry)) continue;
    found.push(Number(entry));
  }
  return found;
}

/** PF_EXITING in /proc/<pid>/stat's flags: the process is inside exit(). */
const exitingFlag = 0x4;

/**
 * True when the process can never again run code of its own: gone, a zombie, already exiting, or
 * with SIGKILL pending (it dies on its way back to user space).
 */
export function killedOrGone(pid: number): boolean {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return true;
  }
  const fields = (stat.split(') ').pop() ?? '').split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return true;
  if ((Number(fields[6]) & exitingFlag) !== 0) return true;
  const sigkill = 1n << 8n;
  return ['SigPnd', 'ShdPnd'].some((name) => (BigInt(`0x${new RegExp(`^${name}:\\s+([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`) & sigkill) !== 0n);
}

/**
 * Job cgroups this test process created that still exist. A live zygote's own cgroup
 * (`zygote-...`), a waiting wrapper's (`...-prespawn-...`) and a zygote child's forked ahead
 * (`...-spare-...`) are no job's; pass `includeWarm` once the zygotes and wrappers were stopped.
 */
export function leftoverJobCgroups(host: SandboxHost, includeWarm = false): string[] {
  if (host.cgroups?.version !== 1) return [];
  const bases = [host.cgroups.memory, host.cgroups.pids, host.cgroups.cpu, ...(host.cgroups.freezer ? [host.cgroups.freezer] : [])];
  return bases.flatMap((base) => {
    try {
      return readdirSync(base)
        .filter((name) => name.includes(`-${process.pid}-`) && (includeWarm || !(name.startsWith('zygote-') || /-(prespawn|spare)-/.test(name))))
        .map((name) => path.join(base, name));
    } catch {
      return [];
    }
  });
}

/** A listing of every file under a folder with its size, to prove a tree unchanged. */
export function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      // The runtime's own bookkeeping comes and goes on its own schedule: version leases (one
      // outlives its last job for a moment) and sockets (a zygote child forked ahead connects
      // through one).
      if (entry.name === '.leases' || entry.isSocket()) continue;
      if (entry.isDirectory()) walk(full);
      else {
        const content = entry.isFile() ? readFileSync(full).length : 0;
        lines.push(`${path.relative(dir, full)}:${content}`);
      }
    }
  };
  walk(dir);
  return lines.sort().join('\n');
}
