import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox, loadConfig, type St2Execution } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { realPython } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { hostilePackDir, repoRoot, testUidRange } from './sandbox-fixture.ts';

/**
 * Issue 12, point 1, from a warm child: a Python action forked from its pack's zygote, with
 * network, inside a real `packrun up` (warm spawning on, every sandbox layer). Its zygote runs in a
 * network namespace of its own, which its children share; from there the attack tries what a job
 * sharing the host's namespace would reach: a service of the host on 127.0.0.1 (a listener of this
 * test's own), the Packrun API's own port, the machine's RabbitMQ as guest, and what belongs to
 * another warm child: a listener it opened on its loopback (TCP and an abstract Unix socket, both
 * of which belong to a network namespace) and the stream sockets of both zygotes (its own and the
 * neighbour's), through which their children's channels go. Every one is refused by the kernel
 * (connection refused, no such file, permission denied), never a timeout that could hide a
 * connection made. Children of one zygote (one pack, the same granted ports) share its loopback,
 * as they share its /tmp (docs/sandbox.md, "Network"): the neighbour is another pack's.
 */
const brokerUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const broker = new URL(brokerUrl);
const queue = `packrun-warm-network-attack-${process.pid}`;
const pythonTag = execFileSync('python3', ['-c', 'import sys; print("py%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
const pika = path.join(repoRoot, 'packages', 'core', 'python', 'packrun-libs', 'site', pythonTag);

/** Listens on its own loopback (TCP, and an abstract Unix socket), counts who connects, and waits. */
const neighbourAction = `import socket
import threading
import time

from st2common.runners.base_action import Action


class Neighbour(Action):
    def run(self, port, seconds):
        tcp = socket.socket()
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))
        tcp.listen(16)
        abstract = socket.socket(socket.AF_UNIX)
        abstract.bind("\\0packrun-neighbour-%d" % port)
        abstract.listen(16)
        accepted = {"tcp": 0, "abstract": 0}

        def serve(server, name):
            while True:
                connection, _ = server.accept()
                accepted[name] += 1
                connection.sendall(b"neighbour\\n")
                connection.close()

        for server, name in ((tcp, "tcp"), (abstract, "abstract")):
            threading.Thread(target=serve, args=(server, name), daemon=True).start()
        # Its listeners listen for real: it reaches both itself.
        own = {}
        with socket.create_connection(("127.0.0.1", port), 3) as client:
            own["tcp"] = client.recv(100).decode()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect("\\0packrun-neighbour-%d" % port)
            own["abstract"] = client.recv(100).decode()
        time.sleep(seconds)
        return {"own": own, "accepted": dict(accepted)}
`;

function writeNeighbourPack(root: string): string {
  const dir = path.join(root, 'neighbour');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), 'ref: neighbour\nname: neighbour\ndescription: a warm child with network listening on its loopback\nversion: 0.1.0\nauthor: Packrun tests\nemail: tests@example.invalid\n');
  writeFileSync(path.join(dir, 'actions', 'listen.py'), neighbourAction);
  writeFileSync(
    path.join(dir, 'actions', 'listen.yaml'),
    'name: listen\nrunner_type: python-script\nentry_point: listen.py\nparameters:\n  port:\n    type: integer\n    required: true\n  seconds:\n    type: number\n    default: 0\n',
  );
  return dir;
}

type Attempt = { ok: boolean; value?: unknown; error?: string };

let scratch: string;
let home: string;
let server: PackrunProcess | undefined;
let api: Awaited<ReturnType<typeof apiAt>>;
let apiPort: number;
let hostService: net.Server;
let hostPort: number;
let connection: amqp.ChannelModel | undefined;
let skipReason: string | undefined;
const uids = testUidRange();

async function execute(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
  const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  let done: St2Execution | undefined;
  await retryUntil(
    async () => {
      done = (await api.call<St2Execution>('GET', `/api/v1/executions/${created.body.id}`)).body;
      return ['succeeded', 'failed', 'timeout', 'canceled'].includes(done.status);
    },
    { what: `${action} to end`, withinMs: 90_000, everyMs: 50 },
  );
  return done!;
}

/** The result an action returned, once it succeeded. */
function resultOf<T>(record: St2Execution): T {
  expect(record.status, JSON.stringify(record.result)).toBe('succeeded');
  return (record.result as { result: T }).result;
}

/** Whether a job (a process of this test's uid range) listens on 127.0.0.1:`port` in its own namespace. */
function jobListensOn(port: number): boolean {
  const first = Number(uids.PACKRUN_SANDBOX_UID);
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (uid < first || uid >= first + Number(uids.PACKRUN_SANDBOX_UID_COUNT)) continue;
      if (readFileSync(`/proc/${entry}/net/tcp`, 'utf8').split('\n').some((line) => line.includes(` ${local} 00000000:0000 0A `))) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

/** Live processes whose parent is `parent`, with their command names. */
function childrenOf(parent: number): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== parent || /^State:\s+Z/m.test(status)) continue;
      found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/comm`, 'utf8').trim() });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Whether any live process is in the network namespace `netns` (`net:[inode]`). */
function anyProcessIn(netns: string): boolean {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .some((entry) => {
      try {
        return readlinkSync(`/proc/${entry}/ns/net`) === netns && !/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
}

/** The zygotes' stream sockets: `jobs/.zygote-<runtime pid>-<random>/s`. */
function zygoteSockets(): string[] {
  const jobs = path.join(home, 'jobs');
  return readdirSync(jobs)
    .filter((name) => name.startsWith('.zygote-'))
    .map((name) => path.join(jobs, name, 's'))
    .filter((file) => {
      try {
        return statSync(file).isSocket();
      } catch {
        return false;
      }
    });
}

/** Refused by the kernel at once: not a timeout, which could follow a connection made. */
function expectRefused(attempt: Attempt | undefined, target: string): void {
  expect(attempt?.ok, `${target}: ${JSON.stringify(attempt)}`).toBe(false);
  expect(attempt?.error, target).toMatch(/^(ConnectionRefusedError|FileNotFoundError|PermissionError):/);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-warm-net-'));
  // Job uids reach their packs through the data folder.
  chmodSync(scratch, 0o711);
  home = path.join(scratch, 'home');
  apiPort = await freePort();
  const env: Record<string, string> = {
    PACKRUN_HOME: home,
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(apiPort),
    PACKRUN_API_URL: `http://127.0.0.1:${apiPort}`,
    PACKRUN_WARM_SPAWN: 'on',
    PACKRUN_LOG_LEVEL: 'warn',
    ...uids,
  };
  const config = loadConfig(env);
  const host = await detectSandbox(config);
  const inactive = host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) {
    skipReason = `not every sandbox layer is active here (${inactive.join('; ')})`;
    return;
  }
  await installPack([hostilePackDir, writeNeighbourPack(scratch)], { config });
  hostService = net.createServer((socket) => socket.end('host service\n'));
  hostPort = await new Promise<number>((resolve) => hostService.listen(0, '127.0.0.1', () => resolve((hostService.address() as net.AddressInfo).port)));
  connection = await amqp.connect(brokerUrl);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: false, autoDelete: false });
  // packrun up installs the core pack itself into the fresh home.
  server = startPackrun(['up'], env);
  await server.waitForOutput(/packrun is up/, 180_000);
  api = await apiAt(env['PACKRUN_API_URL']!, home);
}, 300_000);

afterAll(async () => {
  if (connection) {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue).catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
  hostService?.close();
  if (server) {
    server.signal('SIGTERM');
    await server.exited;
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.runIf(process.getuid?.() === 0)('1: a warm child with network against the host and its neighbours', () => {
  it('runs forked from its pack zygote, in a network namespace that is not the host\'s', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const where = resultOf<{ parent: string; netns: string }>(await execute('hostile.attack_network', { case: 'where' }));
    expect(where.parent).toContain('packrun_zygote.py');
    expect(where.netns).not.toBe(readlinkSync('/proc/self/ns/net'));
  });

  it('reaches none of the host\'s loopback services: a listener of its own, the API port, the broker (nor logs in to it as guest)', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const brokerTarget = `${broker.hostname}:${broker.port || '5672'}`;
    // The host reaches all three: each refusal below is the sandbox's doing.
    expect((await api.call('GET', '/api/v1/executions?limit=1')).status).toBe(200);
    expect(connection).toBeDefined();
    const targets = [`127.0.0.1:${hostPort}`, `127.0.0.1:${apiPort}`, brokerTarget];
    const probe = resultOf<Record<string, Attempt>>(await execute('hostile.attack_network', { case: 'connect_many', paths: targets }));
    for (const target of targets) expectRefused(probe[target], target);
    const published = resultOf<Attempt>(await execute('hostile.attack_network', { case: 'amqp_publish', paths: [pika, brokerUrl, queue] }));
    expect(published.ok, JSON.stringify(published)).toBe(false);
    const channel = await connection!.createChannel();
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    await channel.close();
  });

  it('reaches no other warm child: not its loopback listeners, not the zygotes\' stream sockets its channels go through', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const port = 20_000 + (process.pid % 20_000);
    // The neighbour's zygote started (and its child forked ahead) before the attack.
    expect(resultOf(await execute('neighbour.listen', { port: port + 1, seconds: 0 }))).toMatchObject({ own: { tcp: 'neighbour\n' } });
    const neighbour = execute('neighbour.listen', { port, seconds: 8 });
    await retryUntil(() => jobListensOn(port), { withinMs: 30_000, what: `the neighbour listening on 127.0.0.1:${port} in its namespace` });
    const sockets = zygoteSockets();
    // The hostile pack's zygote and the neighbour's, each with network.
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    const targets = [`127.0.0.1:${port}`, `unix:@packrun-neighbour-${port}`, ...sockets.map((file) => `unix:${file}`)];
    const probe = resultOf<Record<string, Attempt>>(await execute('hostile.attack_network', { case: 'connect_many', paths: targets }));
    for (const target of targets) expectRefused(probe[target], target);
    // Nobody but itself reached the neighbour.
    expect(resultOf(await neighbour)).toEqual({ own: { tcp: 'neighbour\n', abstract: 'neighbour\n' }, accepted: { tcp: 1, abstract: 1 } });
  });

  it('leaves no zygote, namespace or pasta behind when the runtime itself is killed', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const { netns } = resultOf<{ netns: string }>(await execute('hostile.attack_network', { case: 'where' }));
    const runtime = server!.child.pid!;
    // Each namespace's pasta is the runtime's child (Debian runs it as passt.avx2 where the CPU has AVX2).
    const pastas = childrenOf(runtime).filter((child) => /^pas(ta|st)/.test(child.command)).map((child) => child.pid);
    expect(pastas.length).toBeGreaterThan(0);
    // The runtime alone, not its process group: what it started must end because it is gone.
    process.kill(runtime, 'SIGKILL');
    await server!.exited;
    await retryUntil(() => !anyProcessIn(netns) && pastas.every((pid) => !existsSync(`/proc/${pid}/comm`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))), {
      withinMs: 15_000,
      what: `no process left in the zygote's namespace ${netns} and no pasta of the runtime's left`,
    });
  });
});
