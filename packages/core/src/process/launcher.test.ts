import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MessageType, type ChildMessage } from '../protocol/messages.ts';
import { buildChildEnv } from './child-env.ts';
import { launchJob, type LaunchSpec } from './launcher.ts';
import type { SpawnDecorator, SpawnSpec } from './spawn-decorator.ts';

const jobDir = mkdtempSync(path.join(os.tmpdir(), 'packrun-launcher-'));
const python = process.env['PACKRUN_TEST_PYTHON'] ?? '/usr/bin/python3';

function spec(command: string, args: string[], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    command,
    args,
    cwd: jobDir,
    env: buildChildEnv({ jobDir, pack: 'tests', executionId: 'exec-1' }),
    context: { kind: 'action', pack: 'tests', packDir: jobDir, jobDir, executionId: 'exec-1' },
    killGraceMs: 500,
    outputCapBytes: 64 * 1024,
    controlChannel: false,
    ...extra,
  };
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers kill(0); only a live process counts.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function retryUntil(check: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A tiny child speaking the wire protocol on fd 3, standing in for the real wrappers.
const echoJob = `
import json, socket, struct, sys
s = socket.socket(fileno=3)
def read(n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: sys.exit(3)
        b += c
    return b
(n,) = struct.unpack('>I', read(4))
job = json.loads(read(n))
body = json.dumps({"type": "result", "result": {"got": job["job"]["parameters"]}, "success": None}).encode()
print("__RESULT__ {\\"forged\\": true}")
s.sendall(struct.pack('>I', len(body)) + body)
`;

describe('launchJob', () => {
  it('gives the child only the allow-listed environment', async () => {
    process.env['PACKRUN_TEST_CANARY'] = 'canary-secret';
    const exit = await launchJob(spec('/usr/bin/env', []));
    delete process.env['PACKRUN_TEST_CANARY'];
    expect(exit.exitCode).toBe(0);
    expect(exit.stdout).not.toContain('canary-secret');
    expect(exit.stdout).toContain('ST2_ACTION_EXECUTION_ID=exec-1');
    expect(exit.stdout).toContain(`HOME=${jobDir}`);
  });

  it('exchanges frames on fd 3 and keeps stdout apart from them', async () => {
    const messages: ChildMessage[] = [];
    const exit = await launchJob(
      spec(python, ['-I', '-c', echoJob], {
        controlChannel: true,
        initialMessages: [
          {
            type: MessageType.job,
            job: { kind: 'action', execution_id: 'exec-1', pack: 'tests', action: 'a', entry_point: '/x', pack_dir: '/', parameters: { n: 1 }, config: {}, log_level: 'info' },
          },
        ],
        onMessage: (message) => messages.push(message),
      }),
    );
    expect(exit.exitCode).toBe(0);
    expect(messages).toEqual([{ type: 'result', result: { got: { n: 1 } }, success: null }]);
    expect(exit.stdout).toContain('__RESULT__');
  });

  it('stops a job whose frame announces more than the limit', async () => {
    const exit = await launchJob(
      spec(python, ['-I', '-c', 'import os,struct,time\nos.write(3, struct.pack(">I", 2**31))\ntime.sleep(30)'], { controlChannel: true }),
    );
    expect(exit.protocolError).toMatch(/is 2147483648 bytes, over the limit/);
    expect(exit.durationMs).toBeLessThan(10_000);
  });

  it('kills the whole process group on timeout, forked children included', async () => {
    const exit = await launchJob(spec('/bin/sh', ['-c', 'sleep 60 & echo $!; sleep 60'], { timeoutMs: 300 }));
    expect(exit.stopReason).toBe('timeout');
    const forked = Number(exit.stdout.trim());
    expect(forked).toBeGreaterThan(0);
    await retryUntil(() => !alive(forked) && !alive(exit.pid));
  });

  it('kills a child that traps SIGTERM after the grace', async () => {
    const exit = await launchJob(spec('/bin/sh', ['-c', "trap '' TERM; sleep 60"], { timeoutMs: 200, killGraceMs: 300 }));
    expect(exit.stopReason).toBe('timeout');
    expect(exit.exitSignal).toBe('SIGKILL');
  });

  it('kills what the main child left running after it exits', async () => {
    const exit = await launchJob(spec('/bin/sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!']));
    expect(exit.exitCode).toBe(0);
    await retryUntil(() => !alive(Number(exit.stdout.trim())));
  });

  it('cancels through the AbortSignal', async () => {
    const controller = new AbortController();
    const run = launchJob(spec('/bin/sh', ['-c', 'echo started; sleep 60'], { signal: controller.signal, onOutput: () => controller.abort() }));
    const exit = await run;
    expect(exit.stopReason).toBe('canceled');
  });

  it('caps stdout but drains it to the end', async () => {
    const exit = await launchJob(spec(python, ['-I', '-c', 'import sys\nsys.stdout.write("x" * 3_000_000)\nprint("done", file=sys.stderr)'], { outputCapBytes: 4096 }));
    expect(exit.exitCode).toBe(0);
    expect(exit.stdout.length).toBe(4096);
    expect(exit.truncated).toEqual({ stdout: true, stderr: false });
    expect(exit.stderr).toBe('done\n');
  });

  // The pauses let each write reach us before the next: two pipes carry no order of their own.
  const alternating = (writes: string) => `import sys, time\nfor stream, data in ${writes}:\n    stream.write(data)\n    stream.flush()\n    time.sleep(0.15)\n`;

  it('records the order stdout and stderr came in, over the text kept', async () => {
    const exit = await launchJob(spec(python, ['-I', '-c', alternating('[(sys.stdout, "one\\n"), (sys.stderr, "two\\n"), (sys.stdout, "three\\n"), (sys.stdout, "four\\n"), (sys.stderr, "é!")]')]));
    expect(exit.stdout).toBe('one\nthree\nfour\n');
    expect(exit.stderr).toBe('two\né!');
    expect(exit.outputRuns).toEqual([[0, 4], [1, 4], [0, 11], [1, 3]]);
  });

  it('counts a character split across writes with the write that completes it, and cut at the cap as U+FFFD', async () => {
    const writes = '[(sys.stdout.buffer, b"a\\xc3"), (sys.stderr.buffer, b"b"), (sys.stdout.buffer, b"\\xa9" + "日".encode() * 3000)]';
    const exit = await launchJob(spec(python, ['-I', '-c', alternating(writes)], { outputCapBytes: 4096 }));
    // 4096 bytes kept: "a", the two halves of é, 1364 whole 日 and one byte of the next.
    expect(exit.stdout).toBe(`aé${'日'.repeat(1364)}\uFFFD`);
    expect(exit.truncated).toEqual({ stdout: true, stderr: false });
    expect(exit.outputRuns).toEqual([[0, 1], [1, 1], [0, 2 + 1364 * 3 + 3]]);
    expect(exit.outputRuns.filter(([stream]) => stream === 0).reduce((sum, [, bytes]) => sum + bytes, 0)).toBe(Buffer.byteLength(exit.stdout));
  });

  it('stops a job whose output passes the limit and says why', async () => {
    const exit = await launchJob(spec('/bin/sh', ['-c', 'yes; sleep 60'], { outputCapBytes: 4096, outputLimitBytes: 1024 * 1024 }));
    expect(exit.stopReason).toBe('output_limit');
    expect(exit.stdout.length).toBe(4096);
    expect(exit.truncated.stdout).toBe(true);
  });

  it('refuses a job too large for one frame before starting anything', async () => {
    const marker = path.join(jobDir, 'started');
    const job = { kind: 'action' as const, execution_id: 'exec-1', pack: 'tests', action: 'a', entry_point: '/x', pack_dir: '/', parameters: { big: 'x'.repeat(65 * 1024 * 1024) }, config: {}, log_level: 'info' };
    await expect(
      launchJob(spec('/bin/sh', ['-c', `touch ${marker}`], { controlChannel: true, initialMessages: [{ type: MessageType.job, job }] })),
    ).rejects.toMatchObject({ code: 'JOB_TOO_LARGE' });
    expect(existsSync(marker)).toBe(false);
  });

  it('fails plainly when the command does not exist', async () => {
    await expect(launchJob(spec('/nonexistent/binary', []))).rejects.toMatchObject({ code: 'PROCESS_SPAWN_FAILED' });
  });
});

describe('launchJob with given variables (jobEnv)', () => {
  /** A decorator that spawns as given and records what it was asked to start, as a sandbox's would be. */
  function recordingDecorator(): { decorator: SpawnDecorator; wrapped: SpawnSpec[] } {
    const wrapped: SpawnSpec[] = [];
    return {
      wrapped,
      decorator: {
        async wrap(spawnSpec) {
          wrapped.push(spawnSpec);
          return { command: spawnSpec.command, args: spawnSpec.args, env: spawnSpec.env, async killAll() {}, async afterExit() { return { oomKilled: false, pidsLimitHit: false }; } };
        },
      },
    };
  }

  it('hands a shell job its variables through the exec shim, never in what the sandbox starts', async () => {
    const { decorator, wrapped } = recordingDecorator();
    const exit = await launchJob(spec('/bin/sh', ['-c', 'echo "$GIVEN|$PACKRUN_PACK|$HOME"'], { decorator, jobEnv: { GIVEN: "it's $x", PACKRUN_PACK: 'forged' } }));
    expect(exit.stdout.trim()).toBe(`it's $x|tests|${jobDir}`);
    expect(wrapped).toHaveLength(1);
    expect(wrapped[0]!.command).toBe('/bin/sh');
    expect(wrapped[0]!.args.at(-2)).toBe('packrun-exec-shim');
    expect(JSON.stringify(wrapped[0]!.env)).not.toContain("it's");
  });

  it('starts a job outside any sandbox with its variables, as nothing runs before it', async () => {
    const exit = await launchJob(spec('/bin/sh', ['-c', 'echo "$GIVEN"'], { jobEnv: { GIVEN: 'plain' } }));
    expect(exit.stdout.trim()).toBe('plain');
  });
});
