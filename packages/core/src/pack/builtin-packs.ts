import { realpathSync } from 'node:fs';
import path from 'node:path';
import { PackrunError } from '../errors.ts';
import type { PackMeta } from './types.ts';

/**
 * Refs whose packs are Packrun's own: `core` (core.local, core.echo... and the built-in trigger
 * types core.st2.webhook and the timers) and `packs` (pack install and remove, recorded as
 * executions of packs.install and packs.uninstall). A pack taking one of them would replace what
 * every other pack and rule relies on, so only the operator's own copy, the repository's
 * `packs/<ref>` folder, may be installed under them. StackStorm refuses the same two for user packs
 * (USER_PACK_NAME_BLACKLIST). Its other system packs (`chatops`, `linux`) and the Exchange's `st2`
 * carry nothing built into Packrun and install like any pack; `_global` is refused everywhere
 * (pack-ref.ts).
 */
const builtinPackRefs: ReadonlySet<string> = new Set(['core', 'packs']);

/** The repository's `packs/` folder: Packrun's built-in packs as the operator installed Packrun. */
const builtinPacksDir = path.resolve(import.meta.dirname, '../../../../packs');

export function isBuiltinPackRef(ref: string): boolean {
  return builtinPackRefs.has(ref);
}

/**
 * The built-in packs shipped in the repository's `packs/` folder, `{ref, dir}`: what every start of
 * Packrun installs (or upgrades) at the shipped version. `packs` has no folder: its operations
 * (packs.install, packs.uninstall) are the API's own executions.
 */
export function shippedBuiltinPacks(): Array<{ ref: string; dir: string }> {
  return [...builtinPackRefs].flatMap((ref) => {
    const dir = realPath(path.join(builtinPacksDir, ref));
    return dir === undefined ? [] : [{ ref, dir }];
  });
}

function realPath(dir: string): string | undefined {
  try {
    return realpathSync(dir);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a pack that takes a built-in ref unless it is installed from Packrun's own
 * `packs/<ref>` folder (`folder`: the local folder the install reads, undefined for git, archives
 * and the index). The error names pack.yaml's field the ref came from.
 */
export function checkBuiltinRef(meta: Pick<PackMeta, 'ref' | 'refFrom'>, file: string, folder: string | undefined): void {
  if (!builtinPackRefs.has(meta.ref)) return;
  const own = realPath(path.join(builtinPacksDir, meta.ref));
  if (folder !== undefined && own !== undefined && realPath(folder) === own) return;
  const where = meta.refFrom === 'folder' ? `the folder name "${meta.ref}" (no "ref" field)` : `field "${meta.refFrom}"`;
  throw new PackrunError('PACK_REF_RESERVED', `${file} ${where}: "${meta.ref}" is the ref of Packrun's built-in pack; another pack may not take it`, {
    hint: meta.refFrom === 'ref' ? 'give the pack a ref of its own in pack.yaml' : 'add `ref: <a_ref_of_its_own>` to pack.yaml',
    details: { file, field: meta.refFrom === 'folder' ? 'ref' : meta.refFrom, ref: meta.ref },
  });
}
