import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError } from '@packrun/core';
import { runTool } from './run-tool.ts';

export interface PythonInterpreter {
  /** Real path of the binary (pyenv shims and venv links resolved through sys.executable). */
  executable: string;
  /** e.g. "3.11.7" */
  version: string;
}

const cache = new Map<string, Promise<PythonInterpreter>>();

/**
 * Asks the interpreter itself where it lives: `python3` is often a pyenv shim or a venv link,
 * and an env must be keyed and built from the real binary.
 */
export function resolvePython(nameOrPath: string): Promise<PythonInterpreter> {
  let pending = cache.get(nameOrPath);
  if (!pending) {
    pending = probe(nameOrPath);
    cache.set(nameOrPath, pending);
    pending.catch(() => cache.delete(nameOrPath));
  }
  return pending;
}

async function probe(nameOrPath: string): Promise<PythonInterpreter> {
  const script = 'import os,sys,platform;print(os.path.realpath(sys.executable));print(platform.python_version())';
  try {
    const { stdout } = await runTool({ command: nameOrPath, args: ['-c', script] });
    const [executable, version] = stdout.trim().split('\n');
    if (!executable || !version) throw new Error(`unexpected output: ${stdout}`);
    return { executable, version };
  } catch (cause) {
    throw new PackrunError('PYTHON_NOT_FOUND', `Python interpreter "${nameOrPath}" cannot be run`, {
      hint: 'install it, or set PACKRUN_PYTHON (or the pack\'s `python` field) to an interpreter that exists',
      details: { python: nameOrPath },
      cause,
    });
  }
}

/** Finds an executable on PATH the way a shell would, without running it. */
export async function findOnPath(name: string, pathVariable = process.env['PATH'] ?? ''): Promise<string | undefined> {
  for (const folder of pathVariable.split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
