import type { KeyValueLookup } from '../template/datastore-snapshot.ts';

/**
 * Which datastore keys a pack's code (actions, sensors) and metadata (parameter defaults, config
 * schema defaults, rules) may touch. StackStorm keeps a pack's private keys in the system scope
 * under `<pack>.<Class>:<name>` (`local=True`), a naming convention nothing enforces there; here
 * the convention is the boundary:
 * - a key named `<other>.<anything>:...` belongs to pack `<other>`: no other pack reads, lists,
 *   writes or deletes it, however it is asked for (`local=False` with the full name, a list
 *   prefix, another scope). The owner is compared lower-cased: pack refs are lower-case, and a
 *   store that ever compared names without case must not turn `Victim.C:k` into victim's key;
 * - any other system key is readable, as StackStorm allows, and writable only by the packs the
 *   operator named in PACKRUN_DATASTORE_SYSTEM_WRITERS;
 * - user-scoped keys are the executing user's (the scope itself keeps users apart); another
 *   pack's local names are refused there too.
 */
const localKeyOwnerPattern = /^([^.:]+)\.[^:]*:/;

/** The pack whose local (`<pack>.<Class>:`) namespace `name` is in, lower-cased; undefined for a key of no pack. */
export function localKeyOwner(name: string): string | undefined {
  return localKeyOwnerPattern.exec(name)?.[1]?.toLowerCase();
}

export interface PackKeyAccess {
  /** The pack the code or metadata belongs to. */
  pack: string;
  /** The operator let this pack write and delete system keys outside its own local namespace. */
  mayWriteSystem: boolean;
}

/** Why `pack` may not read `name`, or undefined when it may. */
export function keyReadRefusal(access: Pick<PackKeyAccess, 'pack'>, name: string): string | undefined {
  const owner = localKeyOwner(name);
  if (owner === undefined || owner === access.pack) return undefined;
  return `datastore key "${name}" is local to pack "${owner}"; pack "${access.pack}" may not use it`;
}

/** Why `pack` may not write or delete `name` in `scope`, or undefined when it may. */
export function keyWriteRefusal(access: PackKeyAccess, name: string, scope: 'system' | 'user'): string | undefined {
  const foreign = keyReadRefusal(access, name);
  if (foreign !== undefined) return foreign;
  if (scope === 'user' || localKeyOwner(name) === access.pack || access.mayWriteSystem) return undefined;
  return `pack "${access.pack}" may write and delete only its own local datastore keys ("${access.pack}.<Class>:..."), not the system key "${name}"`;
}

/** A template lookup that answers another pack's local keys as missing: for the templates in a pack's own metadata. */
export function packScopedLookup(lookup: KeyValueLookup, pack: string): KeyValueLookup {
  return {
    get: async (name, options) => (keyReadRefusal({ pack }, name) === undefined ? lookup.get(name, options) : undefined),
  };
}

