import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/**
 * "The internet" for the network tests: nothing outside this machine is reachable from here, so a
 * network namespace of the test's own stands in for it, joined to the host by a veth pair
 * (198.51.100.0/24, TEST-NET-2, one /30 per test process) with a TCP listener inside that greets
 * every connection with `outside`. A job's egress reaches it the way it would reach any outside
 * address: pasta connects from the host's network namespace and the host routes it over the veth.
 * The veth's host end is one more address of the host, which jobs must not reach.
 */
export interface OutsideWorld {
  /** The outside listener's address and port. */
  address: string;
  port: number;
  /** The host's end of the veth: an address of the host itself. */
  hostSideAddress: string;
  close(): Promise<void>;
}

const ip = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((file) => existsSync(file));

const greeter = [
  'import socket',
  's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  "s.bind(('0.0.0.0', 8080)); s.listen(64); print('listening', flush=True)",
  'while True:',
  '    c, _ = s.accept(); c.sendall(b"outside\\n"); c.close()',
].join('\n');

/** A /30 of 198.51.100.0/24 that no interface of this host uses yet, starting from one of this process's own. */
function freeBlock(): number {
  const used = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((entry) => entry?.address ?? '')
      .filter((address) => address.startsWith('198.51.100.'))
      .map((address) => Math.floor(Number(address.split('.')[3]) / 4)),
  );
  for (let offset = 0; offset < 64; offset++) {
    const block = (process.pid + offset) % 64;
    if (!used.has(block)) return block;
  }
  throw new Error('no free /30 left in 198.51.100.0/24');
}

/** Why the outside world cannot be made here, or undefined when it can. */
export function outsideWorldUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'making a network namespace and a veth pair needs root';
  if (!ip) return 'iproute2 (`ip`) is not installed';
  return undefined;
}

/** Whether an interface is the host end of the outside world of another test process. */
export function isOtherOutsideWorld(interfaceName: string): boolean {
  return /^prw\d+h$/.test(interfaceName) && interfaceName !== `prw${process.pid}h`;
}

/**
 * The host end's IPv6 link-local address would stay tentative for a second or two after the link
 * comes up (duplicate address detection), and connecting to it meanwhile fails with EADDRNOTAVAIL;
 * nothing else is on this veth, so there is nothing to detect.
 */
function skipDuplicateAddressDetection(interfaceName: string): void {
  const setting = `/proc/sys/net/ipv6/conf/${interfaceName}/accept_dad`;
  if (existsSync(setting)) writeFileSync(setting, '0');
}

export async function startOutsideWorld(): Promise<OutsideWorld> {
  if (!ip) throw new Error('iproute2 is not installed');
  const name = `prw${process.pid}`; // isOtherOutsideWorld knows this name
  const block = freeBlock() * 4;
  const hostSide = `198.51.100.${block + 1}`;
  const outside = `198.51.100.${block + 2}`;
  const run = (...args: string[]): void => {
    execFileSync(ip, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const remove = (): void => {
    // Deleting the namespace takes its end of the pair, and so the whole pair, with it.
    for (const args of [['netns', 'del', name], ['link', 'del', `${name}h`]]) {
      try {
        run(...args);
      } catch {
        // Already gone.
      }
    }
  };
  remove();
  let server: ChildProcess | undefined;
  try {
    run('netns', 'add', name);
    run('link', 'add', `${name}h`, 'type', 'veth', 'peer', 'name', `${name}o`);
    run('link', 'set', `${name}o`, 'netns', name);
    run('addr', 'add', `${hostSide}/30`, 'dev', `${name}h`);
    skipDuplicateAddressDetection(`${name}h`);
    run('link', 'set', `${name}h`, 'up');
    run('-n', name, 'addr', 'add', `${outside}/30`, 'dev', `${name}o`);
    run('-n', name, 'link', 'set', `${name}o`, 'up');
    run('-n', name, 'link', 'set', 'lo', 'up');
    run('-n', name, 'route', 'add', 'default', 'via', hostSide);
    const started = spawn(ip, ['netns', 'exec', name, 'python3', '-u', '-c', greeter], { stdio: ['ignore', 'pipe', 'inherit'] });
    server = started;
    await new Promise<void>((resolve, reject) => {
      started.stdout?.once('data', () => resolve());
      started.once('exit', (code) => reject(new Error(`the outside listener exited (${code})`)));
    });
  } catch (error) {
    server?.kill('SIGKILL');
    remove();
    throw error;
  }
  return {
    address: outside,
    port: 8080,
    hostSideAddress: hostSide,
    async close() {
      server?.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 100));
      remove();
    },
  };
}
