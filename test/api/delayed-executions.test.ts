import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { st2Missing, st2User } from '../st2client/st2-cli.ts';

/**
 * st2's `delay`: an execution asked with one waits `delayed` that long, then is scheduled and
 * runs. The delay is kept in the store, so a `packrun up` killed meanwhile schedules it when it is
 * back; a delayed execution canceled never runs. Real `packrun up` processes over HTTP, and the
 * real st2 CLI's `st2 run --delay`.
 */
let home: PackrunHome;
let server: PackrunProcess;
let api: Awaited<ReturnType<typeof apiAt>>;
const users = mkdtempSync(path.join(os.tmpdir(), 'packrun-delay-st2-'));
if (st2Missing) console.log(`skipping st2 run --delay: ${st2Missing}`);

async function startUp(): Promise<void> {
  server = startPackrun(['up'], home.env);
  await server.waitForOutput(/packrun is up/);
  api = await apiAt(`http://127.0.0.1:${home.env['PACKRUN_API_PORT']}`, home.home);
}

async function execution(id: string): Promise<St2Execution> {
  return (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;
}

async function completed(id: string): Promise<St2Execution> {
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = await execution(id)).status), { withinMs: 30_000, what: `execution ${id} to complete` });
  return record!;
}

const statuses = (record: St2Execution): string[] => record.log.map((change) => change.status);

beforeAll(async () => {
  home = await homeWithPacks(['core'], { PACKRUN_API_PORT: String(await freePort()) });
  await startUp();
}, 120_000);

afterAll(async () => {
  server?.signal('SIGTERM');
  await server?.exited;
  await rm(users, { recursive: true, force: true });
  if (home) await rm(home.home, { recursive: true, force: true });
});

describe("st2's execution delay", () => {
  it('holds the execution delayed for the delay, then schedules and runs it', async () => {
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo later' }, delay: 1500 });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('delayed');
    expect(created.body.delay).toBe(1500);
    expect(created.body.liveaction.delay).toBe(1500);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await execution(created.body.id)).status).toBe('delayed');
    const done = await completed(created.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.result?.['stdout']).toBe('later');
    // A runner may take it between its release and its being marked scheduled.
    expect(statuses(done).filter((status) => status !== 'scheduled')).toEqual(['requested', 'delayed', 'requested', 'running', 'succeeded']);
    expect(Date.parse(done.log[2]!.timestamp) - Date.parse(done.start_timestamp)).toBeGreaterThanOrEqual(1500);
  });

  it('re-runs an execution with a delay', async () => {
    const first = await completed((await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo again' } })).body.id);
    const again = await api.call<St2Execution>('POST', `/api/v1/executions/${first.id}/re_run`, { delay: 800 });
    expect(again.status).toBe(201);
    expect(again.body.status).toBe('delayed');
    const done = await completed(again.body.id);
    expect([done.status, done.result?.['stdout']]).toEqual(['succeeded', 'again']);
  });

  it('cancels a delayed execution: it ends canceled and never runs', async () => {
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo never' }, delay: 60_000 });
    const canceled = await api.call<St2Execution>('DELETE', `/api/v1/executions/${created.body.id}`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(statuses(await execution(created.body.id))).toEqual(['requested', 'delayed', 'canceled']);
  });

  it('refuses a delay out of range, naming the parameter', async () => {
    for (const delay of [-1, 1.5, 8 * 24 * 3600 * 1000, 'soon']) {
      const refused = await api.call<{ code: string; message: string }>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, delay });
      expect(refused.status, JSON.stringify(delay)).toBe(400);
      expect(refused.body.message).toMatch(/delay/);
    }
  });

  it('keeps a delay across packrun up SIGKILLed: started again after it ran out, the execution runs at once', async () => {
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo survived' }, delay: 1000 });
    expect(created.body.status).toBe('delayed');
    server.signal('SIGKILL');
    await server.exited;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await startUp();
    const done = await completed(created.body.id);
    expect([done.status, done.result?.['stdout']]).toEqual(['succeeded', 'survived']);
    expect(statuses(done).filter((status) => status === 'running')).toHaveLength(1);
  }, 120_000);

  it.skipIf(st2Missing !== undefined)('st2 run --async --delay, with the real st2 CLI', async () => {
    const st2 = st2User(users, { api: `http://127.0.0.1:${home.env['PACKRUN_API_PORT']}/api` });
    const result = await st2.run(['run', '--async', '--delay', '1000', 'core.local', 'cmd=echo from st2'], { ST2_API_KEY: api.key });
    expect(result.code, result.stderr).toBe(0);
    const id = /st2 execution get (\S+)/.exec(result.stdout)?.[1] ?? '';
    expect((await execution(id)).status).toBe('delayed');
    const done = await completed(id);
    expect([done.status, done.result?.['stdout'], done.delay]).toEqual(['succeeded', 'from st2', 1000]);
  });
});
