import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { sandboxFixture, type SandboxFixture } from './sandbox-fixture.ts';

/**
 * Case 25 of docs/sandbox.md: an execution leaves System V shared memory, a semaphore set and a
 * message queue, a POSIX message queue and a /dev/shm file behind, each open to every uid and
 * holding a canary; the next execution of the same pack (warm: a child of the same zygote, as
 * another uid) looks for them by key and name and lists what there is. Under
 * test/warm-modes.config.ts this runs with warm spawning on and off.
 */
let fixture: SandboxFixture;
let allLayers = false;
let notAllLayers = '';

beforeAll(async () => {
  fixture = await sandboxFixture({});
  allLayers = fixture.host.layers.every((layer) => layer.active);
  if (!allLayers) notAllLayers = `not every layer is active on this host (${fixture.host.layers.filter((layer) => !layer.active).map((layer) => layer.name).join(', ')})`;
}, 600_000);

afterAll(async () => {
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
});

type Attempt = { ok: boolean; value?: unknown; error?: string };
interface Left {
  uid: number;
  created: Record<string, Attempt>;
}
interface Probed {
  uid: number;
  /** Its parent's command line: the zygote's, when it was forked from one. */
  parent: string;
  found: Record<string, Attempt>;
}

const leave = async (canary: string, sleepAfter = 0): Promise<Left> => {
  const outcome = await fixture.run('hostile.attack', { case: 'ipc_leave', canary, paths: [String(sleepAfter)] });
  expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
  return outcome.result['result'] as Left;
};

const probe = async (): Promise<Probed> => {
  const outcome = await fixture.run('hostile.attack', { case: 'ipc_probe' });
  expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
  return outcome.result['result'] as Probed;
};

/** What the next execution found of the earlier one's: nothing, and every listing empty. */
function expectNothingLeft(left: Left, next: Probed, canary: string): void {
  expect(next.uid).not.toBe(left.uid);
  for (const kind of ['shm', 'sem', 'msg', 'mqueue', 'dev_shm']) {
    expect(next.found[kind]?.ok, `${kind}: ${JSON.stringify(next.found[kind])}`).toBe(false);
    expect(next.found[kind]?.error).toMatch(/FileNotFoundError|ENOENT|No such file/);
  }
  expect(next.found['sysvipc']).toEqual({ ok: true, value: { shm: [], sem: [], msg: [] } });
  expect(next.found['dev_shm_listing']).toEqual({ ok: true, value: [] });
  expect(JSON.stringify(next)).not.toContain(canary);
  // They were made, each of them (POSIX shared memory and semaphores need a writable /dev/shm).
  for (const [kind, attempt] of Object.entries(left.created)) expect(attempt.ok, `${kind}: ${attempt.error}`).toBe(true);
}

describe.runIf(process.getuid?.() === 0)('25: IPC objects an execution leaves behind', () => {
  it('are gone for the next execution', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const canary = `ipc${fixture.canary}`;
    // Twice: the first may run cold while the pack's zygote starts, the second is forked from it.
    for (let round = 0; round < 2; round++) {
      const left = await leave(canary);
      const next = await probe();
      expectNothingLeft(left, next, canary);
      if (round === 1 && fixture.config.warmSpawn) expect(next.parent).toContain('packrun_zygote.py');
    }
  });

  it('are gone for a child forked ahead while the execution that left them still ran', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const canary = `ipcahead${fixture.canary}`;
    // The quick execution ends first: warm, the child for the next execution is forked then,
    // while the other one still holds its objects.
    const [left] = await Promise.all([leave(canary, 1.5), fixture.run('hostile.attack', { case: 'victim' })]);
    const next = await probe();
    expectNothingLeft(left, next, canary);
    if (fixture.config.warmSpawn) expect(next.parent).toContain('packrun_zygote.py');
  });
});
