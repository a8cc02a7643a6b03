import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { remoteCommandBody, remoteCommandLine, shellQuote } from './remote-command.ts';

/** What /bin/sh makes of a line: its words, each ended by a NUL. */
function words(line: string): string[] {
  return execFileSync('/bin/sh', ['-c', `for word in ${line}; do printf '%s\\0' "$word"; done`], { encoding: 'utf8' }).split('\0').slice(0, -1);
}

/** Runs a line as the remote login shell would, its input held open until `closeInputAfterMs`. */
function runLine(line: string, closeInputAfterMs?: number): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', line], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = closeInputAfterMs === undefined ? undefined : setTimeout(() => child.stdin.end(), closeInputAfterMs);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout });
    });
  });
}

describe('remote command lines', () => {
  it('quotes any value into exactly one shell word', () => {
    for (const value of ['', 'plain', "it's", '$(id)', '`id`', '"; id; "', 'a\nb', '\\', '*', '-n']) {
      expect(words(shellQuote(value)), value).toEqual([value]);
    }
  });

  it("builds StackStorm's command: exports, cd, command; with sudo, all of it inside bash -c", () => {
    const plain = remoteCommandBody({ command: 'uname -a', cwd: '/srv/my app', env: [['A', "x'y"]], sudo: false, sudoPassword: false });
    expect(plain).toBe(`export A='x'"'"'y' && cd '/srv/my app' && uname -a`);
    const sudo = remoteCommandBody({ command: 'id', cwd: '/tmp', env: [], sudo: true, sudoPassword: true });
    expect(sudo).toBe(`sudo -S -E -- bash -c 'cd /tmp && id'`);
  });

  it('runs the body under the watchdog with its exit code while the input stays open', async () => {
    const line = remoteCommandLine({ command: 'echo "$A"; exit 7', cwd: '/', env: [['A', 'v']], sudo: false, sudoPassword: false }, 1);
    const done = runLine(line);
    expect(await done).toEqual({ status: 7, stdout: 'v\n' });
  });

  it('stops the whole process group when the input ends (the runner\'s timeout or cancel, a lost connection)', async () => {
    const tag = `packrun-watchdog-${process.pid}-${Date.now()}`;
    const line = remoteCommandLine({ command: `echo up; sh -c 'sleep 30; echo ${tag}' & wait`, cwd: '/', env: [], sudo: false, sudoPassword: false }, 1);
    const started = Date.now();
    expect(await runLine(line, 300)).toEqual({ status: 143, stdout: 'up\n' });
    expect(Date.now() - started).toBeLessThan(5000);
    // The grandchild shell and its sleep went with the group.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })).not.toContain(tag);
  });
});
