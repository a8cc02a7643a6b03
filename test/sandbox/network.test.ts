import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { retryUntil } from '../helpers/retry-until.ts';
import { isOtherOutsideWorld, outsideWorldUnavailable, startOutsideWorld, type OutsideWorld } from './outside-world.ts';
import { leftoverJobCgroups, sandboxFixture, sandboxProcesses, type SandboxFixture } from './sandbox-fixture.ts';

/**
 * Case 23 of docs/sandbox.md: a job with network reaches the outside world (a network namespace of
 * this test's own stands in for it) and none of the host: not its loopback (IPv4 and IPv6), not
 * the host's other addresses where services bound to 0.0.0.0 or :: listen, not through a socket
 * bound to a device; only the host port the operator granted its pack. Played by the hostile
 * pack's actions with network through the real runner: a Node action (a wrapper started ahead
 * under warm spawning, a cold one without), a Python action started cold, and one forked from its
 * pack's warm zygote, which runs in a network namespace of its own that its children share.
 * test/sandbox/warm-network-attack.test.ts plays the rest of the attacks from a warm child.
 */
type Probe = Record<string, { ok: boolean; value?: unknown; error?: string }>;

let fixture: SandboxFixture;
let outside: OutsideWorld | undefined;
let skipReason: string | undefined;
const servers: net.Server[] = [];
const ports: Record<'allowed' | 'loopback' | 'loopback6' | 'any' | 'any6', number> = { allowed: 0, loopback: 0, loopback6: 0, any: 0, any6: 0 };

async function listen(name: keyof typeof ports, host: string): Promise<void> {
  const server = net.createServer((socket) => socket.end(`host ${name}\n`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, ipv6Only: host === '::' }, resolve);
  });
  servers.push(server);
  ports[name] = (server.address() as net.AddressInfo).port;
}

/** The interface of the host's default route: pasta names the job's interface after it. */
function defaultInterface(): string {
  const line = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .find((row) => row.split(/\s+/)[1] === '00000000');
  return line?.split(/\s+/)[0] ?? 'eth0';
}

/**
 * Every address of the host (but loopback), with the listener on all addresses behind it. A
 * link-local address needs an interface: its own on the host; inside a job, the only one there is.
 */
function hostAddressTargets(inJob: boolean): string[] {
  const targets: string[] = [];
  for (const [name, entries] of Object.entries(os.networkInterfaces())) {
    // Another test process's stand-in for the outside world comes and goes while this one runs
    // (its link-local address then fails with EADDRNOTAVAIL); this process's own stays.
    if (isOtherOutsideWorld(name)) continue;
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      if (entry.family === 'IPv4') targets.push(`${entry.address}:${ports.any}`);
      else if (entry.address.startsWith('fe80:')) targets.push(`[${entry.address}%${inJob ? defaultInterface() : name}]:${ports.any6}`);
      else targets.push(`[${entry.address}]:${ports.any6}`);
    }
  }
  return targets;
}

/** Every way into the host a job might try, each of which must be refused. */
function hostTargets(inJob = true): string[] {
  return [`127.0.0.1:${ports.loopback}`, `127.0.0.2:${ports.any}`, `[::1]:${ports.loopback6}`, `[::1]:${ports.any6}`, ...hostAddressTargets(inJob)];
}

/** Pids of every live process in the network namespace `netns` (as /proc/<pid>/ns/net reads: `net:[inode]`). */
function processesIn(netns: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readlinkSync(`/proc/${entry}/ns/net`) === netns && !/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Whether this process still holds a descriptor of the namespace `netns`. */
function runtimeHolds(netns: string): boolean {
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === netns;
    } catch {
      return false;
    }
  });
}

function expectOnlyOutsideAndAllowed(probe: Probe, refused: string[]): void {
  expect(probe[`${outside!.address}:${outside!.port}`], JSON.stringify(probe)).toMatchObject({ ok: true, value: 'outside\n' });
  expect(probe[`127.0.0.1:${ports.allowed}`], JSON.stringify(probe)).toMatchObject({ ok: true, value: 'host allowed\n' });
  for (const target of refused) expect(probe[target]?.ok, `${target}: ${JSON.stringify(probe[target])}`).toBe(false);
}

beforeAll(async () => {
  skipReason = outsideWorldUnavailable();
  if (skipReason) return;
  await listen('allowed', '127.0.0.1');
  await listen('loopback', '127.0.0.1');
  await listen('loopback6', '::1');
  await listen('any', '0.0.0.0');
  await listen('any6', '::');
  outside = await startOutsideWorld();
  fixture = await sandboxFixture({ PACKRUN_SANDBOX_HOST_PORTS: `hostile=${ports.allowed}` });
  const inactive = fixture.host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) skipReason = `not every layer is active on this host (${inactive.join('; ')})`;
  if (skipReason) console.warn(`network tests skipped: ${skipReason}`);
}, 600_000);

afterAll(async () => {
  for (const server of servers) server.close();
  await outside?.close();
  if (!fixture) return;
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
  if (skipReason) return;
  await retryUntil(() => sandboxProcesses(fixture.config, true).length === 0, { withinMs: 5000, what: 'no sandbox process left' });
  // A child forked ahead that was still joining its cgroup when the pool closed has it removed once
  // it is gone, a moment after its process.
  await retryUntil(() => leftoverJobCgroups(fixture.host, true).length === 0, { withinMs: 5000, what: 'no job cgroup left' });
});

describe.runIf(process.getuid?.() === 0)('23: a job with network reaches the outside world, never the host', () => {
  it('the host itself reaches every one of its listeners (so a refusal below is the sandbox\'s doing)', async (context) => {
    if (skipReason) return context.skip(skipReason);
    for (const target of hostTargets(false)) {
      const at = target.lastIndexOf(':');
      const host = target.slice(0, at).replace(/^\[|\]$/g, '');
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host, port: Number(target.slice(at + 1)), timeout: 3000 });
        socket.on('timeout', () => socket.destroy(new Error(`${target} timed out`)));
        let received = '';
        socket.on('data', (chunk) => (received += chunk));
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });
      expect(greeting, target).toMatch(/^host /);
    }
  });

  it('a Node action with network: the outside world and the granted port, nothing else of the host', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const refused = hostTargets();
    const outcome = await fixture.run('hostile.attack_node_network', { case: 'connect_many', targets: [`${outside!.address}:${outside!.port}`, `127.0.0.1:${ports.allowed}`, ...refused] });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    expectOnlyOutsideAndAllowed(outcome.result['result'] as Probe, refused);
  });

  it('a Python action with network started cold: the same, also through a socket bound to its interface', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const tap = defaultInterface();
    const ipv4Hosts = hostTargets().filter((target) => /^\d/.test(target));
    const refused = [...hostTargets(), ...ipv4Hosts.map((target) => `${target}@${tap}`)];
    const outcome = await fixture.run('hostile.attack_network', { case: 'connect_many', paths: [`${outside!.address}:${outside!.port}`, `127.0.0.1:${ports.allowed}`, ...refused] }, { warmSpawn: false });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    expectOnlyOutsideAndAllowed(outcome.result['result'] as Probe, refused);
  });

  it('7: an action without network reaches neither the host nor the outside world', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const targets = [`${outside!.address}:${outside!.port}`, `127.0.0.1:${ports.allowed}`, `127.0.0.1:${ports.loopback}`];
    const outcome = await fixture.run('hostile.attack', { case: 'connect_many', paths: targets });
    const probe = outcome.result['result'] as Probe;
    for (const target of targets) expect(probe[target]?.ok, `${target}: ${JSON.stringify(probe[target])}`).toBe(false);
  });

  it('a Python action forked from a warm zygote with network: the same, in its zygote\'s namespace of its own', async (context) => {
    if (skipReason) return context.skip(skipReason);
    // Warm whatever the suite's mode: the zygote pool is the process's own.
    const where = await fixture.run('hostile.attack_network', { case: 'where' }, { warmSpawn: true });
    expect(where.status, JSON.stringify(where.result)).toBe('succeeded');
    const seen = where.result['result'] as { parent: string; netns: string };
    expect(seen.parent).toContain('packrun_zygote.py');
    expect(seen.netns).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(processZygotePool(fixture.config).hostPids().map((pid) => readlinkSync(`/proc/${pid}/ns/net`))).toContain(seen.netns);
    const tap = defaultInterface();
    const ipv4Hosts = hostTargets().filter((target) => /^\d/.test(target));
    const refused = [...hostTargets(), ...ipv4Hosts.map((target) => `${target}@${tap}`)];
    const outcome = await fixture.run('hostile.attack_network', { case: 'connect_many', paths: [`${outside!.address}:${outside!.port}`, `127.0.0.1:${ports.allowed}`, ...refused] }, { warmSpawn: true });
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    expectOnlyOutsideAndAllowed(outcome.result['result'] as Probe, refused);
  });

  it('a zygote with network that crashes leaves neither its namespace nor its pasta behind, and the next execution gets both anew', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const where = async (): Promise<{ parent: string; netns: string }> => {
      const outcome = await fixture.run('hostile.attack_network', { case: 'where' }, { warmSpawn: true });
      expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
      return outcome.result['result'] as { parent: string; netns: string };
    };
    const { netns } = await where();
    const zygote = processZygotePool(fixture.config).hostPids().find((pid) => readlinkSync(`/proc/${pid}/ns/net`) === netns);
    expect(zygote).toBeDefined();
    // What keeps the namespace besides the zygote: the holder pasta runs in it, and pasta itself
    // (Debian runs it as passt.avx2 where the CPU has AVX2).
    const pastas = processesIn(netns).map(parentOf).filter((pid): pid is number => pid !== undefined && /^pas(ta|st)/.test(commandOf(pid)));
    expect(pastas, `processes in ${netns}: ${processesIn(netns).map((pid) => `${pid} ${commandOf(pid)} <- ${parentOf(pid)} ${commandOf(parentOf(pid) ?? 0)}`).join(', ')}`).toHaveLength(1);
    expect(runtimeHolds(netns)).toBe(true);
    process.kill(zygote!, 'SIGKILL');
    await retryUntil(() => processesIn(netns).length === 0 && commandOf(pastas[0]!) === '' && !runtimeHolds(netns), {
      withinMs: 10_000,
      what: `no process left in ${netns}, its pasta gone and no descriptor of it held`,
    });
    const next = await where();
    expect(next.parent).toContain('packrun_zygote.py');
    expect(next.netns).not.toBe(netns);
    expect(next.netns).not.toBe(readlinkSync('/proc/self/ns/net'));
  });
});
