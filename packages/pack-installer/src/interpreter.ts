import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError } from '@packrun/core';
import { runTool } from './run-tool.ts';

export interface PythonInterpreter {
  /** Real path of the binary (pyenv shims and venv links resolved through sys.executable). */
  executable: string;
  /** e.g. "3.11.7" */
  version: string;
  /** `sys.implementation.name`: "cpython", "pypy"... */
  implementation: string;
}

/** "CPython 3.11.7", "PyPy 3.9.16": how an interpreter is named to the user. */
export function describePython(python: Pick<PythonInterpreter, 'implementation' | 'version'>): string {
  const names: Record<string, string> = { cpython: 'CPython', pypy: 'PyPy' };
  return `${names[python.implementation] ?? python.implementation} ${python.version}`;
}

/**
 * The folder name of Packrun's per-interpreter library builds (st2-fallback/site/<tag>): "py3.11"
 * for CPython, "pypy3.9" for PyPy (compiled extensions differ between the two). The Python side
 * computes the same name (packrun_runtime/python_tag.py).
 */
export function pythonSiteTag(python: Pick<PythonInterpreter, 'implementation' | 'version'>): string {
  const [major, minor] = python.version.split('.');
  const prefix = python.implementation === 'cpython' ? 'py' : python.implementation;
  return `${prefix}${major}.${minor}`;
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
  const script = 'import os,sys,platform;print(os.path.realpath(sys.executable));print(platform.python_version());print(sys.implementation.name)';
  try {
    // -I: nothing of the caller's environment (PYTHONPATH, PYTHONSTARTUP) runs with the probe.
    const { stdout } = await runTool({ command: nameOrPath, args: ['-I', '-c', script] });
    const [executable, version, implementation] = stdout.trim().split('\n');
    if (!executable || !version || !implementation || !/^\d+\.\d+/.test(version)) throw new Error(`unexpected output: ${stdout}`);
    return { executable, version, implementation };
  } catch (cause) {
    throw new PackrunError('PYTHON_NOT_FOUND', `Python interpreter "${nameOrPath}" cannot be run`, {
      hint: 'install it, or set PACKRUN_PYTHON (or the pack\'s entry in PACKRUN_PACK_PYTHON) to an interpreter that exists',
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
