import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, loadConfig, type DataPaths, type PackrunConfig } from '@packrun/core';
import { processPrespawnPool, processZygotePool, runAction, ZygotePool } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { installPack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { alive, realPython } from './fixtures.ts';

/**
 * What warm spawning adds over a cold start: the child comes from the pack's zygote (which
 * preloaded pack.yaml `preload_imports`), is fresh every time, and is set up like a cold job (its
 * own session, job folder, environment). Zygotes are replaced when they die or the pack is
 * reinstalled, and stop when idle. The runner's own suites run both ways (test/warm-modes.config.ts).
 */
const infoAction = `import logging, os, sys
from st2common.runners.base_action import Action

class Info(Action):
    def run(self, tag):
        if tag == 'leave':
            with open(os.path.join(os.environ['HOME'], 'left.txt'), 'w') as f:
                f.write('left behind')
        return {'pid': os.getpid(), 'ppid': os.getppid(), 'pgid': os.getpgid(0), 'sid': os.getsid(0),
                'cwd': os.getcwd(), 'home': os.environ.get('HOME'), 'tag': tag,
                'execution': os.environ.get('PACKRUN_EXECUTION_ID'),
                'env': sorted(os.environ), 'preloaded': 'colorsys' in sys.modules,
                'started': _start_time(), 'path': sys.path,
                'rehearsal_left': sorted(name for name in list(sys.modules) + list(logging.Logger.manager.loggerDict)
                                         if name == 'rehearsal_action' or 'PackrunRehearsal' in name)}


def _start_time():
    # Seconds after boot at which this process started (field 22 of /proc/self/stat, in clock ticks).
    with open('/proc/self/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[19]) / os.sysconf('SC_CLK_TCK')
`;

const whoamiAction = `export default async function whoami() {
  return { pid: process.pid, cwd: process.cwd(), home: process.env.HOME, execution: process.env.PACKRUN_EXECUTION_ID, env: Object.keys(process.env).sort() };
}
`;

function writePack(root: string, preload: string[]): string {
  const dir = path.join(root, 'warmpack');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), `ref: warmpack\nname: warmpack\ndescription: warm spawn test pack\nversion: 0.1.0\nauthor: Packrun\nemail: packrun@example.invalid\npreload_imports: ${JSON.stringify(preload)}\n`);
  writeFileSync(path.join(dir, 'actions', 'info.py'), infoAction);
  writeFileSync(path.join(dir, 'actions', 'info.yaml'), 'name: info\nrunner_type: python-script\nentry_point: info.py\nparameters:\n  tag:\n    type: string\n    default: x\n');
  writeFileSync(path.join(dir, 'actions', 'whoami.mjs'), whoamiAction);
  writeFileSync(path.join(dir, 'actions', 'whoami.yaml'), 'name: whoami\nrunner_type: node-script\nentry_point: whoami.mjs\n');
  return dir;
}

interface Info {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  cwd: string;
  home: string;
  tag: string;
  execution: string;
  env: string[];
  preloaded: boolean;
  /** When its process started, in seconds after boot. */
  started: number;
  path: string[];
  /** Modules and loggers named after the rehearsal a child forked ahead runs: there must be none. */
  rehearsal_left: string[];
}

let root: string;
let paths: DataPaths;
let warm: PackrunConfig;
let cold: PackrunConfig;
let packDir: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'packrun-warm-'));
  const env = { PACKRUN_HOME: path.join(root, 'home'), PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1' };
  warm = loadConfig({ ...env, PACKRUN_WARM_SPAWN: 'on' });
  cold = loadConfig({ ...env, PACKRUN_WARM_SPAWN: 'off' });
  paths = dataPaths(warm.home);
  packDir = writePack(root, ['colorsys', 'no_such_module_here']);
  await installPack([packDir], { config: warm });
});

afterAll(async () => {
  await processZygotePool(warm).close();
  processPrespawnPool(warm).close();
});

/** The zygote's live children: between executions, only the one forked ahead. */
function zygoteChildren(zygotePid: number): number[] {
  return readFileSync(`/proc/${zygotePid}/task/${zygotePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function info(config: PackrunConfig, tag = 'x'): Promise<Info> {
  const outcome = await runAction({ paths, config, ref: 'warmpack.info', input: { tag }, datastore: new LocalFileKeyValues(paths) });
  expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
  return outcome.result['result'] as Info;
}

describe('warm spawning', () => {
  it('forks each execution from the pack zygote, never reusing a child, set up like a cold job', async () => {
    const first = await info(warm, 'a');
    const second = await info(warm, 'b');
    const zygotes = processZygotePool(warm).pids();
    expect(zygotes).toContain(first.ppid);
    expect(second.ppid).toBe(first.ppid);
    expect(second.pid).not.toBe(first.pid);
    expect(second.tag).toBe('b');
    for (const child of [first, second]) {
      expect(child.preloaded).toBe(true);
      // Its own session and process group, so a timeout stops its whole tree and nothing else.
      expect(child.pgid).toBe(child.pid);
      expect(child.sid).toBe(child.pid);
      // A job folder of its own under jobs/, gone once the execution ended.
      expect(path.dirname(child.cwd)).toBe(paths.jobs);
      expect(existsSync(child.cwd)).toBe(false);
      expect(child.home).toBe(child.cwd);
    }
    // What an action leaves in its job folder goes with the folder, just after the outcome.
    const leaving = await info(warm, 'leave');
    await retryUntil(() => !existsSync(leaving.cwd), { what: 'the job folder the action left files in removed' });
    // The same allow-listed environment a cold start gets.
    const coldInfo = await info(cold);
    expect(coldInfo.preloaded).toBe(false);
    expect(first.env).toEqual(coldInfo.env);
  });

  it('runs the next execution in a child forked ahead of it, and forks anew when that child died waiting', async () => {
    const first = await info(warm, 'a');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const requestedAt = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const second = await info(warm, 'b');
    expect(second.ppid).toBe(first.ppid);
    // Forked after the first ran, well before the second was requested.
    expect(second.started).toBeLessThan(requestedAt - 0.2);
    expect(second.tag).toBe('b');
    expect(path.dirname(second.cwd)).toBe(paths.jobs);
    expect(second.cwd).not.toBe(first.cwd);
    expect(existsSync(second.cwd)).toBe(false);
    // Its rehearsal while it waited left nothing behind: the cold path, environment and modules.
    const coldInfo = await info(cold);
    expect(second.rehearsal_left).toEqual([]);
    expect(second.path).toEqual(coldInfo.path);
    expect(second.env).toEqual(coldInfo.env);

    // The second's own child may still be exiting; then only the next one's is left.
    await retryUntil(() => zygoteChildren(second.ppid).length === 1, { what: 'one child forked ahead' });
    const spare = zygoteChildren(second.ppid);
    process.kill(spare[0]!, 'SIGKILL');
    await retryUntil(() => !alive(spare[0]!));
    const third = await info(warm, 'c');
    expect(third.ppid).toBe(first.ppid);
    expect([first.pid, second.pid, spare[0]]).not.toContain(third.pid);
  });

  it('replaces a zygote that died, and its child forked ahead dies with it', async () => {
    const before = await info(warm);
    await retryUntil(() => zygoteChildren(before.ppid).length === 1, { what: 'one child forked ahead' });
    const [spare] = zygoteChildren(before.ppid);
    process.kill(before.ppid, 'SIGKILL');
    await retryUntil(() => !alive(before.ppid) && !alive(spare!), { what: 'the zygote and its spare gone' });
    // Until the runtime has seen the exit, an execution may still pick the dead zygote, fail to
    // fork and start cold: wait for that, as a later execution would.
    await retryUntil(() => !processZygotePool(warm).pids().includes(before.ppid), { what: 'the pool saw the zygote exit' });
    const after = await info(warm);
    expect(after.ppid).not.toBe(before.ppid);
    expect(processZygotePool(warm).pids()).toEqual([after.ppid]);
  });

  it('retires the zygote of a reinstalled pack', async () => {
    const before = await info(warm);
    await installPack([packDir], { config: warm });
    const after = await info(warm);
    expect(after.ppid).not.toBe(before.ppid);
    await retryUntil(() => !alive(before.ppid));
  });
});

describe('a process using warm spawning', () => {
  it('ends on its own once it closed its zygote pool, spares included', async () => {
    const script = path.join(root, 'close-pool.mts');
    const source = (file: string) => JSON.stringify(path.join(import.meta.dirname, '../../packages', file));
    writeFileSync(
      script,
      [
        `import { dataPaths, loadConfig } from ${source('core/src/index.ts')};`,
        `import { processZygotePool, runAction } from ${source('action-runner/src/index.ts')};`,
        `import { LocalFileKeyValues } from ${JSON.stringify(path.join(import.meta.dirname, '../helpers/file-key-values.ts'))};`,
        `const config = loadConfig({ PACKRUN_HOME: ${JSON.stringify(warm.home)}, PACKRUN_PYTHON: ${JSON.stringify(warm.python)}, PACKRUN_WARM_SPAWN: 'on' });`,
        'const paths = dataPaths(config.home);',
        "const outcome = await runAction({ paths, config, ref: 'warmpack.info', input: {}, datastore: new LocalFileKeyValues(paths) });",
        // Time for the spare to be forked and waiting, its streams connected.
        'await new Promise((resolve) => setTimeout(resolve, 500));',
        'await processZygotePool(config).close();',
        'console.log(outcome.status);',
      ].join('\n'),
    );
    // Exit code 13 would mean the event loop emptied while closing still waited.
    const ran = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: path.join(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe('succeeded');
  });
});

describe('pre-spawned Node wrappers', () => {
  interface WhoAmI {
    pid: number;
    cwd: string;
    home: string;
    execution: string;
    env: string[];
  }
  async function whoami(config: PackrunConfig): Promise<WhoAmI> {
    const outcome = await runAction({ paths, config, ref: 'warmpack.whoami', input: {}, datastore: new LocalFileKeyValues(paths) });
    expect(outcome.status, JSON.stringify(outcome)).toBe('succeeded');
    return outcome.result['result'] as WhoAmI;
  }

  it('hands the next Node execution to a wrapper started ahead, with its own job folder and environment', async () => {
    await whoami(warm);
    await retryUntil(() => processPrespawnPool(warm).pids().length === 1);
    const waiting = processPrespawnPool(warm).pids()[0];
    const taken = await whoami(warm);
    expect(taken.pid).toBe(waiting);
    expect(taken.cwd).toBe(path.join(paths.jobs, taken.execution));
    expect(taken.home).toBe(taken.cwd);
    expect(taken.env).toEqual((await whoami(cold)).env);
    // Single use: the next execution gets another process.
    await retryUntil(() => processPrespawnPool(warm).pids().length === 1);
    expect((await whoami(warm)).pid).not.toBe(taken.pid);
  });
});

describe('zygote pool', () => {
  it('stops a zygote once it has been idle for the configured time', async () => {
    const pool = new ZygotePool({ idleMs: 200 });
    const lease = await pool.acquire({ pack: 'warmpack', packDir, python: realPython(), preload: [], env: { PATH: '/usr/bin:/bin' }, jobsDir: paths.jobs, identity: 'one' });
    const pid = lease.zygote.pid!;
    expect(alive(pid)).toBe(true);
    lease.release();
    await retryUntil(() => pool.size === 0 && !alive(pid));
  });
});
