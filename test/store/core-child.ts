import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const cwd = path.dirname(new URL(import.meta.url).pathname);
const args = (script: string): string[] => ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '-e', script];

/** Runs an ES module script that may import @packrun/core, in a child Node process, to its end. */
export function runWithCore(script: string): { stdout: string; stderr: string; status: number | null } {
  const child = spawnSync(process.execPath, args(script), { cwd, encoding: 'utf8' });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

/** Starts such a script and resolves once it printed `line` (the script then keeps running). */
export function startWithCore(script: string, line: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args(script), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve(child);
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`child exited ${code} before printing ${line}: ${out} ${err}`)));
  });
}

/** SIGKILLs a child and resolves once it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
