import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, openSync } from 'node:fs';
import path from 'node:path';
import type { PackrunConfig } from '../config.ts';
import { PackrunError } from '../errors.ts';

/**
 * Host folders the operator grants a pack (or one of its actions): bound into its jobs and
 * sensors at the same path, read-only or writable. Nothing is granted by default; the sandbox
 * hides the rest of the host as before.
 */
export interface HostPathGrant {
  /** `pack` for every job and sensor of the pack, `pack.action` for one action's jobs only. */
  scope: string;
  path: string;
  writable: boolean;
}

export interface HostPaths {
  readOnly: string[];
  writable: string[];
}

/** Folders no grant may be, hold or lie in: the sandbox's own view of the host and kernel interfaces. */
const neverGranted = ['/', '/proc', '/sys', '/dev', '/run', '/boot'];

/**
 * Parses PACKRUN_SANDBOX_HOST_PATHS: `scope=/abs/path[:ro|:rw]` entries separated by commas,
 * read-only unless `:rw`. A scope is a pack ref or `pack.action`, as refs are spelled, so a typo is
 * an error rather than a grant to nobody.
 */
export function parseHostPathGrants(raw: string, variable: string): HostPathGrant[] {
  const grants: HostPathGrant[] = [];
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9_]+(?:\.[A-Za-z0-9_-]+)?)=(\/[^,]*?)(?::(ro|rw))?$/.exec(entry);
    const folder = match?.[2];
    if (!match || folder === undefined) {
      throw new PackrunError('CONFIG_INVALID', `${variable} takes pack=/absolute/path[:ro|:rw] or pack.action=/absolute/path[:ro|:rw] entries separated by commas, got "${entry}"`, {
        details: { variable, entry },
      });
    }
    const normalized = path.resolve(folder);
    if (normalized !== folder.replace(/\/+$/, '') || folder.split('/').includes('..')) {
      throw new PackrunError('CONFIG_INVALID', `${variable}: "${folder}" is not a plain absolute path (no "..", no "." or doubled slashes)`, { details: { variable, entry } });
    }
    const system = neverGranted.find((denied) => denied === normalized || (denied !== '/' && normalized.startsWith(`${denied}/`)));
    if (system !== undefined) {
      throw new PackrunError('CONFIG_INVALID', `${variable}: "${normalized}" cannot be granted to a pack (${system === '/' ? 'the whole host' : `it is ${system} or inside it`})`, { details: { variable, entry } });
    }
    grants.push({ scope: match[1] as string, path: normalized, writable: match[3] === 'rw' });
  }
  return grants;
}

function packOf(grant: HostPathGrant): string {
  return grant.scope.split('.')[0] as string;
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * Refuses grants that would hand a job Packrun's own data folder (its store, secrets, other packs
 * and their configs), whether the grant lies in it or holds it.
 */
export function checkHostPathGrants(config: Pick<PackrunConfig, 'home' | 'sandboxHostPaths'>): void {
  const home = path.resolve(config.home);
  const grants = config.sandboxHostPaths;
  for (const [index, grant] of grants.entries()) {
    // A folder inside a writable one could be swapped for a link by the jobs writing there, and
    // the grant would then hand over, or change the group of, wherever the link points.
    const nested = grants.slice(index + 1).find((other) => other.path !== grant.path && overlaps(other.path, grant.path));
    const shared = grants.find((other) => other.path === grant.path && packOf(other) !== packOf(grant) && (other.writable || grant.writable));
    if (shared !== undefined) {
      throw new PackrunError('CONFIG_INVALID', `PACKRUN_SANDBOX_HOST_PATHS grants "${grant.path}" to ${packOf(grant)} and ${packOf(shared)}, writable for one of them: a writable folder belongs to one pack's group`, {
        details: { variable: 'PACKRUN_SANDBOX_HOST_PATHS', path: grant.path },
      });
    }
    if (nested !== undefined) {
      throw new PackrunError('CONFIG_INVALID', `PACKRUN_SANDBOX_HOST_PATHS grants "${grant.path}" and "${nested.path}", one inside the other: grant folders side by side`, {
        details: { variable: 'PACKRUN_SANDBOX_HOST_PATHS', paths: [grant.path, nested.path] },
      });
    }
    if (overlaps(grant.path, home)) {
      throw new PackrunError('CONFIG_INVALID', `PACKRUN_SANDBOX_HOST_PATHS grants ${grant.scope} "${grant.path}", which ${grant.path === home || home.startsWith(`${grant.path}/`) ? 'holds' : 'lies in'} Packrun's data folder ${home}: jobs would read the store, the secrets and other packs`, {
        details: { variable: 'PACKRUN_SANDBOX_HOST_PATHS', scope: grant.scope, path: grant.path },
      });
    }
  }
}

/** What a job of `pack` (running `action`, a short name, when it is an action) is granted. */
export function hostPathsFor(config: Pick<PackrunConfig, 'sandboxHostPaths'>, pack: string, action?: string): HostPaths {
  const scopes = new Set([pack, ...(action === undefined ? [] : [`${pack}.${action}`])]);
  const granted = config.sandboxHostPaths.filter((grant) => scopes.has(grant.scope));
  // A folder granted writable once is writable, even if granted read-only elsewhere too.
  const writable = [...new Set(granted.filter((grant) => grant.writable).map((grant) => grant.path))];
  const readOnly = [...new Set(granted.filter((grant) => !grant.writable && !writable.includes(grant.path)).map((grant) => grant.path))];
  return { readOnly, writable };
}

/**
 * Whether a job must start cold rather than from its pack's zygote or a process started ahead:
 * those are made once per pack, so they carry only the pack's read-only grants; a job with a grant
 * of its own action, or a writable one (its uid needs the pack's group), starts on its own.
 */
export function needsOwnSpawn(config: Pick<PackrunConfig, 'sandboxHostPaths'>, pack: string, action?: string): boolean {
  return config.sandboxHostPaths.some(
    (grant) => (grant.scope === pack && grant.writable) || (action !== undefined && grant.scope === `${pack}.${action}`),
  );
}

/** First gid of the pack groups: far above the uid ranges Packrun uses by default. */
const packGroupBase = 2_000_000_000;
const packGroupCount = 1 << 24;

/**
 * The group a pack's jobs join to write its writable grants: every job of a pack runs as a uid of
 * its own, so what one job wrote, the next must reach through the group. Derived from the pack ref
 * (no state to keep in step across processes and restarts); checkPackGroups refuses a collision.
 */
export function packGroupId(pack: string): number {
  const digest = createHash('sha256').update(`packrun-pack-group:${pack}`).digest();
  return packGroupBase + (digest.readUInt32BE(0) % packGroupCount);
}

/** Packs with a writable grant, each with its group; refuses two packs landing on one group. */
export function packGroups(config: Pick<PackrunConfig, 'sandboxHostPaths'>): Map<string, number> {
  const groups = new Map<string, number>();
  const owners = new Map<number, string>();
  for (const grant of config.sandboxHostPaths) {
    if (!grant.writable) continue;
    const pack = packOf(grant);
    const gid = packGroupId(pack);
    const owner = owners.get(gid);
    if (owner !== undefined && owner !== pack) {
      throw new PackrunError('CONFIG_INVALID', `packs "${owner}" and "${pack}" would share group ${gid} for their writable host paths`, {
        hint: 'grant one of them its folder read-only, or under another pack',
        details: { variable: 'PACKRUN_SANDBOX_HOST_PATHS', packs: [owner, pack] },
      });
    }
    owners.set(gid, pack);
    groups.set(pack, gid);
  }
  return groups;
}

/**
 * Gives a writable grant's folder to the pack's group: group-owned, group-writable, and setgid so
 * that what jobs create inside joins the group too (jobs of such packs run with umask 002). Only
 * the granted folder itself is changed, never what is inside: jobs write there, and walking their
 * files as root would follow whatever links they left. What the operator put inside beforehand
 * must be made group-writable by the operator (docs/configuration.md).
 */
export function prepareWritableGrant(folder: string, gid: number): void {
  let fd: number;
  try {
    // Through a descriptor of the folder itself, never a name looked up twice: what is changed is
    // what was checked, and a symlink in its place is refused rather than followed.
    fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PackrunError('HOST_PATH_MISSING', `the host path "${folder}" granted writable in PACKRUN_SANDBOX_HOST_PATHS ${code === 'ENOENT' ? 'does not exist' : 'is not a folder (or is a symbolic link)'}`, {
      hint: 'create the folder, or remove the grant',
      details: { path: folder },
      cause: error,
    });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.gid !== gid) fchownSync(fd, stat.uid, gid);
    const mode = (stat.mode & 0o7777) | 0o2070;
    if ((stat.mode & 0o7777) !== mode) fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/** A granted path that is missing fails the job at start, naming it, rather than binding nothing. */
export function checkGrantedPathsExist(paths: HostPaths): void {
  for (const folder of [...paths.readOnly, ...paths.writable]) {
    try {
      lstatSync(folder);
    } catch (error) {
      throw new PackrunError('HOST_PATH_MISSING', `the host path "${folder}" granted in PACKRUN_SANDBOX_HOST_PATHS does not exist`, {
        hint: 'create it, or remove the grant',
        details: { path: folder },
        cause: error,
      });
    }
  }
}

/** One line per grant for `packrun doctor` and `packrun pack info`, or what says there is none. */
export function describeHostPathGrants(grants: readonly HostPathGrant[]): string[] {
  if (grants.length === 0) return ['no host path granted (PACKRUN_SANDBOX_HOST_PATHS)'];
  return grants.map((grant) => {
    const group = grant.writable ? `, writable through group ${packGroupId(packOf(grant))}` : '';
    const spawn = grant.writable || grant.scope.includes('.') ? '; its jobs start cold' : '';
    return `${grant.scope}: ${grant.path} ${grant.writable ? 'read-write' : 'read-only'}${group}${spawn}`;
  });
}
