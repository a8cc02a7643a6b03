import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { brokerReachableByJobs, detectSandbox, loadConfig, refuseExposedGuest, type SandboxHost } from '@packrun/core';
import { testUidRange } from './sandbox-fixture.ts';

/**
 * Issue 12, point 5: RabbitMQ's guest (guest:guest, an administrator out of the box) is refused to
 * a distributed service wherever jobs could reach the broker, since they could log in the same way
 * and publish forged trigger instances. With every job in a network namespace of its own (a warm
 * zygote's children in their zygote's), a broker on this host's loopback is out of their reach,
 * except through a port granted to a pack; a broker elsewhere is reached through the egress.
 */
const run = promisify(execFile);
const packrun = path.resolve(import.meta.dirname, '../../bin/packrun');
const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-broker-guest-'));
const guestUrl = 'amqp://guest:guest@127.0.0.1:5672';
const settings = (env: Record<string, string>) => loadConfig({ PACKRUN_HOME: home, PACKRUN_RABBITMQ_URL: guestUrl, ...testUidRange(), ...env });

let host: SandboxHost;
let skipReason: string | undefined;

beforeAll(async () => {
  host = await detectSandbox(settings({}));
  if (!host.network) skipReason = `the network layer is inactive here: ${host.layers.find((layer) => layer.name === 'network')?.reason}`;
});

describe.runIf(process.getuid?.() === 0)('guest on a broker jobs could reach', () => {
  it('is accepted on this host\'s loopback when every job has a namespace of its own, warm spawning on or off', async (context) => {
    if (skipReason) return context.skip(skipReason);
    for (const warmSpawn of ['on', 'off']) {
      const config = settings({ PACKRUN_WARM_SPAWN: warmSpawn });
      expect(await brokerReachableByJobs(config, host, guestUrl)).toBeUndefined();
      await expect(refuseExposedGuest(config, host)).resolves.toBeUndefined();
    }
  });

  it('is refused when a pack is granted the broker\'s port, when the broker is elsewhere, or without the network layer', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const granted = settings({ PACKRUN_SANDBOX_HOST_PORTS: 'chatty=5672' });
    expect(await brokerReachableByJobs(granted, host, guestUrl)).toContain('PACKRUN_SANDBOX_HOST_PORTS grants the broker\'s port 5672 to chatty');
    await expect(refuseExposedGuest(granted, host)).rejects.toMatchObject({ code: 'BROKER_GUEST_REFUSED', details: { variable: 'PACKRUN_RABBITMQ_URL' } });
    const elsewhere = 'amqp://guest:guest@198.51.100.250:5672';
    expect(await brokerReachableByJobs(settings({ PACKRUN_RABBITMQ_URL: elsewhere }), host, elsewhere)).toContain('not on this host');
    const noLayer = settings({ PACKRUN_SANDBOX_NETNS: 'off' });
    expect(await brokerReachableByJobs(noLayer, await detectSandbox(noLayer), guestUrl)).toContain("share this host's network namespace");
    // A URL without credentials logs in as guest too (amqplib's default).
    await expect(refuseExposedGuest(settings({ PACKRUN_RABBITMQ_URL: 'amqp://127.0.0.1:5672', PACKRUN_SANDBOX_HOST_PORTS: 'chatty=5672' }), host)).rejects.toMatchObject({ code: 'BROKER_GUEST_REFUSED' });
    // A user of its own is never refused.
    await expect(refuseExposedGuest(settings({ PACKRUN_RABBITMQ_URL: 'amqp://runner:secret@198.51.100.250:5672' }), host)).resolves.toBeUndefined();
  });

  it('stops a distributed service at start-up, naming the setting', async (context) => {
    if (skipReason) return context.skip(skipReason);
    // A pack granted the broker's port puts it within jobs' reach.
    const failed = await run(packrun, ['action-runner'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PACKRUN_HOME: home, PACKRUN_API_KEY: 'unused', PACKRUN_RABBITMQ_URL: guestUrl, PACKRUN_SANDBOX_HOST_PORTS: 'chatty=5672', ...testUidRange() },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('BROKER_GUEST_REFUSED');
    expect(failed?.stderr).toContain('PACKRUN_RABBITMQ_URL');
  });
});
