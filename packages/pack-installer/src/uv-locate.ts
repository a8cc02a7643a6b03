import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from './interpreter.ts';

/** The repository's own tools folder (`<repo>/.tools/bin`), found from this file's location. */
const repoToolsUv = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.tools/bin/uv');

/**
 * uv builds envs in a fraction of pip's time, so it is used whenever it can be found: the
 * configured path first, then PATH, then the repository's tools folder. `off` or not found: use venv + pip.
 */
export async function locateUv(configured: string | undefined): Promise<string | undefined> {
  if (configured === 'off') return undefined;
  if (configured) return configured;
  const onPath = await findOnPath('uv');
  if (onPath) return onPath;
  try {
    await access(repoToolsUv, constants.X_OK);
    return repoToolsUv;
  } catch {
    return undefined;
  }
}
