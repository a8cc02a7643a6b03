import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ChosenPython } from './python-choice.ts';

/** Bump when the env layout or the way envs are built changes, so old envs are not reused. */
const envLayoutVersion = 1;

/**
 * What env a pack needs, and the hash that names it. The hash covers exactly what decides the
 * env's content: the dependency files and the interpreter (real path and version), so that an
 * upgrade that changes none of them reuses the env without running pip, uv or npm.
 */
export interface EnvPlan {
  kind: 'python' | 'node' | 'none';
  hash: string;
  python?: ChosenPython;
  requirements?: string;
  packageJson?: string;
  packageLock?: string;
}

export interface EnvPlanInput {
  packDir: string;
  /** The interpreter chosen for the pack (python-choice.ts); used only when the pack has Python code. */
  python: ChosenPython;
  allowNpmScripts: boolean;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A pack without requirements.txt still needs a (cheap, empty) venv when it has Python code. */
async function hasPythonCode(packDir: string): Promise<boolean> {
  for (const folder of ['actions', 'sensors']) {
    let entries: string[];
    try {
      entries = await readdir(path.join(packDir, folder), { recursive: true });
    } catch {
      continue;
    }
    if (entries.some((entry) => entry.endsWith('.py'))) return true;
  }
  return false;
}

export async function planEnv(input: EnvPlanInput): Promise<EnvPlan> {
  const requirements = await readOptional(path.join(input.packDir, 'requirements.txt'));
  const packageJson = await readOptional(path.join(input.packDir, 'package.json'));
  const packageLock = packageJson === undefined ? undefined : await readOptional(path.join(input.packDir, 'package-lock.json'));
  const needsPython = requirements !== undefined || (await hasPythonCode(input.packDir));
  const kind = needsPython ? 'python' : packageJson !== undefined ? 'node' : 'none';
  const python = needsPython ? input.python : undefined;

  const hash = createHash('sha256');
  const part = (name: string, value: string | undefined) => {
    hash.update(`${name}\0${value === undefined ? '\u0001absent' : value}\0`);
  };
  part('layout', String(envLayoutVersion));
  part('kind', kind);
  part('python', python && `${python.executable}\n${python.version}`);
  part('requirements.txt', requirements);
  part('package.json', packageJson);
  part('package-lock.json', packageLock);
  part('npm-scripts', packageJson === undefined ? undefined : String(input.allowNpmScripts));
  return {
    kind,
    hash: hash.digest('hex').slice(0, 16),
    ...(python && { python }),
    ...(requirements !== undefined && { requirements }),
    ...(packageJson !== undefined && { packageJson }),
    ...(packageLock !== undefined && { packageLock }),
  };
}
