import { spawn } from 'node:child_process';
import { PackrunError } from '@packrun/core';

export interface ToolRun {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line the tool prints (stdout and stderr), as it prints it. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

const keptTailLines = 40;

/**
 * Runs pip, uv, npm, git or an interpreter and resolves with its output; a non-zero exit becomes
 * `TOOL_FAILED` carrying the last lines of output, which is where pip and npm put the reason.
 */
export function runTool(run: ToolRun): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      env: run.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: run.signal,
    });
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const tail: string[] = [];
    const lineSplitter = () => {
      let pending = '';
      return (chunk: Buffer, flush = false) => {
        pending += chunk.toString('utf8');
        const lines = pending.split(/\r?\n|\r/);
        pending = flush ? '' : (lines.pop() ?? '');
        for (const line of lines) {
          if (line.trim() === '') continue;
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
    child.on('error', (cause) => {
      if (cause.name === 'AbortError') {
        reject(cause);
        return;
      }
      reject(
        new PackrunError('TOOL_NOT_FOUND', `could not run ${run.command}: ${cause.message}`, {
          hint: 'check that the tool is installed and on PATH, or set its path in the configuration',
          details: { command: run.command },
          cause,
        }),
      );
    });
    child.on('close', (code, signal) => {
      outLines(Buffer.alloc(0), true);
      errLines(Buffer.alloc(0), true);
      const result = { stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
      if (code === 0) {
        resolve(result);
        return;
      }
      const shown = [run.command, ...run.args].join(' ');
      reject(
        new PackrunError('TOOL_FAILED', `${shown} failed (${signal ? `signal ${signal}` : `exit code ${code}`}):\n${tail.join('\n')}`, {
          details: { command: run.command, args: run.args, exitCode: code, output: tail.join('\n') },
        }),
      );
    });
  });
}
