import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import { repoRoot } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';

/** A `packrun` service started as its own process (and process group, so a kill takes its jobs too). */
export interface PackrunProcess {
  readonly child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, withinMs?: number): Promise<void>;
  /** Signals the whole process group. */
  signal(signal: NodeJS.Signals): void;
  readonly exited: Promise<number | null>;
}

export function startPackrun(args: string[], env: Record<string, string>): PackrunProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/bin/packrun.mjs'), ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    child,
    output: () => output,
    async waitForOutput(pattern, withinMs = 60_000) {
      await retryUntil(() => gone || pattern.test(output), { withinMs, what: `${args[0]} printing ${pattern}` });
      if (!pattern.test(output)) throw new Error(`packrun ${args.join(' ')} exited before printing ${pattern}:\n${output}`);
    },
    signal(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    },
    exited,
  };
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

/** A minimal HTTP client for the tests, with the key `packrun up`/`packrun api` wrote. */
export async function apiAt(url: string, home: string) {
  const key = (await readFile(path.join(home, 'secrets', 'cli-api-key'), 'utf8')).trim();
  async function call<T = unknown>(method: string, route: string, body?: unknown, headers: Record<string, string> = { 'x-api-key': key }) {
    const response = await fetch(new URL(route, url), {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
  return { key, call };
}
