import { execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { detectSandbox } from './detect.ts';
import { readHostAddresses, type HostAddresses } from './host-addresses.ts';
import { createNetworkNamespacePool } from './network-namespace-pool.ts';
import type { NetworkTools } from './network-namespace.ts';

/** Real pasta namespaces (root only): what the pool hands out, and how it follows the host's addresses. */
const config = loadConfig({ PACKRUN_HOME: mkdtempSync(path.join(os.tmpdir(), 'packrun-netns-pool-')), PACKRUN_SANDBOX_UID: String(2_000_000 + (process.pid % 4096) * 1024), PACKRUN_SANDBOX_UID_COUNT: '1024' });
const tools: NetworkTools | undefined = process.getuid?.() === 0 ? (await detectSandbox(config)).network : undefined;

function inNamespace(tools: NetworkTools, nsPath: string, ...command: string[]): string {
  return execFileSync(tools.nsenter, [`--net=${nsPath}`, '--', ...command], { encoding: 'utf8' });
}

const none = { tcp: [], udp: [] };

/**
 * Ports with a socket on 127.0.0.1 inside the namespace (pasta's forwards): TCP listening (0A),
 * UDP bound (07).
 */
function listeningPorts(tools: NetworkTools, nsPath: string, protocol: 'tcp' | 'udp' = 'tcp'): number[] {
  const state = protocol === 'tcp' ? '0A' : '07';
  return inNamespace(tools, nsPath, 'cat', `/proc/net/${protocol}`)
    .split('\n')
    .map((line) => new RegExp(`^\\s*\\d+: 0100007F:([0-9A-F]{4}) 00000000:0000 ${state} `).exec(line)?.[1])
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => Number.parseInt(hex, 16))
    .sort((a, b) => a - b);
}

describe.runIf(tools !== undefined)('network namespaces made ahead', () => {
  it('hands out a fresh namespace per take, forwarding exactly the ports asked for, and closes it after', async () => {
    const pool = createNetworkNamespacePool({ tools: tools!, spares: 1, idleMs: 60_000 });
    const plain = await pool.take(none);
    const forwarding = await pool.take({ tcp: [41234, 41233, 41234], udp: [] });
    expect(plain.path).not.toBe(forwarding.path);
    expect(listeningPorts(tools!, plain.path)).toEqual([]);
    expect(listeningPorts(tools!, forwarding.path)).toEqual([41233, 41234]);
    expect(forwarding.ports).toEqual({ tcp: [41233, 41234], udp: [] });
    // Its own loopback, and a route out through pasta's tap.
    expect(inNamespace(tools!, plain.path, 'cat', '/proc/net/route')).toMatch(/\t00000000\t/);
    const again = await pool.take(none);
    const namespaces = [plain, forwarding, again];
    const identities = namespaces.map((namespace) => readlinkSync(namespace.path));
    expect(new Set(identities).size).toBe(3);
    for (const namespace of namespaces) pool.release(namespace);
    // The runtime's descriptor on each is closed (its number may be reused for something else).
    const linkOf = (file: string): string => {
      try {
        return readlinkSync(file);
      } catch {
        return '';
      }
    };
    const stillOpen = (): boolean => namespaces.some((namespace, index) => linkOf(namespace.path) === identities[index]);
    await expect.poll(stillOpen, { timeout: 10_000 }).toBe(false);
  });

  it('reloads the egress filter of a namespace in use when the host gains an address', async () => {
    let addresses: HostAddresses = readHostAddresses();
    const pool = createNetworkNamespacePool({ tools: tools!, spares: 1, idleMs: 60_000, readAddresses: () => addresses });
    const inUse = await pool.take(none);
    const filter = (): string => inNamespace(tools!, inUse.path, tools!.nft, 'list', 'set', 'inet', 'packrun_egress', 'host4');
    expect(filter()).not.toContain('203.0.113.77');
    addresses = { ...addresses, ipv4: [...addresses.ipv4, '203.0.113.77/32'] };
    // The next take notices (as the pool's timer would within 2 s) and reloads the one in use;
    // the namespace it hands out carries the new address too.
    const next = await pool.take(none);
    expect(inNamespace(tools!, next.path, tools!.nft, 'list', 'set', 'inet', 'packrun_egress', 'host4')).toContain('203.0.113.77');
    await expect.poll(filter, { timeout: 10_000 }).toContain('203.0.113.77');
    pool.release(inUse);
    pool.release(next);
  });

  it('forwards UDP ports apart from TCP ones: ready once pasta has bound them, never shared with the same port over TCP', async () => {
    const pool = createNetworkNamespacePool({ tools: tools!, spares: 1, idleMs: 60_000 });
    const udp = await pool.take({ tcp: [41235], udp: [41236, 41235] });
    // Read at once: the holder reports ready only once both are there.
    expect(listeningPorts(tools!, udp.path, 'udp')).toEqual([41235, 41236]);
    expect(listeningPorts(tools!, udp.path, 'tcp')).toEqual([41235]);
    expect(udp.ports).toEqual({ tcp: [41235], udp: [41235, 41236] });
    // The spare made for that set is not handed out for the same numbers over TCP.
    const tcp = await pool.take({ tcp: [41235, 41236], udp: [] });
    expect(listeningPorts(tools!, tcp.path, 'udp')).toEqual([]);
    expect(listeningPorts(tools!, tcp.path, 'tcp')).toEqual([41235, 41236]);
    // Its filter refuses datagrams to those ports from outside the ephemeral range.
    expect(inNamespace(tools!, udp.path, tools!.nft, 'list', 'chain', 'inet', 'packrun_egress', 'egress')).toMatch(/udp dport \{ 41235, 41236 \} udp sport != 32768-60999 reject/);
    pool.release(udp);
    pool.release(tcp);
  });
});
