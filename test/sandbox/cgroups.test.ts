import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectSandbox, loadConfig } from '@packrun/core';
import { describe, expect, it } from 'vitest';

describe.runIf(process.getuid?.() === 0)('job cgroups', () => {
  it('start-up removes the job cgroups of a runtime that died, and leaves those of live ones', async (context) => {
    const config = loadConfig({ PACKRUN_HOME: mkdtempSync(path.join(os.tmpdir(), 'packrun-cgroups-')) });
    const first = await detectSandbox(config);
    if (first.cgroups?.version !== 1) {
      const reason = `needs cgroup v1 job cgroups (${first.layers.find((layer) => layer.name === 'cgroups')?.reason})`;
      console.warn(`skipped: ${reason}`);
      return context.skip(reason);
    }
    const dead = spawnSync('/bin/true').pid!;
    const stale = path.join(first.cgroups.pids, `action-x-e1-${dead}-0badc0de`);
    const live = path.join(first.cgroups.pids, `action-x-e2-${process.pid}-0badc0de`);
    mkdirSync(stale);
    mkdirSync(live);
    try {
      await detectSandbox(config);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      for (const dir of [stale, live]) if (existsSync(dir)) spawnSync('rmdir', [dir]);
    }
  });
});
