import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * `packrun up` SIGKILLed with a workflow between two of its tasks: the next start resumes it from
 * the stored state, and every task runs exactly once. One action runner slot, held by a sleeper,
 * keeps the workflow's next task queued (no task of it running) when the kill comes.
 */
let home: PackrunHome;
let env: Record<string, string>;
const running: PackrunProcess[] = [];

beforeAll(async () => {
  home = await homeWithPacks(['core', '../test/workflows/packs/wftest']);
  const port = await freePort();
  env = {
    ...home.env,
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_RUNNER_CONCURRENCY: '1',
  };
}, 120_000);

afterEach(async () => {
  if (process.env['WF_DEBUG']) for (const server of running) console.log(server.output());
  for (const server of running.splice(0)) {
    server.signal('SIGKILL');
    await server.exited;
  }
});

afterAll(async () => {
  for (const server of running) server.signal('SIGKILL');
});

async function up(): Promise<PackrunProcess> {
  const server = startPackrun(['up'], env);
  running.push(server);
  await server.waitForOutput(/packrun is up/);
  return server;
}

async function kill(server: PackrunProcess): Promise<void> {
  server.signal('SIGKILL');
  await server.exited;
  running.splice(running.indexOf(server), 1);
}

type Api = Awaited<ReturnType<typeof apiAt>>;

/** The CLI's environment with no server named: it works on the store itself (a named one that does not answer is an error). */
function withoutServer(): Record<string, string> {
  const { PACKRUN_API_URL: _named, ...rest } = env;
  return rest;
}

async function children(api: Api, id: string): Promise<St2Execution[]> {
  return (await api.call<St2Execution[]>('GET', `/api/v1/executions/${id}/children`)).body;
}

/** Starts a sleeper that holds the only runner slot, and waits until it runs. */
async function holdTheRunner(api: Api): Promise<string> {
  const sleeper = (await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'sleep 300' } })).body;
  await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${sleeper.id}`)).body.status === 'running', { withinMs: 30_000, what: 'the sleeper running' });
  return sleeper.id;
}

describe('a workflow across packrun up being SIGKILLed', () => {
  it('packrun run runs a workflow through the server, and says without one that the workflow engine runs workflows', async () => {
    const alone = await runPackrunCli(['run', 'wftest.three_steps'], withoutServer());
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('WORKFLOW_NEEDS_ENGINE');
    await up();
    const run = await runPackrunCli(['run', 'wftest.three_steps', 'word=cli', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { status: string; result: { tasks: Array<{ result: { stdout: string } }> } };
    expect(document.status).toBe('succeeded');
    expect(document.result.tasks.map((task) => task.result.stdout)).toEqual(['1 cli', '2 1 cli', '3 2 1 cli']);
  }, 120_000);

  it('resumes after each kill between two tasks and runs every task exactly once', async () => {
    let server = await up();
    let api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    await holdTheRunner(api);
    const workflow = (await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'wftest.three_steps', parameters: { word: 'jump' } })).body;
    // The first task is asked for and queued behind the sleeper: the workflow is between tasks.
    await retryUntil(async () => (await children(api, workflow.id)).some((child) => child.status === 'scheduled'), { withinMs: 30_000, what: 'the first task queued' });
    await kill(server);

    // Second life: the first task runs; the kill comes with the second queued behind a new sleeper.
    server = await up();
    api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    await retryUntil(async () => (await children(api, workflow.id)).some((child) => child.action.ref === 'core.echo' && child.status === 'succeeded'), {
      withinMs: 60_000,
      what: 'the first task done after the restart',
    });
    await holdTheRunner(api);
    // The next task (the second, or the third if the second ran before the sleeper) waits queued.
    await retryUntil(async () => (await children(api, workflow.id)).some((child) => child.status === 'scheduled'), { withinMs: 30_000, what: 'a later task queued' });
    await kill(server);

    // Third life: it finishes.
    server = await up();
    api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    let done: St2Execution | undefined;
    await retryUntil(
      async () => {
        done = (await api.call<St2Execution>('GET', `/api/v1/executions/${workflow.id}`)).body;
        return isCompleted(done.status);
      },
      { withinMs: 90_000, what: 'the workflow to finish' },
    );
    expect(done!.status).toBe('succeeded');
    const tasks = done!.result?.['tasks'] as Array<{ name: string; state: string; result: { stdout: string } }>;
    expect(tasks.map((task) => [task.name, task.state, task.result.stdout])).toEqual([
      ['first', 'succeeded', '1 jump'],
      ['second', 'succeeded', '2 1 jump'],
      ['third', 'succeeded', '3 2 1 jump'],
    ]);
    const all = await children(api, workflow.id);
    expect(all).toHaveLength(3);
    for (const child of all) {
      // Ran once: one claim by a runner, one success.
      expect(child.log.filter((change) => change.status === 'running')).toHaveLength(1);
      expect(child.status).toBe('succeeded');
    }
    // The workflow itself was never given up on: it ran through both kills.
    expect(done!.log.map((change) => change.status)).toEqual(['requested', 'scheduled', 'running', 'succeeded']);

    const tree = await runPackrunCli(['execution', 'get', workflow.id], env);
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout).toMatch(/tasks:\n {2}├─ first: core\.echo {2}succeeded {2}\d+\.\d\ds {2}\w+\n {2}├─ second: core\.echo {2}succeeded/);
    expect(tree.stdout).toMatch(/└─ third: core\.echo {2}succeeded/);
    const listed = await runPackrunCli(['execution', 'list', '--parent', workflow.id, '--json'], env);
    expect((JSON.parse(listed.stdout) as { total: number }).total).toBe(3);
    // Without the server, the CLI reads the same tree from the store.
    await kill(server);
    const offline = await runPackrunCli(['execution', 'get', workflow.id], withoutServer());
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/tasks:\n {2}├─ first: core\.echo {2}succeeded/);
    const offlineList = await runPackrunCli(['execution', 'list', '--parent', workflow.id, '--json'], withoutServer());
    expect((JSON.parse(offlineList.stdout) as { total: number }).total).toBe(3);
  }, 300_000);
});
