import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { sandboxFixture, sandboxProcesses, snapshot, type SandboxFixture } from './sandbox-fixture.ts';

/**
 * The fallback: no bubblewrap, no cgroups (both switched off), so only the environment scrub,
 * rlimits, a uid of its own per job and the network layer remain. Only the cases those layers contain are played
 * here; docs/sandbox.md lists the ones that need the missing layers. The pack env is built on the
 * system Python, because the job uid cannot pass through /root to reach a pyenv one.
 */
let fixture: SandboxFixture;
const systemPython = '/usr/bin/python3';
const runnable = process.getuid?.() === 0 && existsSync(systemPython);

beforeAll(async () => {
  if (!runnable) return;
  // `required` for the user layer: hostile code must never run as root with full capabilities.
  fixture = await sandboxFixture({ PACKRUN_SANDBOX_BWRAP: 'off', PACKRUN_SANDBOX_SECCOMP: 'off', PACKRUN_SANDBOX_CGROUPS: 'off', PACKRUN_SANDBOX_USER: 'required', PACKRUN_PYTHON: systemPython });
}, 600_000);

afterEach(async () => {
  if (!runnable) return;
  await retryUntil(() => sandboxProcesses(fixture.config).length === 0, { withinMs: 5000, what: 'no sandbox process left' });
  const normal = await fixture.run('examples.check_threshold', { value: 3 });
  expect(normal.status).toBe('succeeded');
});

afterAll(() => {
  if (!fixture) return;
  for (const outcome of fixture.outcomes) expect(outcome).not.toContain(fixture.canary);
});

const attack = (input: Record<string, unknown>) => fixture.run('hostile.attack', input);
type Probe = Record<string, { ok: boolean }>;
const resultOf = (outcome: { result: Record<string, unknown> }) => outcome.result['result'] as Probe;

describe.runIf(runnable)('sandbox fallback: no bubblewrap, no cgroups', () => {
  it('reports exactly which layers are active', () => {
    const active = Object.fromEntries(fixture.host.layers.map((layer) => [layer.name, layer.active]));
    // The network layer needs no bubblewrap: a job with network still gets a namespace of its own.
    expect(active).toEqual({ environment: true, rlimits: true, user: true, cgroups: false, bubblewrap: false, seccomp: false, network: true, channels: true });
  });

  it('23: a job with network reaches nothing of the host, bubblewrap or not', async () => {
    const server = net.createServer((socket) => socket.end('host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const probe = resultOf(await fixture.run('hostile.attack_network', { case: 'connect_many', paths: [target] }));
      expect(probe[target]?.ok).toBe(false);
    } finally {
      server.close();
    }
  });

  it('1, 2: runtime secrets, configs and the store stay unreadable', async () => {
    const { paths } = fixture;
    const targets = [...fixture.canaryFiles, paths.configs, paths.store, path.join(fixture.home, 'secrets'), fixture.home];
    const probes = resultOf(await attack({ case: 'read', paths: targets }));
    for (const target of targets) expect(probes[target]?.ok, target).toBe(false);
  });

  it('3, 4: no runtime environment through /proc or its own environment', async () => {
    const proc = resultOf(await attack({ case: 'proc', canary: fixture.canary }));
    expect(proc['proc1_environ']?.ok).toBe(false);
    expect(proc['parent_environ']?.ok).toBe(false);
    expect(proc['canary_in_proc']).toEqual([]);
    const env = (resultOf(await attack({ case: 'env' })) as unknown as { env: Record<string, string> }).env;
    expect(Object.values(env).join('\n')).not.toContain(fixture.canary);
  });

  it('5: cannot write into the runtime, its own pack, another pack or an env', async () => {
    const { paths } = fixture;
    const before = snapshot(fixture.home);
    const targets = [fixture.home, paths.packs, path.join(paths.packs, 'hostile'), path.join(paths.packs, 'examples'), paths.envs];
    const probes = resultOf(await attack({ case: 'write', paths: targets }));
    for (const target of targets) expect(probes[target]?.ok, target).toBe(false);
    expect(snapshot(fixture.home)).toBe(before);
  });

  it('8: a fork bomb stops at the per-uid process limit', async () => {
    const result = (await attack({ case: 'fork_bomb' })).result['result'] as { children: number; error: string };
    expect(result.error).toBe('EAGAIN');
    expect(result.children).toBeLessThan(fixture.config.sandboxPids);
  });

  it('11: a job trapping SIGTERM past its timeout ends as timeout', async () => {
    const outcome = await attack({ case: 'trap_term', timeout: 2 });
    expect(outcome.status).toBe('timeout');
    expect(outcome.durationMs).toBeLessThan((2 + fixture.config.killGraceSeconds + 2) * 1000);
  });

  it('12: a setsid daemon is found by its uid and killed when the job ends', async () => {
    const outcome = await attack({ case: 'daemon' });
    expect(outcome.status).toBe('succeeded');
    expect(sandboxProcesses(fixture.config)).toEqual([]);
  });

  it('16, 17: signalling the runtime fails and a setuid binary gains nothing', async () => {
    expect(resultOf(await attack({ case: 'signal_runtime' }))['kill_parent']?.ok).toBe(false);
    const setuid = (await attack({ case: 'setuid' })).result['result'] as { mount_rc: number; euid: number };
    expect(setuid.mount_rc).not.toBe(0);
    expect(setuid.euid).not.toBe(0);
  });

  it('18: exhausting open files hits EMFILE in the job only', async () => {
    const result = (await attack({ case: 'open_files' })).result['result'] as { error: string };
    expect(result.error).toBe('EMFILE');
  });
});
