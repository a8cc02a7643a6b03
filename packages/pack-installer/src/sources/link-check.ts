import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError } from '@packrun/core';

function inside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Refuses staged pack content with a symlink that leads outside the pack: Packrun reads pack
 * files (metadata, configs) and serves them, so a link to /etc or to PACKRUN_HOME would leak
 * files of the host. Git clones and folders get the check archives get before extraction.
 */
export async function assertLinksInside(packDir: string, shownAs: string): Promise<void> {
  const root = await realpath(packDir);
  const problems: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      const info = await lstat(full);
      if (info.isSymbolicLink()) {
        const target = await readlink(full);
        let resolved: string;
        try {
          resolved = await realpath(full);
        } catch {
          // Dangling: judge where it points without following anything.
          resolved = path.resolve(path.dirname(full), target);
        }
        if (!inside(root, resolved)) problems.push(`${path.relative(root, full)} -> ${target}`);
      } else if (info.isDirectory()) {
        await walk(full);
      }
    }
  };
  await walk(root);
  if (problems.length === 0) return;
  throw new PackrunError('PACK_LINK_UNSAFE', `${shownAs} has links that lead outside the pack:\n  ${problems.join('\n  ')}`, {
    hint: 'a pack may only link to its own files',
    details: { source: shownAs, links: problems },
  });
}
