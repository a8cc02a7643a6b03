import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSandboxDecorator, detectSandbox, encodeFrame, FrameDecoder, pythonRuntime } from '@packrun/core';
import { realPython } from '../runner/fixtures.ts';
import { testUidRange } from '../sandbox/sandbox-fixture.ts';
import { homeWithPackFolders, type ExchangeHome } from './exchange-home.ts';

// Packrun's st2 fallback site (packages/core/python/st2-fallback): libraries StackStorm's own
// virtualenv gave pack code, appended last to a pack's sys.path. scripts/setup.sh builds it.
const python = realPython();
const pythonVersion = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
const fallbackSite = path.join(path.dirname(pythonRuntime.libDir), 'st2-fallback', 'site', `py${pythonVersion}`);
const built = existsSync(fallbackSite);
if (!built) console.warn(`skipping the st2 fallback tests: ${fallbackSite} is missing; run scripts/setup.sh`);

const packs = path.join(import.meta.dirname, 'packs');

interface WrapperFrame {
  type: string;
  id?: number;
  op?: string;
  args?: Record<string, unknown>;
  payload?: unknown;
}
let home: ExchangeHome;

beforeAll(async () => {
  if (built) home = await homeWithPackFolders([path.join(packs, 'st2_libs'), path.join(packs, 'pinned_eventlet')], testUidRange());
}, 300_000);

describe.skipIf(!built)('st2 fallback libraries', () => {
  it('an action importing eventlet without requiring it gets the fallback copy, and its monkey_patch() does not hang the datastore', async () => {
    const outcome = await home.run('st2_libs.green_datastore', { value: 'ab' });
    expect(outcome.status, String(outcome.result['error'])).toBe('succeeded');
    expect(outcome.result['result']).toEqual({
      stored: 'ab',
      doubled: ['ABAB', 'abab'],
      eventlet_version: '0.40.4',
      eventlet_dir: fallbackSite,
    });
    expect(outcome.result['stderr']).toContain('eventlet.monkey_patch() skipped');
  });

  it('inside the sandbox (another uid, read-only mounts) the fallback is still reachable', async () => {
    const host = await detectSandbox(home.config);
    const active = host.layers.filter((layer) => layer.active).map((layer) => layer.name);
    expect(active).toEqual(expect.arrayContaining(['user', 'bubblewrap']));
    const outcome = await home.run('st2_libs.green_datastore', { value: 'cd' }, createSandboxDecorator({ host, config: home.config }));
    expect(outcome.status, String(outcome.result['error'])).toBe('succeeded');
    expect(outcome.result['result']).toMatchObject({ stored: 'cd', eventlet_version: '0.40.4', eventlet_dir: fallbackSite });
  });

  it('a pack that pins its own eventlet gets its own from its env, never the fallback', async () => {
    const outcome = await home.run('pinned_eventlet.which_eventlet', {});
    expect(outcome.status, String(outcome.result['error'])).toBe('succeeded');
    const result = outcome.result['result'] as Record<string, string>;
    expect(result['eventlet_version']).toBe('0.36.1');
    expect(result['eventlet_dir']?.startsWith(result['prefix'] ?? '?')).toBe(true);
    expect(result['eventlet_dir']).not.toContain('st2-fallback');
  });

  it('a sensor that monkey-patches at import keeps dispatching and reaching the datastore over the control channel', async () => {
    const packDir = path.join(packs, 'st2_libs');
    const child = spawn(python, ['-I', pythonRuntime.sensorWrapper], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const channel = child.stdio[3] as Duplex;
    const store = new Map<string, unknown>();
    const dispatched: unknown[] = [];
    // The runtime's own framing, as the sensor container's side of the channel.
    const decoder = new FrameDecoder();
    channel.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk) as WrapperFrame[]) {
        if (message.type === 'datastore') {
          const name = String(message.args?.['name']);
          if (message.op === 'set') store.set(name, message.args?.['value']);
          const value = message.op === 'get' ? store.get(name) ?? null : null;
          channel.write(encodeFrame({ type: 'datastore_reply', id: message.id, ok: true, value }));
        }
        if (message.type === 'dispatch') {
          dispatched.push(message.payload);
          if (dispatched.length === 2) channel.write(encodeFrame({ type: 'stop' }));
        }
      }
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    channel.write(encodeFrame({
      type: 'job',
      job: {
        kind: 'sensor', pack: 'st2_libs', sensor: 'st2_libs.GreenSensor', class_name: 'GreenSensor',
        entry_point: path.join(packDir, 'sensors', 'green_sensor.py'), pack_dir: packDir, config: {},
        poll_interval: 0.05, triggers: [], log_level: 'info',
      },
    }));
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timeout);
    expect(code, stderr).toBe(0);
    expect(dispatched).toEqual([{ count: 1, stored: '1' }, { count: 2, stored: '2' }]);
    expect(store.get('st2_libs.GreenSensor:count')).toBe('2');
  }, 30_000);
});
