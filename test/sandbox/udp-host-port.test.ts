import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { retryUntil } from '../helpers/retry-until.ts';
import { sandboxFixture, type SandboxFixture } from './sandbox-fixture.ts';
import { listenUdp, type UdpListener } from './udp-listener.ts';

/**
 * A UDP port granted to a pack (PACKRUN_SANDBOX_HOST_PORTS=pack=<port>/udp): a Python action of
 * the pack sends a datagram to 127.0.0.1:<port> and it reaches the listener on the host's
 * loopback; one sent to another port of the host's loopback, ungranted, reaches nothing. Played
 * by an action started cold and by one forked from its pack's warm zygote (whose namespace, with
 * the pack's grants, its children share). test/security/udp-host-port-attacks.test.ts plays the
 * refusals in full.
 */
let fixture: SandboxFixture;
let skipReason: string | undefined;
let granted: UdpListener;
let ungranted: UdpListener;

beforeAll(async () => {
  granted = await listenUdp('127.0.0.1');
  ungranted = await listenUdp('127.0.0.1');
  fixture = await sandboxFixture({ PACKRUN_SANDBOX_HOST_PORTS: `hostile=${granted.port}/udp` });
  const inactive = fixture.host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) skipReason = `not every layer is active on this host (${inactive.join('; ')})`;
}, 600_000);

afterAll(async () => {
  granted?.close();
  ungranted?.close();
  if (!fixture) return;
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
});

describe.runIf(process.getuid?.() === 0)('a UDP port granted to a pack', () => {
  it.for([
    ['started cold', false],
    ['forked from a warm zygote', true],
  ] as const)('a datagram to it reaches the host listener, one to an ungranted port does not (%s)', async ([label, warmSpawn], context) => {
    if (skipReason) return context.skip(skipReason);
    const toGranted = `127.0.0.1:${granted.port}`;
    const toUngranted = `127.0.0.1:${ungranted.port}`;
    // The ungranted one first: by the time the granted one arrived, the other would have too.
    const outcome = await fixture.run('hostile.attack_network', { case: 'send_udp_many', paths: [toUngranted, toGranted] }, { warmSpawn });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    const sent = outcome.result['result'] as Record<string, { ok: boolean }>;
    // Sending succeeds either way: a datagram is sent whether or not anything can receive it.
    expect(sent[toGranted]?.ok, JSON.stringify(sent)).toBe(true);
    await retryUntil(() => granted.received.includes(toGranted), { what: `the datagram over the grant (${label})` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ungranted.received).toEqual([]);
    granted.received.length = 0;
  });
});
