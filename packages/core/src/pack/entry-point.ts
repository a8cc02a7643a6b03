import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves an `entry_point` (relative to `actions/` or `sensors/`) to an absolute path, refusing one
 * that is absolute or that climbs out of the pack folder: a pack must not point a runner at
 * arbitrary host files. Returns an error message instead of throwing.
 */
export async function checkEntryPoint(
  packDir: string,
  contentFolder: 'actions' | 'sensors',
  entryPoint: string,
): Promise<string | undefined> {
  if (entryPoint.includes('\0')) return 'must not contain NUL';
  if (path.isAbsolute(entryPoint)) return 'must be relative to the ' + contentFolder + '/ folder';
  const root = path.resolve(packDir);
  const resolved = path.resolve(root, contentFolder, entryPoint);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) return 'must stay inside the pack folder';
  try {
    if (!(await stat(resolved)).isFile()) return `${contentFolder}/${entryPoint} is not a file`;
  } catch {
    return `${contentFolder}/${entryPoint} does not exist`;
  }
  return undefined;
}
