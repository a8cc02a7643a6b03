import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bwrapArgs } from './bwrap-args.ts';

// Binds of folders that do not exist are dropped, so the layout is made for real.
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bwrap-args-'));
const data = path.join(root, 'data');
const pack = path.join(data, 'packs', 'p');
const job = path.join(data, 'jobs', 'j1');
const work = path.join(root, 'work');
mkdirSync(pack, { recursive: true });
mkdirSync(job, { recursive: true });
mkdirSync(path.join(work, 'sub'), { recursive: true });
const base = { cwd: job, tmpMb: 8, scratchMb: 16, switchesUser: true, seccompFd: 9 };

function pairs(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ''] : []));
}

describe('bwrapArgs', () => {
  it('binds only what it is given, read-only, and makes the job folder a sized tmpfs after them', () => {
    const args = bwrapArgs({ ...base, readOnly: [work, path.join(work, 'sub'), pack], scratch: [job], network: true });
    expect(pairs(args, '--ro-bind').filter((p) => p.startsWith(root))).toEqual([pack, work]);
    expect(args).not.toContain('--bind');
    const tmpfs = args.lastIndexOf('--tmpfs');
    expect(args[tmpfs + 1]).toBe(job);
    expect(args.slice(tmpfs - 4, tmpfs)).toEqual(['--perms', '1777', '--size', String(16 * 1024 * 1024)]);
    expect(tmpfs).toBeGreaterThan(args.lastIndexOf('--ro-bind'));
    expect(args).not.toContain('--unshare-net');
  });

  it('creates the parents of binds traversable but unlistable, and never binds the data folder itself', () => {
    const args = bwrapArgs({ ...base, readOnly: [pack], scratch: [job], network: false });
    expect(pairs(args, '--dir')).toEqual([root, data, path.join(data, 'packs'), path.join(data, 'jobs')]);
    expect(pairs(args, '--perms').filter((mode) => mode === '0711')).toHaveLength(4);
    expect(pairs(args, '--ro-bind')).not.toContain(data);
    expect(args).toContain('--unshare-net');
  });

  it('keeps only the capabilities setpriv needs, and loads seccomp from the given fd', () => {
    const args = bwrapArgs({ ...base, readOnly: [], scratch: [], network: true });
    expect(pairs(args, '--cap-drop')).toEqual(['ALL']);
    expect(pairs(args, '--cap-add')).toEqual(['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP']);
    expect(pairs(args, '--seccomp')).toEqual(['9']);
    expect(pairs(bwrapArgs({ ...base, switchesUser: false, seccompFd: undefined, readOnly: [], scratch: [], network: true }), '--cap-add')).toEqual([]);
  });

  it('gives every sandbox an IPC namespace and a private capped /dev/shm; a zygote also sees its message queues', () => {
    const job = bwrapArgs({ ...base, readOnly: [], scratch: [], network: true });
    expect(job).toContain('--unshare-ipc');
    const shm = job.indexOf('/dev/shm');
    expect(job.slice(shm - 5, shm + 1)).toEqual(['--perms', '1777', '--size', String(8 * 1024 * 1024), '--tmpfs', '/dev/shm']);
    expect(shm).toBeGreaterThan(job.indexOf('--dev'));
    expect(job).not.toContain('--mqueue');
    expect(pairs(bwrapArgs({ ...base, readOnly: [], scratch: [], network: true, mqueue: true }), '--mqueue')).toEqual(['/dev/mqueue']);
  });
});
