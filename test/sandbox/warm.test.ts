import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxDecorator } from '@packrun/core';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { installPack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { leftoverJobCgroups, sandboxFixture, sandboxProcesses, type SandboxFixture } from './sandbox-fixture.ts';

/**
 * Zygotes under the sandbox (docs/fast-spawn.md): an execution forked from its pack's zygote must
 * end up exactly where a cold sandboxed job does (its own uid, no capabilities, no_new_privs,
 * seccomp, its own cgroup and capped job folder) and leave nothing for the next execution. The
 * containment cases themselves run warm too: contain.test.ts under test/warm-modes.config.ts.
 */
const probeAction = `import os
from st2common.runners.base_action import Action


def status():
    fields = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            fields[key] = value.strip()
    return fields


class Probe(Action):
    def run(self, leave, sleep):
        import time
        st = status()
        with open('/proc/%d/cmdline' % os.getppid(), 'rb') as f:
            parent = f.read().replace(b'\\0', b' ').decode()
        cwd = os.getcwd()
        cwd_stat = os.stat(cwd)
        with open('/proc/self/mounts') as f:
            mounts = [line.split()[1:3] for line in f]
        with open('/proc/net/dev') as f:
            interfaces = sorted(line.split(':')[0].strip() for line in f.readlines()[2:])
        with open('/proc/self/cgroup') as f:
            cgroup = f.read()
        seen = {'cwd_was_empty': os.listdir(cwd) == [], 'tmp': sorted(os.listdir('/tmp'))}
        if leave:
            with open(os.path.join(cwd, 'left-in-job-folder'), 'w') as f:
                f.write('x')
            with open('/tmp/left-by-%d' % os.getuid(), 'w') as f:
                f.write('x')
        time.sleep(sleep)
        result = {'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(),
                  'caps': [st[k] for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')],
                  'no_new_privs': st['NoNewPrivs'], 'seccomp': st['Seccomp'], 'ppid': os.getppid(),
                  'parent': parent, 'cwd': cwd, 'home': os.environ.get('HOME'),
                  'tmpdir': os.environ.get('TMPDIR'), 'cwd_mode': cwd_stat.st_mode & 0o7777,
                  'cwd_owner': cwd_stat.st_uid,
                  'cwd_fs': next((m[1] for m in mounts if m[0] == cwd), None),
                  'interfaces': interfaces, 'cgroup': cgroup}
        result.update(seen)
        return result
`;

const nodeProbeAction = `import { readFileSync, statSync } from 'node:fs';

export default async function probe() {
  const status = Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
  const cwd = process.cwd();
  const stat = statSync(cwd);
  const mount = readFileSync('/proc/self/mounts', 'utf8').split('\\n').map((line) => line.split(' ')).find((fields) => fields[1] === cwd);
  return {
    uid: process.getuid(), caps: ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((name) => status[name]),
    noNewPrivs: status.NoNewPrivs, seccomp: status.Seccomp, cwd, home: process.env.HOME, user: process.env.USER,
    cwdMode: stat.mode & 0o7777, cwdOwner: stat.uid, cwdFs: mount ? mount[2] : null, uptimeMs: process.uptime() * 1000,
    env: Object.entries(process.env).map(([name, value]) => name + '=' + value),
  };
}
`;

/** What a shell action sees of itself, as `name=value` lines; `age_ms`: how long its process has existed. */
const shellProbeAction = `#!/bin/sh
start=$(cut -d' ' -f22 /proc/$$/stat)
up=$(cut -d' ' -f1 /proc/uptime)
echo "uid=$(id -u)"
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/$$/status | tr -d '\\t' | sed 's/:/=/'
echo "cwd=$(pwd)"
echo "home=$HOME"
echo "fs=$(stat -f -c %T .)"
echo "mode=$(stat -c %a .)"
echo "age_ms=$(awk -v s="$start" -v u="$up" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%d", (u - s / t) * 1000 }')"
`;

function writeProbePack(root: string): string {
  const dir = path.join(root, 'warmprobe');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), 'ref: warmprobe\nname: warmprobe\ndescription: sandboxed zygote probe\nversion: 0.1.0\nauthor: Packrun tests\nemail: tests@example.invalid\n');
  writeFileSync(path.join(dir, 'actions', 'probe.py'), probeAction);
  const parameters = 'parameters:\n  leave:\n    type: boolean\n    default: false\n  sleep:\n    type: number\n    default: 0\n';
  writeFileSync(path.join(dir, 'actions', 'probe.yaml'), `name: probe\nrunner_type: python-script\nentry_point: probe.py\n${parameters}`);
  writeFileSync(path.join(dir, 'actions', 'probe_offline.yaml'), `name: probe_offline\nrunner_type: python-script\nentry_point: probe.py\nsandbox:\n  network: false\n${parameters}`);
  writeFileSync(path.join(dir, 'actions', 'nprobe.mjs'), nodeProbeAction);
  writeFileSync(path.join(dir, 'actions', 'nprobe.yaml'), 'name: nprobe\nrunner_type: node-script\nentry_point: nprobe.mjs\n');
  writeFileSync(path.join(dir, 'actions', 'shprobe.sh'), shellProbeAction);
  writeFileSync(path.join(dir, 'actions', 'shprobe.yaml'), 'name: shprobe\nrunner_type: local-shell-script\nentry_point: shprobe.sh\n');
  return dir;
}

interface Probe {
  uid: number;
  gid: number;
  groups: number[];
  caps: string[];
  no_new_privs: string;
  seccomp: string;
  ppid: number;
  parent: string;
  cwd: string;
  home: string;
  tmpdir: string;
  cwd_mode: number;
  cwd_owner: number;
  cwd_fs: string | null;
  interfaces: string[];
  cgroup: string;
  cwd_was_empty: boolean;
  tmp: string[];
}

let fixture: SandboxFixture;
let allLayers = false;
const notAllLayers = 'not every sandbox layer is active on this host (see packrun doctor)';

beforeAll(async () => {
  // Few job folders per zygote, so that executions at the same time run out of them.
  fixture = await sandboxFixture({ PACKRUN_WARM_SPAWN: 'on', PACKRUN_RUNNER_CONCURRENCY: '2' });
  allLayers = fixture.host.layers.every((layer) => layer.active);
  if (!allLayers) console.warn(`sandboxed zygote tests skipped: ${notAllLayers}`);
  else await installPack([writeProbePack(mkdtempSync(path.join(os.tmpdir(), 'packrun-warmprobe-')))], { config: fixture.config });
}, 600_000);

afterAll(async () => {
  if (!fixture) return;
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
  if (allLayers) expect(leftoverJobCgroups(fixture.host, true)).toEqual([]);
});

/** Nothing of a finished job left: its killed processes finish exiting, and its cgroup goes, just after its outcome. */
async function noJobLeftovers(): Promise<void> {
  await retryUntil(() => sandboxProcesses(fixture.config).length === 0, { withinMs: 5000, what: 'no job process left' });
  await retryUntil(() => leftoverJobCgroups(fixture.host).length === 0, { withinMs: 5000, what: 'no job cgroup left' });
}

async function probe(action: string, input: Record<string, unknown> = {}): Promise<Probe> {
  const outcome = await fixture.run(`warmprobe.${action}`, input);
  expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
  return outcome.result['result'] as Probe;
}

/**
 * Waits until a process started ahead for the next job (`node` for a Node wrapper, `sh` for a
 * shell shim) is up and waiting, then a little longer than the age the tests call "started
 * ahead" (300 ms beyond the execution's own time).
 */
async function startedAheadFor(program: 'node' | 'sh'): Promise<void> {
  const isProgram = (pid: number): boolean => {
    try {
      return path.basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '') === program;
    } catch {
      return false;
    }
  };
  await retryUntil(() => {
    const running = new Set(sandboxProcesses(fixture.config));
    return sandboxProcesses(fixture.config, true).some((pid) => !running.has(pid) && isProgram(pid));
  }, { withinMs: 30_000, what: `a ${program} started ahead, waiting for the next job` });
  await new Promise((resolve) => setTimeout(resolve, 400));
}

describe.runIf(process.getuid?.() === 0)('sandboxed zygotes (skipped unless root: per-job uids, cgroups and bubblewrap need it)', () => {
  it('fork each execution from the pack zygote, as the job uid with nothing more than a cold job has', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const runs: Probe[] = [];
    for (let index = 0; index < 6; index++) runs.push(await probe('probe', { leave: true }));
    const { sandboxUid, sandboxUidCount } = fixture.config;
    for (const run of runs) {
      expect(run.parent).toContain('packrun_zygote.py');
      expect(run.ppid).toBe(runs[0]!.ppid);
      expect(run.uid).toBeGreaterThanOrEqual(sandboxUid);
      expect(run.uid).toBeLessThan(sandboxUid + sandboxUidCount);
      expect(run.gid).toBe(run.uid);
      expect(run.groups).toEqual([]);
      expect(run.caps).toEqual(Array(5).fill('0000000000000000'));
      expect(run.no_new_privs).toBe('1');
      expect(run.seccomp).toBe('2');
      // Its own capped tmpfs job folder, only its uid's, as HOME, TMPDIR and working folder.
      expect(run.cwd_fs).toBe('tmpfs');
      expect(run.cwd_mode).toBe(0o700);
      expect(run.cwd_owner).toBe(run.uid);
      expect(run.home).toBe(run.cwd);
      expect(run.tmpdir).toBe(run.cwd);
      // Its own cgroup, not the zygote's.
      expect(run.cgroup).toMatch(/pids:.*action-warmprobe-/);
      // Whatever an earlier execution left in the same job folder or in /tmp is gone.
      expect(run.cwd_was_empty).toBe(true);
      expect(run.tmp).not.toContain(`left-by-${run.uid}`);
    }
    // Five job folders for a runner concurrency of two (launch-action.ts, zygoteSlots), six
    // executions: folders were handed out again, emptied.
    expect(new Set(runs.map((run) => run.cwd)).size).toBeLessThanOrEqual(5);
    // The zygote's /tmp is swept of every finished execution's files.
    const zygotePid = processZygotePool(fixture.config).hostPids()[0];
    expect(zygotePid).toBeDefined();
    await retryUntil(() => readdirSync(`/proc/${zygotePid}/root/tmp`).filter((name) => name.startsWith('left-by-')).length === 0, {
      withinMs: 5000,
      what: 'the zygote /tmp swept',
    });
    await noJobLeftovers();
  });

  it('runs the zygote as its own uid, never root: code running in it cannot become root or read root-only files', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const { config, host, paths } = fixture;
    const packDir = realpathSync(path.join(paths.packs, 'warmprobe'));
    const rootOnly = path.join(packDir, 'root-only.txt');
    writeFileSync(rootOnly, fixture.canary, { mode: 0o600 });
    const warm = createSandboxDecorator({ host, config }).warm!;
    // What a hostile module imported by the zygote (a .pth file in its env, a preload) could try.
    const script = [
      'import json, os',
      'out = {"uid": os.getuid()}',
      'def attempt(name, fn):',
      '    try:',
      '        fn(); out[name] = "ok"',
      '    except OSError as e:',
      '        out[name] = e.errno',
      `attempt("read_root_only", lambda: open(${JSON.stringify(rootOnly)}).read())`,
      'attempt("become_root", lambda: os.setresuid(0, 0, 0))',
      'attempt("become_other", lambda: os.setresuid(1000, 1000, 1000))',
      'attempt("gid_root", lambda: os.setresgid(0, 0, 0))',
      'attempt("groups", lambda: os.setgroups([0]))',
      `attempt("become_job", lambda: os.setresuid(${config.sandboxUid}, ${config.sandboxUid}, ${config.sandboxUid}))`,
      'print(json.dumps(out))',
    ].join('\n');
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const streamFolder = mkdtempSync(path.join(os.tmpdir(), 'packrun-zygote-streams-'));
    const zygote = await warm.launchZygote({ command: python, args: ['-I', '-c', script], env: { PATH: '/usr/bin:/bin' }, context: { pack: 'warmprobe', packDir }, slots: 1, streamFolder });
    try {
      const outcome = spawnSync(zygote.command, zygote.args, { env: zygote.env, encoding: 'utf8', timeout: 30_000 });
      const seen = JSON.parse(outcome.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      expect(seen, outcome.stderr).toEqual({
        uid: config.sandboxZygoteUid,
        read_root_only: 13, // EACCES
        become_root: 1, // EPERM, from the zygote's seccomp program
        become_other: 1,
        gid_root: 1,
        groups: 1,
        become_job: 'ok',
      });
    } finally {
      await zygote.afterExit();
    }
  });

  it('gives a network: false action a zygote of its own without the network, reached through a path socket', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const online = await probe('probe');
    const offline = await probe('probe_offline');
    expect(offline.parent).toContain('packrun_zygote.py');
    expect(offline.interfaces).toEqual(['lo']);
    expect(online.interfaces.length).toBeGreaterThan(1);
    expect(offline.caps).toEqual(Array(5).fill('0000000000000000'));
  });

  it('runs a Node action in a wrapper started ahead inside the sandbox, with the cold job identity and its own job folder', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const runs: Array<Record<string, unknown> & { durationMs: number }> = [];
    for (let index = 0; index < 3; index++) {
      // As between executions that do not arrive back to back: the next wrapper is up and waiting
      // (under load it takes longer than any fixed pause to start).
      if (index > 0) await startedAheadFor('node');
      const outcome = await fixture.run('warmprobe.nprobe', {});
      expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
      runs.push({ ...(outcome.result['result'] as Record<string, unknown>), durationMs: outcome.durationMs ?? 0 });
    }
    const { sandboxUid, sandboxUidCount } = fixture.config;
    for (const [index, run] of runs.entries()) {
      // The first execution of its kind starts cold; the next ones find a wrapper already running.
      if (index === 0) expect(run['uptimeMs']).toBeLessThan(run.durationMs + 50);
      else expect(run['uptimeMs']).toBeGreaterThan(run.durationMs + 300);
      expect(run['uid']).toBeGreaterThanOrEqual(sandboxUid);
      expect(run['uid']).toBeLessThan(sandboxUid + sandboxUidCount);
      expect(run['caps']).toEqual(Array(5).fill('0000000000000000'));
      expect(run['noNewPrivs']).toBe('1');
      expect(run['seccomp']).toBe('2');
      expect(run['cwdFs']).toBe('tmpfs');
      // As a cold job's: a tmpfs in a mount namespace only this job has, so sticky and world-writable.
      expect(run['cwdMode']).toBe(0o1777);
      expect(run['home']).toBe(run['cwd']);
      expect(run['user']).toBe('packrun');
      expect(JSON.stringify(run['env'])).not.toContain(fixture.canary);
    }
    expect(new Set(runs.map((run) => run['cwd'])).size).toBe(3);
    // Only the wrapper waiting for the next execution is left, in a cgroup of its own.
    await noJobLeftovers();
    // Closed, the pools leave nothing: no waiting wrapper, no zygote child forked ahead.
    await processPrespawnPool(fixture.config).close();
    await processZygotePool(fixture.config).close();
    expect(sandboxProcesses(fixture.config, true)).toEqual([]);
    expect(leftoverJobCgroups(fixture.host, true)).toEqual([]);
  });

  it('runs a shell action in a /bin/sh started ahead inside the sandbox, which becomes it with the cold job identity', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const runs: Array<{ seen: Record<string, string>; durationMs: number }> = [];
    for (let index = 0; index < 3; index++) {
      // As between executions that do not arrive back to back: the next shim is up and waiting.
      if (index > 0) await startedAheadFor('sh');
      const outcome = await fixture.run('warmprobe.shprobe', {});
      expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
      const lines = String(outcome.result['stdout']).trim().split('\n');
      const seen = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      runs.push({ seen, durationMs: outcome.durationMs ?? 0 });
    }
    const { sandboxUid, sandboxUidCount } = fixture.config;
    for (const [index, { seen: run, durationMs }] of runs.entries()) {
      // The first execution of its kind starts cold; the next ones find a shim already waiting.
      if (index === 0) expect(Number(run['age_ms'])).toBeLessThan(durationMs + 50);
      else expect(Number(run['age_ms'])).toBeGreaterThan(durationMs + 300);
      expect(Number(run['uid'])).toBeGreaterThanOrEqual(sandboxUid);
      expect(Number(run['uid'])).toBeLessThan(sandboxUid + sandboxUidCount);
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(run[set]).toBe('0000000000000000');
      expect(run['NoNewPrivs']).toBe('1');
      expect(run['Seccomp']).toBe('2');
      expect(run['fs']).toBe('tmpfs');
      expect(run['mode']).toBe('1777');
      expect(run['home']).toBe(run['cwd']);
    }
    expect(new Set(runs.map((run) => run.seen['cwd'])).size).toBe(3);
    await processPrespawnPool(fixture.config).close();
    await noJobLeftovers();
  });

  it('starts an execution cold when every job folder of the zygote is in use', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    // Five job folders for a runner concurrency of two (launch-action.ts, zygoteSlots): a sixth
    // execution at once finds none.
    const runs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => probe('probe', { sleep: 1 })));
    const warmRuns = runs.filter((run) => run.parent.includes('packrun_zygote.py'));
    expect(warmRuns.length).toBeGreaterThanOrEqual(1);
    expect(warmRuns.length).toBeLessThanOrEqual(5);
    const cold = runs.find((run) => !run.parent.includes('packrun_zygote.py'))!;
    expect(cold.cwd_fs).toBe('tmpfs');
    expect(cold.caps).toEqual(Array(5).fill('0000000000000000'));
  });
});
