import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import os from 'node:os';
import { egressRuleset } from './egress-filter.ts';
import type { HostAddresses } from './host-addresses.ts';
import { mergePorts, type ForwardedPorts } from './host-port-grants.ts';

/** The programs and the uid a job's network namespace is made with (detectNetwork finds them). */
export interface NetworkTools {
  pasta: string;
  nft: string;
  nsenter: string;
  setpriv: string;
  /** pasta runs as this uid, never root and never a job's. */
  uid: number;
}

/**
 * One network namespace for one job (or one sensor, or one env build), with pasta giving it
 * user-mode egress. pasta is started as the network uid and creates the namespace itself, inside
 * a user namespace of its own: the namespace belongs to that uid, so a job (another uid, no
 * capabilities) can change nothing in it, and pasta holds no privilege on the host. Inside runs
 * a holder process that keeps the namespace and pasta alive until the runtime closes its stdin
 * (or dies: the pipe closes with it, so nothing outlives the runtime). The runtime keeps the
 * namespace open by a file descriptor of its own, and jobs enter it through that descriptor
 * (`nsenter --net=/proc/<runtime>/fd/<n>`), never through a pid that could be reused.
 */
export interface JobNetworkNamespace {
  /** What `nsenter --net=` takes to put a process into the namespace. */
  readonly path: string;
  /** Host ports on 127.0.0.1 the namespace's own loopback forwards to (pasta's -T and -U). */
  readonly ports: ForwardedPorts;
  /** Reloads the egress filter (the host's addresses changed). */
  refresh(addresses: HostAddresses): Promise<void>;
  /** Ends the holder, which ends pasta; the namespace goes with its last process. */
  close(): Promise<void>;
}

const readyWithinMs = 15_000;

/**
 * The holder, run by pasta inside the namespace it makes, as root of pasta's user namespace (with
 * the capabilities pasta leaves it there, CAP_NET_ADMIN among them). This pasta runs its command
 * as soon as the namespace exists, before it has configured it, so the holder waits until the
 * default route and the sockets of the forwarded ports appear (TCP listening, state 0A; UDP bound
 * to the loopback, state 07 as every unconnected UDP socket), loads the egress filter, then
 * prints its pid as the host sees it (/proc is the host's) and waits for the end of its stdin.
 * $1: nft, $2: the ruleset, $3 and $4: the forwarded TCP and UDP ports in hex, space-separated.
 */
const holderScript = [
  'nft=$1; rules=$2; tcp=$3; udp=$4',
  'tries=0',
  'ready() {',
  "  grep -qE '^[^[:space:]]+[[:space:]]+00000000[[:space:]]' /proc/net/route || return 1",
  '  for port in $tcp; do',
  "    grep -qE \"^ *[0-9]+: [0-9A-F]{8}:$port [0-9A-F]{8}:0000 0A \" /proc/net/tcp || return 1",
  '  done',
  '  for port in $udp; do',
  "    grep -qE \"^ *[0-9]+: [0-9A-F]{8}:$port [0-9A-F]{8}:0000 07 \" /proc/net/udp || return 1",
  '  done',
  '}',
  'until ready; do',
  '  tries=$((tries+1)); [ "$tries" -gt 3000 ] && exit 1',
  '  sleep 0.005',
  'done',
  'printf \'%s\' "$rules" | "$nft" -f - || exit 1',
  'read -r pid rest < /proc/self/stat',
  'echo "ready $pid"',
  'exec cat > /dev/null',
].join('\n');

function pastaArgs(ports: ForwardedPorts): string[] {
  return [
    '--config-net',
    '--quiet',
    // Nothing from the host into the namespace (but the replies to what a job sent over UDP).
    '--tcp-ports', 'none',
    '--udp-ports', 'none',
    // From the namespace's loopback to the host's: exactly the ports the operator allows. Left
    // unset, pasta would forward every port the host listens on (its default is auto).
    '--tcp-ns', ports.tcp.length > 0 ? ports.tcp.join(',') : 'none',
    '--udp-ns', ports.udp.length > 0 ? ports.udp.join(',') : 'none',
    // The gateway's address is the real gateway, not an alias of the host's loopback.
    '--no-map-gw',
  ];
}

/** Runs `nft -f -` inside the namespace (a reload: the holder loads the first version itself). */
function loadRules(tools: NetworkTools, path: string, addresses: HostAddresses, udpPorts: readonly number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.nsenter, [`--net=${path}`, '--', tools.nft, '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft could not load the egress filter (exit ${code}): ${stderr.trim().slice(0, 500)}`))));
    child.stdin.end(egressRuleset(addresses, udpPorts));
  });
}

function waitForHolder(child: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
    };
    const settle = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onStdout);
      child.stderr.off('data', onStderr);
      child.off('error', onError);
      child.off('exit', onExit);
    };
    const fail = (message: string): void => {
      settle();
      child.kill('SIGKILL');
      // pasta's own log lines ("Failed to send ... to syslog") are noise; its errors are not.
      const said = stderr.split('\n').filter((line) => line && !/to syslog$/.test(line)).join('; ');
      reject(new Error(`${message}${said ? `: ${said.slice(0, 500)}` : ''}`));
    };
    const onStdout = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const ready = /^ready (\d+)$/m.exec(stdout);
      if (!ready) return;
      settle();
      resolve(Number(ready[1]));
    };
    const onError = (error: Error): void => fail(`pasta could not start: ${error.message}`);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`pasta exited (${signal ?? `code ${code}`}) before the namespace was ready`);
    const timer = setTimeout(() => fail(`pasta did not set up the namespace within ${readyWithinMs / 1000} s`), readyWithinMs);
    child.stdout.on('data', onStdout);
    child.stderr.on('data', onStderr);
    child.once('error', onError);
    child.once('exit', onExit);
  });
}

/** Makes a namespace with egress and the forwarded host ports, its egress filter loaded. */
export async function startJobNetworkNamespace(tools: NetworkTools, forwarded: ForwardedPorts, addresses: HostAddresses): Promise<JobNetworkNamespace> {
  const ports = mergePorts(forwarded);
  const hex = (list: readonly number[]): string => list.map((port) => port.toString(16).toUpperCase().padStart(4, '0')).join(' ');
  const child = spawn(
    tools.setpriv,
    [
      `--reuid=${tools.uid}`,
      `--regid=${tools.uid}`,
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      tools.pasta,
      ...pastaArgs(ports),
      '--',
      '/bin/sh',
      '-c',
      holderScript,
      'packrun-netns',
      tools.nft,
      egressRuleset(addresses, ports.udp),
      hex(ports.tcp),
      hex(ports.udp),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
  // Made ahead, in the background: its start-up (pasta touches ~30 MiB of buffers) must not take
  // CPU from the jobs running meanwhile. Back to normal once it serves a job.
  setPriorityQuietly(child.pid, 19);
  // Neither the processes nor their pipes keep the runtime's event loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let fd: number | undefined;
  let holderPid: number | undefined;
  const end = async (): Promise<void> => {
    child.stdin.destroy();
    // A timer that holds the event loop: the process and its pipes do not.
    const gone = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!gone) {
      child.kill('SIGKILL');
      // The holder is its own pid namespace's init: only SIGKILL reaches it from outside.
      if (holderPid !== undefined) killQuietly(holderPid);
    }
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  try {
    holderPid = await waitForHolder(child);
    child.stdout.resume();
    child.stderr.resume();
    setPriorityQuietly(child.pid, 0);
    fd = openSync(`/proc/${holderPid}/ns/net`, 'r');
    // A holder that died and whose pid was reused would hand over someone else's namespace.
    if (fstatSync(fd).ino === statSync('/proc/self/ns/net').ino) throw new Error('the holder process is in the host network namespace');
    const path = `/proc/${process.pid}/fd/${fd}`;
    return {
      path,
      ports,
      refresh: (latest) => loadRules(tools, path, latest, ports.udp),
      close: end,
    };
  } catch (error) {
    await end().catch(() => undefined);
    throw error;
  }
}

function setPriorityQuietly(pid: number | undefined, priority: number): void {
  try {
    if (pid !== undefined) os.setPriority(pid, priority);
  } catch {
    // Gone already: the readiness wait reports it.
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
