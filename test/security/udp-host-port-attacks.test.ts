import { readFileSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { retryUntil } from '../helpers/retry-until.ts';
import { isOtherOutsideWorld } from '../sandbox/outside-world.ts';
import { sandboxFixture, type SandboxFixture } from '../sandbox/sandbox-fixture.ts';
import { listenUdp, type UdpListener } from '../sandbox/udp-listener.ts';

/**
 * A UDP grant (PACKRUN_SANDBOX_HOST_PORTS=pack=<port>/udp) opens exactly that port of the host's
 * loopback to exactly that pack's jobs. The hostile pack, granted one UDP port (and one other port
 * over TCP only), sends datagrams everywhere else it might: a UDP port granted to another pack
 * (examples), the port it holds over TCP only, an ungranted port, its own granted port at every
 * non-loopback address of the host (where a service bound to all addresses listens), and its own
 * granted port from a source port outside the ephemeral range (pasta would bind that port on the
 * host's loopback for it). Only the datagram over its grant arrives. Played by a Python action
 * started cold and by one forked from its pack's warm zygote.
 */
let fixture: SandboxFixture;
let skipReason: string | undefined;
/** The hostile pack's UDP port, bound to every IPv4 address of the host (and IPv6 apart). */
let own: UdpListener;
let own6: UdpListener;
let others: UdpListener;
let tcpOnly: UdpListener;
let ungranted: UdpListener;

/** UDP ports bound on the host's 127.0.0.1 (by anyone: pasta's flows among them). */
function hostLoopbackUdpPorts(): number[] {
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .map((line) => /^\s*\d+: 0100007F:([0-9A-F]{4}) /.exec(line)?.[1])
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => Number.parseInt(hex, 16));
}

/** The host's addresses but loopback and link-local (those need an interface; the TCP tests try them). */
function hostAddresses(): string[] {
  return Object.entries(os.networkInterfaces())
    .filter(([name]) => !isOtherOutsideWorld(name))
    .flatMap(([, entries]) => entries ?? [])
    .filter((entry) => !entry.internal && !entry.address.startsWith('fe80:'))
    .map((entry) => (entry.family === 'IPv4' ? entry.address : `[${entry.address}]`));
}

beforeAll(async () => {
  own = await listenUdp('0.0.0.0');
  own6 = await listenUdp('::', own.port);
  others = await listenUdp('127.0.0.1');
  tcpOnly = await listenUdp('127.0.0.1');
  ungranted = await listenUdp('127.0.0.1');
  fixture = await sandboxFixture({ PACKRUN_SANDBOX_HOST_PORTS: `hostile=${own.port}/udp,hostile=${tcpOnly.port}/tcp,examples=${others.port}/udp` });
  const inactive = fixture.host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) skipReason = `not every layer is active on this host (${inactive.join('; ')})`;
}, 600_000);

const listeners = (): UdpListener[] => [own, own6, others, tcpOnly, ungranted];

beforeEach(() => {
  for (const listener of listeners()) listener.received.length = 0;
});

afterAll(async () => {
  for (const listener of listeners()) listener?.close();
  if (!fixture) return;
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
});

describe.runIf(process.getuid?.() === 0)('UDP host port grants against a hostile pack', () => {
  it.for([
    ['started cold', false],
    ['forked from a warm zygote', true],
  ] as const)('only the datagram over its own grant reaches the host (%s)', async ([label, warmSpawn], context) => {
    if (skipReason) return context.skip(skipReason);
    const allowed = `127.0.0.1:${own.port}`;
    const refused = [
      `127.0.0.1:${others.port}`,
      `127.0.0.1:${tcpOnly.port}`,
      `127.0.0.1:${ungranted.port}`,
      `127.0.0.2:${own.port}`,
      ...hostAddresses().map((address) => `${address}:${own.port}`),
      // A fixed port below the ephemeral range, and one above it.
      `127.0.0.1:${own.port} from ${5000 + (process.pid % 1000)}`,
      `127.0.0.1:${own.port} from ${61_000 + (process.pid % 1000)}`,
    ];
    // The refused ones first: by the time the allowed one arrived, they would have too.
    const outcome = await fixture.run('hostile.attack_network', { case: 'send_udp_many', paths: [...refused, allowed] }, { warmSpawn });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await retryUntil(() => own.received.includes(allowed), { what: `the datagram over its own grant (${label})` });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(listeners().flatMap((listener) => listener.received)).toEqual([allowed]);
  });

  it('a fixed source port outside the ephemeral range never becomes a socket of pasta\'s on the host\'s loopback', async (context) => {
    if (skipReason) return context.skip(skipReason);
    // pasta sends a datagram on from the job's own source port, bound on the host's loopback for
    // as long as the flow lives (its namespace is the warm zygote's, which outlives the job): from
    // the ephemeral range it does; from any other port the egress filter never lets it reach pasta.
    const low = 5000 + (process.pid % 1000);
    const ephemeral = 40_000 + (process.pid % 1000);
    const fromLow = `127.0.0.1:${own.port} from ${low}`;
    const fromEphemeral = `127.0.0.1:${own.port} from ${ephemeral}`;
    const outcome = await fixture.run('hostile.attack_network', { case: 'send_udp_many', paths: [fromLow, fromEphemeral] }, { warmSpawn: true });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await retryUntil(() => own.received.includes(fromEphemeral), { what: 'the datagram from the ephemeral range' });
    expect(hostLoopbackUdpPorts()).toContain(ephemeral);
    expect(hostLoopbackUdpPorts()).not.toContain(low);
    expect(own.received).toEqual([fromEphemeral]);
    // The bind worked; the filter refused the datagram (EPERM at sendto).
    expect((outcome.result['result'] as Record<string, { error?: string }>)[fromLow]?.error).toMatch(/Operation not permitted/);
  });

  it('the granted port is reachable at ::1 too, forwarded to the host\'s ::1, and only there', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const outcome = await fixture.run('hostile.attack_network', { case: 'send_udp_many', paths: [`[::1]:${others.port}`, `[::1]:${own.port}`] });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await retryUntil(() => own6.received.includes(`[::1]:${own.port}`), { what: 'the datagram over IPv6 loopback' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...own.received, ...others.received]).toEqual([]);
  });
});
