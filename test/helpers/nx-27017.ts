import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './rabbitmq-node.ts';
import { retryUntil } from './retry-until.ts';

/**
 * nx-27017 (PyPI: a MongoDB wire-protocol server on SQLite) as a stand-in for MongoDB, since no
 * MongoDB server installs here. It is not MongoDB: the MongoDB store's contract verdict comes from
 * a real server (PACKRUN_TEST_MONGODB_URL); nx-27017 shows the distributed shape running whole.
 */
const repo = path.resolve(import.meta.dirname, '../..');

/** Why the nx-27017 tests skip, or undefined when they run. */
export function nx27017Skipped(): string | undefined {
  return process.env['PACKRUN_TEST_NX27017'] === '1' ? undefined : 'PACKRUN_TEST_NX27017 is not 1: the distributed shape against nx-27017 is not run';
}

export interface Nx27017 {
  /** mongodb:// URL of a database of its own. */
  url(database: string): string;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Installs nx-27017 into .tools/nx when it is not there (scripts/setup-nx27017.sh), then starts one on a free port. */
export async function startNx27017(): Promise<Nx27017> {
  execFileSync('bash', [path.join(repo, 'scripts/setup-nx27017.sh')], { stdio: 'inherit' });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'packrun-nx27017-'));
  const port = await freePort();
  const child = spawn(
    path.join(repo, '.tools/nx/bin/python'),
    [path.join(repo, 'test/fixtures/nx-27017/serve.py'), '--data-dir', dir, '--port', String(port), '--log-file', path.join(dir, 'nx.log'), '--pid-file', path.join(dir, 'nx.pid')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await retryUntil(() => accepts(port), { what: 'nx-27017 listening', withinMs: 20_000 }).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}: ${stderr}`);
  });
  return {
    url: (database) => `mongodb://127.0.0.1:${port}/${database}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
