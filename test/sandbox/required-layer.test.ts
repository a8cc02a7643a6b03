import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSandboxDecorator, detectSandbox, launchJob, loadConfig } from '@packrun/core';
import { describe, expect, it } from 'vitest';

describe.runIf(process.getuid?.() === 0)('a required sandbox layer', () => {
  it('that the host cannot provide stops every job from starting, naming the layer', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-required-'));
    const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_SANDBOX_BWRAP: 'off', PACKRUN_SANDBOX_SECCOMP: 'required' });
    const decorator = createSandboxDecorator({ host: await detectSandbox(config), config });
    const started = launchJob({
      command: '/bin/true',
      args: [],
      cwd: home,
      env: { PATH: '/usr/bin:/bin' },
      context: { kind: 'action', pack: 'p', packDir: home, jobDir: home, executionId: 'e' },
      killGraceMs: 1000,
      outputCapBytes: 1024,
      controlChannel: false,
      decorator,
    });
    await expect(started).rejects.toMatchObject({ code: 'SANDBOX_LAYER_MISSING', message: expect.stringContaining('seccomp') });
  });
});
