import { spawn } from 'node:child_process';
import type { ToolLineFilter } from './tool-progress.ts';
import { PackrunError, type SandboxReport, type SpawnContext, type SpawnDecorator, type WrappedSpawn } from '@packrun/core';

/** Runs the tool inside the sandbox, as an env build: see build-sandbox.ts. */
export interface ToolSandbox {
  decorator: SpawnDecorator;
  context: SpawnContext;
  /** Wall-clock limit; the tool's whole tree is killed when it passes. */
  timeoutMs: number;
}

export interface ToolRun {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line the tool prints (stdout and stderr), as it prints it (after `lineFilter`). */
  onLine?: (line: string) => void;
  /** Rewrites or drops (undefined) each line before it is passed on and kept for an error. */
  lineFilter?: ToolLineFilter;
  signal?: AbortSignal;
  sandbox?: ToolSandbox;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

const keptTailLines = 40;

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Why a sandboxed tool stopped, when it was not its own choice. */
function stopReason(report: SandboxReport, timedOut: boolean, run: ToolRun): string | undefined {
  if (timedOut) return `timed out after ${Math.round((run.sandbox?.timeoutMs ?? 0) / 1000)} s`;
  if (report.oomKilled) return 'out of memory (the build memory limit, PACKRUN_SANDBOX_BUILD_MEMORY_MB)';
  if (report.pidsLimitHit) return 'hit the build process limit (PACKRUN_SANDBOX_BUILD_PIDS)';
  return undefined;
}

/**
 * Runs pip, uv, npm, git or an interpreter and resolves with its output; a non-zero exit becomes
 * `TOOL_FAILED` carrying the last lines of output, which is where pip and npm put the reason.
 * With `sandbox`, the tool runs through the spawn decorator (its own uid, cgroup, bubblewrap) and
 * everything it started is killed when it ends.
 */
export async function runTool(run: ToolRun): Promise<ToolResult> {
  const env = run.env ?? process.env;
  // Not the build's home: bubblewrap changes folder while still root without CAP_DAC_OVERRIDE,
  // and the home is the build uid's alone.
  const cwd = run.cwd ?? run.sandbox?.context.packDir;
  const wrapped: WrappedSpawn | undefined = run.sandbox
    ? await run.sandbox.decorator.wrap({ command: run.command, args: run.args, env: definedEnv(env), cwd: cwd as string, context: run.sandbox.context })
    : undefined;
  return new Promise((resolve, reject) => {
    const child = wrapped
      ? spawn(wrapped.command, wrapped.args, { cwd, env: wrapped.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      : spawn(run.command, run.args, { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], signal: run.signal });
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const tail: string[] = [];
    const lineSplitter = () => {
      let pending = '';
      return (chunk: Buffer, flush = false) => {
        pending += chunk.toString('utf8');
        const lines = pending.split(/\r?\n|\r/);
        pending = flush ? '' : (lines.pop() ?? '');
        for (const raw of lines) {
          const line = run.lineFilter ? run.lineFilter(raw) : raw;
          if (line === undefined || line.trim() === '') continue;
          tail.push(line);
          if (tail.length > keptTailLines) tail.shift();
          run.onLine?.(line);
        }
      };
    };
    const outLines = lineSplitter();
    const errLines = lineSplitter();
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.stdout.push(chunk);
      outLines(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      chunks.stderr.push(chunk);
      errLines(chunk);
    });

    let timedOut = false;
    let aborted = false;
    const stopAll = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      void wrapped?.killAll().catch(() => undefined);
    };
    const timer = wrapped && run.sandbox ? setTimeout(() => ((timedOut = true), stopAll()), run.sandbox.timeoutMs) : undefined;
    const onAbort = () => ((aborted = true), stopAll());
    if (wrapped) run.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('spawn', () => {
      if (child.pid !== undefined) void Promise.resolve(wrapped?.started?.(child.pid)).catch(stopAll);
    });

    child.on('error', (cause) => {
      clearTimeout(timer);
      if (cause.name === 'AbortError') {
        reject(cause);
        return;
      }
      void wrapped?.afterExit().catch(() => undefined);
      reject(
        new PackrunError('TOOL_NOT_FOUND', `could not run ${run.command}: ${cause.message}`, {
          hint: 'check that the tool is installed and on PATH, or set its path in the configuration',
          details: { command: run.command },
          cause,
        }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      outLines(Buffer.alloc(0), true);
      errLines(Buffer.alloc(0), true);
      const finish = async (): Promise<string | undefined> => {
        if (!wrapped) return undefined;
        // A tool's leftovers (a daemon a setup.py started) die with it.
        await wrapped.killAll();
        return stopReason(await wrapped.afterExit(), timedOut, run);
      };
      finish().then(
        (reason) => {
          if (aborted) {
            reject(run.signal?.reason ?? new DOMException('The operation was aborted', 'AbortError'));
            return;
          }
          const result = { stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
          if (code === 0 && reason === undefined) {
            resolve(result);
            return;
          }
          const shown = [run.command, ...run.args].join(' ');
          const how = reason ?? (signal ? `signal ${signal}` : `exit code ${code}`);
          reject(
            new PackrunError('TOOL_FAILED', `${shown} failed (${how}):\n${tail.join('\n')}`, {
              details: { command: run.command, args: run.args, exitCode: code, output: tail.join('\n'), ...(reason ? { stopReason: reason } : {}) },
            }),
          );
        },
        (error: unknown) => reject(error),
      );
    });
  });
}
