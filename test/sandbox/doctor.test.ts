import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
    // The known gap, said where the operator looks (docs/sandbox.md, "Network").
    expect(network?.reason).toContain('warm zygotes with network');
    expect(report.warmSpawn.reason).toContain('PACKRUN_WARM_SPAWN=off closes that gap');
    expect(report.limits.defaults).toMatchObject({ memoryMb: 512, network: true });
    expect(report.warmSpawn.active).toBe(true);
    expect(report.warmSpawn.reason).toContain('inside the sandbox');
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
    expect(off.report.warmSpawn.reason).not.toContain('gap');

    const required = await doctor({ PACKRUN_SANDBOX_NETNS: 'required', PACKRUN_SANDBOX_NETWORK_UID: '1000005' });
    expect(required.code).toBe(1);
    expect(required.report.missingRequired).toEqual(['network']);
    expect(required.report.layers.find((layer) => layer.name === 'network')?.reason).toContain('job uid range');

    const granted = await doctor({ PACKRUN_SANDBOX_HOST_PORTS: 'mypack=5432,mypack=6379,*=3141', PACKRUN_WARM_SPAWN: 'off' });
    const active = granted.report.layers.find((layer) => layer.name === 'network');
    expect(active?.active).toBe(true);
    expect(active?.reason).toContain('mypack=5432+6379');
    expect(active?.reason).toContain('*=3141');
    expect(active?.reason).not.toContain('warm zygotes');
  });

  it('with RabbitMQ, says whether the services take its credentials and how sensors would publish', async () => {
    // The machine's broker, as guest: refused while warm zygotes with network share the host's
    // network namespace, taken when every job has one of its own; sensors never publish directly.
    const guest = 'amqp://guest:guest@127.0.0.1:5672';
    const warm = (await doctor({ PACKRUN_RABBITMQ_URL: guest })).report;
    expect(warm.brokerCredentials?.ok).toBe(false);
    expect(warm.brokerCredentials?.reason).toContain("RabbitMQ's guest user");
    expect(warm.brokerCredentials?.reason).toContain('warm zygotes');
    expect(warm.sensorPublishing).toMatchObject({ path: 'container' });
    expect(warm.sensorPublishing?.reason).toContain('is guest');
    const cold = (await doctor({ PACKRUN_RABBITMQ_URL: guest, PACKRUN_WARM_SPAWN: 'off' })).report;
    expect(cold.brokerCredentials?.ok).toBe(true);
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
