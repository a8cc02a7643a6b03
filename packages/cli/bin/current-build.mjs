// Which code the packrun bin runs: the production bundle (packages/cli/dist, made by
// scripts/build.mjs) while it is current, else the TypeScript sources through tsx.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const cliDir = path.resolve(import.meta.dirname, '..');
const root = path.resolve(cliDir, '../..');

/**
 * The bundle's entry when it may run: present, not refused by PACKRUN_FROM_SOURCE=1, and no
 * source it was made from changed (or gone) since. A packaged build (the npm package, which carries
 * no sources) is always current. A stat per source costs a few milliseconds; tsx costs half a second.
 */
export function currentBuild() {
  if (process.env.PACKRUN_FROM_SOURCE === '1') return undefined;
  let build;
  try {
    build = JSON.parse(readFileSync(path.join(cliDir, 'dist/build.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const entry = path.join(cliDir, 'dist/main.mjs');
  if (build.packaged === true) return entry;
  for (const source of build.sources) {
    try {
      if (statSync(path.join(root, source)).mtimeMs > build.builtAt) return undefined;
    } catch {
      return undefined;
    }
  }
  return entry;
}
