import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packGroupId } from '@packrun/core';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { hostilePackDir, repoRoot, sandboxFixture, type SandboxFixture } from './sandbox-fixture.ts';

type Probe = Record<string, { ok: boolean; value?: unknown; error?: string }>;

/**
 * Host paths per pack (issue 13): folders the operator grants a pack, or one of its actions, are
 * bound at the same path inside the sandbox, read-only or writable; nothing else of the host is.
 */
let fixture: SandboxFixture;
let skipReason: string | undefined;
const base = mkdtempSync(path.join(os.tmpdir(), 'packrun-host-paths-'));
const readOnly = path.join(base, 'reports');
const writable = path.join(base, 'clones');
const actionOnly = path.join(base, 'action-only');
const ungranted = path.join(base, 'private');

beforeAll(async () => {
  for (const dir of [readOnly, writable, actionOnly, ungranted]) mkdirSync(dir, { mode: 0o755 });
  // What an operator grants read-only, the job uids must be able to read (docs/configuration.md).
  chmodSync(readOnly, 0o755);
  writeFileSync(path.join(readOnly, 'data.csv'), 'name,size\nann,3\n', { mode: 0o644 });
  writeFileSync(path.join(actionOnly, 'only.txt'), 'for attack_network\n', { mode: 0o644 });
  writeFileSync(path.join(ungranted, 'secret.txt'), 'not for packs\n', { mode: 0o644 });
  fixture = await sandboxFixture(
    { PACKRUN_SANDBOX_HOST_PATHS: `hostile=${readOnly},hostile=${writable}:rw,hostile.attack_network=${actionOnly},csv=${readOnly}` },
    [hostilePackDir, path.join(repoRoot, 'test', 'fixtures', 'exchange', 'csv')],
  );
  const bwrap = fixture.host.layers.find((layer) => layer.name === 'bubblewrap');
  if (!bwrap?.active) skipReason = `bubblewrap is not active here (${bwrap?.reason}): without it the whole host is visible and a grant changes nothing`;
}, 600_000);

afterAll(async () => {
  if (fixture) {
    await processZygotePool(fixture.config).close();
    await processPrespawnPool(fixture.config).close();
  }
  rmSync(base, { recursive: true, force: true });
});

describe.runIf(process.getuid?.() === 0)('host paths granted to a pack', () => {
  it('are read where granted, at the same path; an ungranted folder and another action\'s grant are not there', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const outcome = await fixture.run('hostile.attack', { case: 'read', paths: [path.join(readOnly, 'data.csv'), writable, path.join(ungranted, 'secret.txt'), ungranted, path.join(actionOnly, 'only.txt')] });
    const probe = outcome.result['result'] as Probe;
    expect(probe[path.join(readOnly, 'data.csv')], JSON.stringify(probe)).toMatchObject({ ok: true, value: 'name,size\nann,3\n' });
    expect(probe[writable]?.ok, JSON.stringify(probe)).toBe(true);
    expect(probe[path.join(ungranted, 'secret.txt')]?.error).toMatch(/FileNotFoundError/);
    expect(probe[ungranted]?.ok).toBe(false);
    expect(probe[path.join(actionOnly, 'only.txt')]?.error).toMatch(/FileNotFoundError/);
  });

  it('let StackStorm Exchange\'s csv.parse_file read a granted file, and not an ungranted one', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const granted = await fixture.run('csv.parse_file', { file_path: path.join(readOnly, 'data.csv') });
    expect(granted.status, JSON.stringify(granted.result)).toBe('succeeded');
    expect(granted.result['result']).toEqual([['name', 'size'], ['ann', '3']]);
    const refused = await fixture.run('csv.parse_file', { file_path: path.join(ungranted, 'secret.txt') });
    expect(refused.status).toBe('failed');
    // The pack's own check: to it, the file is not there.
    expect(refused.result['error']).toMatch(/doesnt exist/);
  });

  it('granted to one action, are that action\'s only', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const outcome = await fixture.run('hostile.attack_network', { case: 'read', paths: [path.join(actionOnly, 'only.txt'), path.join(readOnly, 'data.csv')] });
    const probe = outcome.result['result'] as Probe;
    expect(probe[path.join(actionOnly, 'only.txt')], JSON.stringify(probe)).toMatchObject({ ok: true, value: 'for attack_network\n' });
    expect(probe[path.join(readOnly, 'data.csv')]?.ok).toBe(true);
  });

  it('read-only stays read-only for the job, even though root could write there', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const outcome = await fixture.run('hostile.attack', { case: 'write', paths: [readOnly, path.join(readOnly, 'data.csv')] });
    const probe = outcome.result['result'] as Probe;
    for (const target of [readOnly, path.join(readOnly, 'data.csv')]) expect(probe[target]?.error, JSON.stringify(probe)).toMatch(/Read-only file system|Permission denied/);
    expect(readFileSync(path.join(readOnly, 'data.csv'), 'utf8')).toBe('name,size\nann,3\n');
  });

  it('writable: what one job writes, the next job (another uid) rewrites, through the pack\'s group', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const written = path.join(writable, 'hostile-was-here');
    for (let round = 0; round < 2; round++) {
      const outcome = await fixture.run('hostile.attack', { case: 'write', paths: [writable] });
      expect((outcome.result['result'] as Probe)[writable], JSON.stringify(outcome.result)).toMatchObject({ ok: true });
    }
    const file = statSync(written);
    expect(readFileSync(written, 'utf8')).toBe('pwned');
    expect(file.gid).toBe(packGroupId('hostile'));
    expect(file.mode & 0o060).toBe(0o060);
    const folder = statSync(writable);
    expect(folder.gid).toBe(packGroupId('hostile'));
    expect(folder.mode & 0o2070).toBe(0o2070);
  });

  it('the runtime never follows a link a job left in a writable folder', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const target = path.join(ungranted, 'secret.txt');
    const before = statSync(target);
    symlinkSync(target, path.join(writable, 'link-to-private'));
    // A runtime started afresh prepares the writable folder again.
    const again = await sandboxFixture({ PACKRUN_SANDBOX_HOST_PATHS: `hostile=${writable}:rw` }, [hostilePackDir]);
    const outcome = await again.run('hostile.attack', { case: 'read', paths: [path.join(writable, 'link-to-private')] });
    expect(outcome.status).toBe('succeeded');
    // Inside the sandbox the link points at a path that is not there.
    expect((outcome.result['result'] as Probe)[path.join(writable, 'link-to-private')]?.ok).toBe(false);
    const after = statSync(target);
    expect({ gid: after.gid, mode: after.mode }).toEqual({ gid: before.gid, mode: before.mode });
    expect(lstatSync(path.join(writable, 'link-to-private')).isSymbolicLink()).toBe(true);
    await processZygotePool(again.config).close();
  });
});
