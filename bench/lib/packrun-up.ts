import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './bench-home.ts';
import { executionStream, type ExecutionStream } from './execution-stream.ts';
import { jsonClient, type JsonClient } from './http-client.ts';

/** The fields of an st2 execution record the benches read. */
export interface ExecutionView {
  id: string;
  status: string;
  children?: string[];
}

/**
 * `packrun up` as a user runs it (bin/packrun, its own process, the sandbox as `packrun doctor`
 * reports it, warm spawning as configured by default), driven from this process over real HTTP with
 * the key it wrote, completions read from its event stream.
 */
export interface PackrunUp {
  readonly client: JsonClient;
  readonly stream: ExecutionStream;
  readonly url: string;
  readonly apiKey: string;
  /** The packrun up process (its own, not bin/packrun's shell). */
  readonly pid: number;
  /** The sandbox layers `packrun doctor` reports active on this host, for the figures' notes. */
  readonly layers: string;
  /** Installs packs through POST /api/v1/packs/install and waits for the install to succeed. */
  install(packDirs: string[]): Promise<void>;
  /** POSTs an execution; resolves with its id. */
  request(action: string, parameters: Record<string, unknown>): Promise<string>;
  /** POSTs an execution, waits for the stream to report it completed, then reads its record. */
  execute(action: string, parameters: Record<string, unknown>): Promise<ExecutionView>;
  /** CPU (user + system) the `packrun up` process itself has used so far, in ms: its own threads, not its jobs. */
  cpuMs(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const msPerTick = 10;

function ownCpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop() ?? '').split(' ').map(Number);
  return (fields[11]! + fields[12]!) * msPerTick;
}

export async function startPackrunUp(extraEnv: Record<string, string> = {}): Promise<PackrunUp> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-up-'));
  const home = path.join(root, 'home');
  const env = { ...process.env, PACKRUN_HOME: home, PACKRUN_API_PORT: '0', PACKRUN_LOG_LEVEL: 'error', ...extraEnv };
  const doctor = spawnSync(path.join(repoRoot, 'bin', 'packrun'), ['doctor'], { env, encoding: 'utf8' });
  const layers = doctor.stdout
    .split('\n')
    .filter((line) => /^\s*(bwrap|bubblewrap|seccomp|cgroups|user|network)\b/i.test(line))
    .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '))
    .join(', ');
  const server: ChildProcess = spawn(path.join(repoRoot, 'bin', 'packrun'), ['up'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const cleanUp = async (): Promise<void> => {
    server.kill('SIGTERM');
    await exited;
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const addressFile = path.join(home, 'run', 'api.json');
    for (const deadline = Date.now() + 300_000; !existsSync(addressFile); await sleep(20)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error('packrun up did not record its address');
    }
    const { url, pid } = JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string; pid: number };
    const apiKey = readFileSync(path.join(home, 'secrets', 'cli-api-key'), 'utf8').trim();
    const client = jsonClient(url, { 'x-api-key': apiKey });
    const stream = await executionStream(url, apiKey);
    const read = async (id: string): Promise<ExecutionView> => {
      const { status, body } = await client.request<ExecutionView>('GET', `/api/v1/executions/${id}`);
      if (status !== 200) throw new Error(`GET /api/v1/executions/${id}: ${status} ${JSON.stringify(body)}`);
      return body;
    };
    const request = async (action: string, parameters: Record<string, unknown>): Promise<string> => {
      const created = await client.request<{ id: string }>('POST', '/api/v1/executions', { action, parameters });
      if (created.status !== 201) throw new Error(`POST /api/v1/executions ${action}: ${created.status} ${JSON.stringify(created.body)}`);
      return created.body.id;
    };
    return {
      client,
      stream,
      url,
      apiKey,
      pid,
      layers,
      async install(packDirs) {
        const install = await client.request<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: packDirs });
        if (install.status !== 202) throw new Error(`POST /api/v1/packs/install: ${install.status} ${JSON.stringify(install.body)}`);
        const status = await stream.completion(install.body.execution_id);
        if (status !== 'succeeded') throw new Error(`installing ${packDirs.join(', ')}: ${status}`);
      },
      request,
      async execute(action, parameters) {
        const id = await request(action, parameters);
        await stream.completion(id);
        return read(id);
      },
      cpuMs: () => ownCpuMs(pid),
      async close() {
        stream.close();
        client.close();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
