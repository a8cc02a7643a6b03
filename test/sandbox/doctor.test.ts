import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packrun = path.resolve(import.meta.dirname, '../../bin/packrun');

async function doctor(env: Record<string, string>): Promise<{ code: number; report: { layers: Array<{ name: string; active: boolean; mode: string; reason: string }>; missingRequired: string[]; limits: { defaults: Record<string, unknown> }; warmSpawn: { active: boolean; reason: string }; brokerCredentials?: { ok: boolean; reason?: string }; sensorPublishing?: { path: string; reason: string } } }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-doctor-'));
  const result = await run(packrun, ['doctor', '--json'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PACKRUN_HOME: home, ...env } }).then(
    (ok) => ({ code: 0, stdout: ok.stdout }),
    (failed: { code: number; stdout: string }) => ({ code: failed.code, stdout: failed.stdout }),
  );
  return { code: result.code, report: JSON.parse(result.stdout) };
}

describe.runIf(process.getuid?.() === 0)('packrun doctor', () => {
  it('reports every layer active on this host, each with its reason', async () => {
    const { code, report } = await doctor({});
    expect(code).toBe(0);
    expect(report.layers.map((layer) => [layer.name, layer.active])).toEqual([
      ['environment', true],
      ['rlimits', true],
      ['user', true],
      ['cgroups', true],
      ['bubblewrap', true],
      ['seccomp', true],
      ['network', true],
      ['channels', true],
    ]);
    for (const layer of report.layers) expect(layer.reason.length).toBeGreaterThan(10);
    const network = report.layers.find((layer) => layer.name === 'network');
    expect(network?.reason).toContain('pasta');
    expect(network?.reason).toContain('rejects every address of this host');
    // Warm zygotes with network included: no gap left to name (docs/sandbox.md, "Network").
    expect(network?.reason).toContain('warm zygote with network gets a network namespace of its own');
    expect(network?.reason).not.toContain('gap');
    expect(report.warmSpawn.reason).toContain('a zygote with network runs in a network namespace of its own');
    expect(report.warmSpawn.reason).not.toContain('gap');
    expect(report.limits.defaults).toMatchObject({ memoryMb: 512, network: true });
    expect(report.warmSpawn.active).toBe(true);
    expect(report.warmSpawn.reason).toContain('inside the sandbox');
  });

  it.skipIf(!existsSync('/usr/bin/pypy3'))('lists the interpreters pack envs can be built with: PACKRUN_PYTHON, the per-pack ones and those discovery finds', async () => {
    const { code, report } = await doctor({ PACKRUN_PYTHON_SEARCH: '/usr/bin', PACKRUN_PACK_PYTHON: 'fast=/usr/bin/pypy3,gone=/nonexistent/python3' });
    expect(code).toBe(0);
    const pythons = (report as unknown as { pythons: { configured?: { version: string }; perPack: Record<string, { implementation: string } | null>; found: Array<{ implementation: string; executable: string }> } }).pythons;
    expect(pythons.configured?.version).toMatch(/^3\./);
    expect(pythons.perPack['fast']).toMatchObject({ implementation: 'pypy' });
    expect(pythons.perPack['gone']).toBeUndefined();
    expect(pythons.found.map((python) => python.executable)).toEqual(expect.arrayContaining(['/usr/bin/python3.11', '/usr/bin/pypy3.9']));
  });

  it('says why a switched-off layer is inactive, and fails when a required one is missing', async () => {
    const { code, report } = await doctor({ PACKRUN_SANDBOX_BWRAP: 'off', PACKRUN_SANDBOX_SECCOMP: 'required', PACKRUN_SANDBOX_CGROUPS: 'off' });
    expect(code).toBe(1);
    const byName = Object.fromEntries(report.layers.map((layer) => [layer.name, layer]));
    expect(byName['bubblewrap']).toMatchObject({ active: false, mode: 'off' });
    expect(byName['bubblewrap']?.reason).toContain('PACKRUN_SANDBOX_BWRAP=off');
    expect(byName['cgroups']?.active).toBe(false);
    expect(byName['seccomp']?.reason).toContain('bubblewrap');
    expect(report.missingRequired).toEqual(['seccomp']);
    // Without bubblewrap, sandboxed Python actions cannot be forked from a contained zygote.
    expect(report.warmSpawn).toMatchObject({ active: false });
    expect(report.warmSpawn.reason).toContain('bubblewrap');
  });

  it('says why the network layer is off, and which host ports it forwards when on', async () => {
    const off = await doctor({ PACKRUN_SANDBOX_NETNS: 'off' });
    const inactive = off.report.layers.find((layer) => layer.name === 'network');
    expect(inactive).toMatchObject({ active: false, mode: 'off' });
    expect(inactive?.reason).toContain('PACKRUN_SANDBOX_NETNS=off');
    expect(inactive?.reason).toContain("share the host's network namespace");
    expect(off.report.warmSpawn.reason).not.toContain('network namespace of its own');

    const required = await doctor({ PACKRUN_SANDBOX_NETNS: 'required', PACKRUN_SANDBOX_NETWORK_UID: '1000005' });
    expect(required.code).toBe(1);
    expect(required.report.missingRequired).toEqual(['network']);
    expect(required.report.layers.find((layer) => layer.name === 'network')?.reason).toContain('job uid range');

    const granted = await doctor({ PACKRUN_SANDBOX_HOST_PORTS: 'mypack=5432,mypack=514/udp,mypack=6379,*=3141' });
    const active = granted.report.layers.find((layer) => layer.name === 'network');
    expect(active?.active).toBe(true);
    expect(active?.reason).toContain('mypack=5432+6379+514/udp');
    expect(active?.reason).toContain('*=3141');
  });

  it('with RabbitMQ, says whether the services take its credentials and how sensors would publish', async () => {
    // The machine's broker, as guest: taken, warm spawning on or off, as every job (a warm
    // zygote's children included) has a network namespace of its own; refused once a pack is
    // granted its port. Sensors never publish directly as guest.
    const guest = 'amqp://guest:guest@127.0.0.1:5672';
    for (const warmSpawn of ['on', 'off']) {
      const report = (await doctor({ PACKRUN_RABBITMQ_URL: guest, PACKRUN_WARM_SPAWN: warmSpawn })).report;
      expect(report.brokerCredentials, warmSpawn).toMatchObject({ ok: true });
      expect(report.sensorPublishing).toMatchObject({ path: 'container' });
      expect(report.sensorPublishing?.reason).toContain('is guest');
    }
    const granted = (await doctor({ PACKRUN_RABBITMQ_URL: guest, PACKRUN_SANDBOX_HOST_PORTS: 'chatty=5672' })).report;
    expect(granted.brokerCredentials?.ok).toBe(false);
    expect(granted.brokerCredentials?.reason).toContain("RabbitMQ's guest user");
    expect(granted.brokerCredentials?.reason).toContain('grants the broker');
    // Without RabbitMQ, neither line.
    expect((await doctor({})).report.sensorPublishing).toBeUndefined();
  });

  it('refuses a uid range that holds real accounts, and says the job channels then keep no job from another', async () => {
    const { report } = await doctor({ PACKRUN_SANDBOX_UID: '1', PACKRUN_SANDBOX_UID_COUNT: '10' });
    const user = report.layers.find((layer) => layer.name === 'user');
    expect(user?.active).toBe(false);
    expect(user?.reason).toContain('daemon');
    const channels = report.layers.find((layer) => layer.name === 'channels');
    expect(channels).toMatchObject({ active: false, mode: 'always' });
    expect(channels?.reason).toContain('user layer');
  });
});
