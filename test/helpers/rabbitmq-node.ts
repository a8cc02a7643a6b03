import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { retryUntil } from './retry-until.ts';

/**
 * A private RabbitMQ node for tests that stop, kill or restart a broker. It never touches the
 * machine's own broker on 5672: its own node name, ports, data and log folders, an empty plugin
 * list (so no management listener clashes) and its own config and env files (so
 * /etc/rabbitmq/rabbitmq.conf's listener on 5672 is not used). Its Erlang cookie lives in its temp
 * folder (HOME), shared by the server and rabbitmqctl.
 *
 * A node boots in a few seconds: start one per test file (in beforeAll), dispose it in afterAll.
 */
export interface RabbitNode {
  readonly url: string;
  readonly nodeName: string;
  readonly port: number;
  readonly running: boolean;
  /** The management API (http://guest:guest@127.0.0.1:<port>, the admin's with `hardened`) when started with `management: true`. */
  readonly managementUrl: string | undefined;
  readonly managementPort: number | undefined;
  /** An executable script that runs rabbitmqctl against this node (its cookie, its name): `<ctl> list_users`. */
  readonly ctl: string;
  /** Starts it again after stop() or kill(), with the same data: durable queues keep their messages. */
  start(): Promise<void>;
  /** Graceful stop through `rabbitmqctl -n <node> stop`. */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group: a crash. */
  kill(): Promise<void>;
  /** Stops it if running and deletes its folder. */
  dispose(): Promise<void>;
}

const serverScript = process.env['PACKRUN_TEST_RABBITMQ_SERVER'] ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';
const ctlScript = path.join(path.dirname(serverScript), 'rabbitmqctl');

/** Why a private node cannot run here, or undefined when it can. */
export function rabbitNodeUnavailable(): string | undefined {
  if (!existsSync(serverScript)) return `no RabbitMQ server script at ${serverScript} (set PACKRUN_TEST_RABBITMQ_SERVER)`;
  if (!existsSync(ctlScript)) return `no rabbitmqctl beside ${serverScript}`;
  return undefined;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function accepts(url: string): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: 1000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

let sequence = 0;

export interface RabbitNodeOptions {
  /** Enable the management plugin on a port of its own (it boots a few seconds slower). */
  management?: boolean;
  /** The management plugin's port, when it must be a given one (RabbitMQ's default 15672). */
  managementPort?: number;
  /**
   * As an operator should set a broker up for Packrun: an administrator `packrun` with a password
   * of its own (the node's `url` and `managementUrl` log in as it) and no guest user.
   */
  hardened?: boolean;
}

export async function startRabbitNode(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
  const reason = rabbitNodeUnavailable();
  if (reason !== undefined) throw new Error(reason);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-rabbit-'));
  const port = await freePort();
  let distPort = await freePort();
  while (distPort === port) distPort = await freePort();
  sequence += 1;
  const nodeName = `packrun-test-${process.pid}-${sequence}@localhost`;
  const files = {
    plugins: path.join(dir, 'enabled_plugins'),
    config: path.join(dir, 'rabbitmq.conf'),
    envConf: path.join(dir, 'rabbitmq-env.conf'),
    log: path.join(dir, 'server.log'),
  };
  let managementPort: number | undefined;
  if (options.management === true && options.managementPort !== undefined) managementPort = options.managementPort;
  else if (options.management === true) {
    managementPort = await freePort();
    while (managementPort === port || managementPort === distPort) managementPort = await freePort();
  }
  writeFileSync(files.plugins, managementPort === undefined ? '[].\n' : '[rabbitmq_management].\n');
  writeFileSync(
    files.config,
    `listeners.tcp.default = ${port}\n${managementPort === undefined ? '' : `management.tcp.port = ${managementPort}\nmanagement.tcp.ip = 127.0.0.1\n`}`,
  );
  writeFileSync(files.envConf, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    LANG: 'C.UTF-8',
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: files.envConf,
    RABBITMQ_PID_FILE: path.join(dir, 'node.pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  let url = `amqp://guest:guest@127.0.0.1:${port}`;
  let credentials = 'guest:guest';
  const ctl = path.join(dir, 'rabbitmqctl.sh');
  const exports = Object.entries(env).map(([name, value]) => `export ${name}='${String(value ?? '').replace(/'/g, "'\\''")}'`);
  writeFileSync(ctl, ['#!/bin/sh', ...exports, `exec '${ctlScript}' -n '${nodeName}' "$@"`, ''].join('\n'));
  chmodSync(ctl, 0o755);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    if (child !== undefined) return;
    const log = openSync(files.log, 'a');
    const started = spawn(serverScript, [], { env, cwd: dir, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => {
      gone = true;
      if (child === started) child = undefined;
    });
    await retryUntil(async () => gone || (await accepts(url)), { withinMs: 90_000, everyMs: 200, what: `RabbitMQ node ${nodeName} accepting on ${port}` });
    if (gone) throw new Error(`RabbitMQ node ${nodeName} exited while starting:\n${readFileSync(files.log, 'utf8').slice(-3000)}`);
  }

  async function kill(): Promise<void> {
    const current = child;
    if (current?.pid === undefined) return;
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited;
    child = undefined;
  }

  async function stop(): Promise<void> {
    if (child === undefined) return;
    spawnSync(ctlScript, ['-n', nodeName, 'stop'], { env, cwd: dir, timeout: 60_000, stdio: 'ignore' });
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref())]);
    if (!stopped) await kill();
    child = undefined;
  }

  await start();
  if (options.hardened === true) {
    const password = `pw${Math.random().toString(36).slice(2, 14)}`;
    const ctlRun = (...args: string[]): void => {
      const result = spawnSync(ctl, args, { encoding: 'utf8', timeout: 60_000 });
      if (result.status !== 0) throw new Error(`rabbitmqctl ${args[0]} failed: ${result.stderr}`);
    };
    ctlRun('add_user', 'packrun', password);
    ctlRun('set_user_tags', 'packrun', 'administrator');
    ctlRun('set_permissions', '-p', '/', 'packrun', '.*', '.*', '.*');
    ctlRun('delete_user', 'guest');
    credentials = `packrun:${password}`;
    url = `amqp://${credentials}@127.0.0.1:${port}`;
  }
  return {
    get url() {
      return url;
    },
    managementPort,
    nodeName,
    port,
    ctl,
    managementUrl: managementPort === undefined ? undefined : `http://${credentials}@127.0.0.1:${managementPort}`,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    kill,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
