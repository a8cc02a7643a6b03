import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './protocol/framing.ts';
import { pythonRuntime } from './python-runtime.ts';

// python3 is a pyenv shim here; the wrappers are meant to be run by a real interpreter.
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** Calls `onFrame` with each frame a wrapper writes on its control channel, in order. */
function onFrames(channel: Duplex, onFrame: (message: Record<string, unknown>) => void): void {
  const decoder = new FrameDecoder();
  channel.on('data', (chunk: Buffer) => {
    for (const message of decoder.push(chunk)) onFrame(message as Record<string, unknown>);
  });
}

describe('python runtime', () => {
  it('points at files that exist', () => {
    expect(existsSync(pythonRuntime.actionWrapper)).toBe(true);
    expect(existsSync(pythonRuntime.sensorWrapper)).toBe(true);
    expect(existsSync(path.join(pythonRuntime.libDir, 'st2common', 'runners', 'base_action.py'))).toBe(true);
  });

  it('passes its Python unittest suite (real subprocesses over a real socketpair)', () => {
    const tests = path.join(path.dirname(pythonRuntime.actionWrapper), 'tests');
    const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', tests, '-t', tests, '-p', 'test_*.py'], {
      cwd: tests,
      encoding: 'utf8',
      timeout: 110_000,
    });
    // unittest reports on stderr; show it when the suite fails.
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Ran \d+ tests/);
    expect(run.stderr).toMatch(/\nOK/);
  });

  // A pack may pick another interpreter (python_versions): the wrappers must run there too. Here
  // that is Debian's PyPy 3.9 (scripts/setup.sh installs it as root); its suite runs without the
  // libraries built per interpreter when no pack on PyPy was installed yet (those tests skip).
  const pypy = '/usr/bin/pypy3';
  it.skipIf(!existsSync(pypy))('passes its Python unittest suite on PyPy 3.9 too', () => {
    const tests = path.join(path.dirname(pythonRuntime.actionWrapper), 'tests');
    const run = spawnSync(pypy, ['-m', 'unittest', 'discover', '-s', tests, '-t', tests, '-p', 'test_*.py'], { cwd: tests, encoding: 'utf8', timeout: 110_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Ran \d+ tests/);
  }, 120_000);

  it('runs an action by hand and prints the result as the last stdout line', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packrun-pyrt-'));
    const actions = path.join(root, 'hello', 'actions');
    mkdirSync(actions, { recursive: true });
    writeFileSync(
      path.join(actions, 'greet.py'),
      [
        'from st2common.runners.base_action import Action',
        'class Greet(Action):',
        '    def run(self, name):',
        "        print('user output')",
        "        self.action_service.set_value('last', name)",
        "        return (name != 'bad', {'greeting': 'hello ' + name})",
        '',
      ].join('\n'),
    );
    const store = path.join(root, 'kv.json');
    const ok = spawnSync(
      python,
      ['-I', pythonRuntime.actionWrapper, '--entry-point', path.join(actions, 'greet.py'), '--parameters', '{"name":"ada"}', '--datastore', store],
      { encoding: 'utf8' },
    );
    expect(ok.status, ok.stderr).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toBe('user output');
    expect(JSON.parse(lines.at(-1)!)).toEqual({ status: 'succeeded', result: { greeting: 'hello ada' }, success: true });
    expect(JSON.parse(readFileSync(store, 'utf8')).system).toEqual({ 'hello.Greet:last': 'ada' });

    const failed = spawnSync(
      python,
      ['-I', pythonRuntime.actionWrapper, '--entry-point', path.join(actions, 'greet.py'), '--parameters', '{"name":"bad"}'],
      { encoding: 'utf8' },
    );
    expect(failed.status).toBe(1);
    expect(JSON.parse(failed.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'failed', success: false });
  });

  it('runs a job sent by Node over stdio[3] and answers on the same socket', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packrun-pyrt-'));
    const actions = path.join(root, 'hello', 'actions');
    mkdirSync(actions, { recursive: true });
    const entry = path.join(actions, 'count.py');
    writeFileSync(
      entry,
      [
        'from st2common.runners.base_action import Action',
        'class Count(Action):',
        '    def run(self, n):',
        "        print('{\"type\": \"result\", \"result\": \"forged\"}')",
        "        previous = self.action_service.get_value('n')",
        '        return {"n": n, "previous": previous}',
        '',
      ].join('\n'),
    );
    const child = spawn(python, ['-I', pythonRuntime.actionWrapper], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Duplex;
    const received: Array<Record<string, unknown>> = [];
    onFrames(channel, (message) => {
      received.push(message);
      if (message.type === 'datastore') {
        channel.write(encodeFrame({ type: 'datastore_reply', id: message.id, ok: true, value: 'from-parent' }));
      }
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    channel.write(
      encodeFrame({
        type: 'job',
        job: {
          kind: 'action', execution_id: 'e1', pack: 'hello', action: 'hello.count', entry_point: entry,
          pack_dir: path.join(root, 'hello'), parameters: { n: 2 }, config: {}, log_level: 'info',
        },
      }),
    );
    expect(await exited).toBe(0);
    expect(stdout).toContain('forged');
    expect(received).toEqual([
      { type: 'datastore', id: 1, op: 'get', args: { name: 'hello.Count:n', scope: 'system', decrypt: false } },
      { type: 'result', result: { n: 2, previous: 'from-parent' }, success: null },
    ]);
  });

  it('runs a sensor for Node: initial triggers, a trigger change, dispatches, then stop', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packrun-pyrt-'));
    const sensors = path.join(root, 'hello', 'sensors');
    mkdirSync(sensors, { recursive: true });
    const entry = path.join(sensors, 'echo_sensor.py');
    writeFileSync(
      entry,
      [
        'import queue, sys',
        'from st2reactor.sensor.base import Sensor',
        'class EchoSensor(Sensor):',
        '    def setup(self):',
        '        self.refs = queue.Queue()',
        '    def run(self):',
        '        while True:',
        "            self.sensor_service.dispatch('echo', {'ref': self.refs.get()}, trace_tag='t')",
        '    def cleanup(self):',
        "        sys.stderr.write('cleaned up\\n')",
        "    def add_trigger(self, trigger): self.refs.put(trigger['ref'])",
        "    def update_trigger(self, trigger): self.refs.put('updated ' + trigger['ref'])",
        '    def remove_trigger(self, trigger): pass',
        '',
      ].join('\n'),
    );
    const child = spawn(python, ['-I', pythonRuntime.sensorWrapper], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Duplex;
    const dispatched: Array<Record<string, unknown>> = [];
    onFrames(channel, (message) => {
      dispatched.push(message);
      if (dispatched.length === 1) channel.write(encodeFrame({ type: 'trigger_updated', trigger: { ref: 'hello.b' } }));
      if (dispatched.length === 2) channel.write(encodeFrame({ type: 'stop' }));
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    channel.write(
      encodeFrame({
        type: 'job',
        job: {
          kind: 'sensor', pack: 'hello', sensor: 'hello.EchoSensor', class_name: 'EchoSensor', entry_point: entry,
          pack_dir: path.join(root, 'hello'), config: {}, poll_interval: null, triggers: [{ ref: 'hello.a' }], log_level: 'info',
        },
      }),
    );
    expect(await exited).toBe(0);
    expect(dispatched).toEqual([
      { type: 'dispatch', trigger: 'hello.echo', payload: { ref: 'hello.a' }, trace_tag: 't' },
      { type: 'dispatch', trigger: 'hello.echo', payload: { ref: 'updated hello.b' }, trace_tag: 't' },
    ]);
    expect(stderr).toContain('cleaned up');
  });
});
