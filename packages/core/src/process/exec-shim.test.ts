import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { execShimArgs, execShimScript, fitsExecShim } from './exec-shim.ts';

/** Starts a real shim, hands it `job`, and collects what the command it became printed. */
function runThroughShim(job: Parameters<typeof execShimScript>[0] & { startEnv: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', [...execShimArgs, job.token], { cwd: '/', env: job.startEnv, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    (child.stdio[3] as Writable).write(execShimScript(job));
  });
}

describe('exec shim', () => {
  it('becomes the command with exactly its arguments, environment and folder, whatever they hold', async () => {
    const tricky = "it's \"quoted\" $HOME `date` \\ and\na second line";
    const ran = await runThroughShim({
      argv: ['/bin/sh', '-c', 'printf "%s|" "$@"; echo; pwd; printf "A=%s\\n" "$A"; env', 'name', tricky, ''],
      env: { PATH: '/usr/bin:/bin', A: tricky, EMPTY: '' },
      cwd: '/tmp',
      startEnvNames: ['SHIM_ONLY'],
      startEnv: { SHIM_ONLY: 'must not leak' },
      token: 'b3f1c0ffee',
    });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    // Its two arguments, each followed by |, then its folder, then its environment.
    const head = `${tricky}||\n/tmp\n`;
    expect(ran.stdout.startsWith(head)).toBe(true);
    const env = ran.stdout.slice(head.length);
    expect(env).toContain(`A=${tricky}\n`);
    expect(env).toContain('EMPTY=\n');
    expect(env).toContain('PATH=/usr/bin:/bin\n');
    // Nothing of the shim's own environment, nor the OLDPWD its cd would have exported.
    expect(env).not.toContain('SHIM_ONLY');
    expect(env).not.toContain('OLDPWD');
  });

  it('ends quietly when the runtime closes its channel before a job arrives', async () => {
    const child = spawn('/bin/sh', [...execShimArgs, 'token'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      (child.stdio[3] as Writable).end();
    });
    expect(code).toBe(0);
  });

  it('takes only jobs a shell can set up and read quickly', () => {
    const job = { argv: ['/bin/sh', '-c', 'true'], cwd: '/tmp' };
    expect(fitsExecShim({ ...job, env: { PATH: '/bin', _ok9: 'x' } })).toBe(true);
    expect(fitsExecShim({ ...job, env: { 'not-a-name': 'x' } })).toBe(false);
    expect(fitsExecShim({ ...job, env: { '9lives': 'x' } })).toBe(false);
    expect(fitsExecShim({ ...job, env: { BIG: 'x'.repeat(64 * 1024) } })).toBe(false);
  });
});
