import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { PackrunError } from '@packrun/core';
import { fetchJson } from './http-download.ts';
import type { SourceSpec } from './source-spec.ts';

/**
 * A pack index in StackStorm Exchange's format, `{"packs": {name: {repo_url, version, ...}}}`,
 * with an optional Packrun extension per pack: `versions: {version: {repo_url?, ref?, tarball?}}`
 * for indexes that serve more than the latest version.
 */
interface IndexVersion {
  repo_url?: string;
  ref?: string;
  tarball?: string;
}

interface IndexEntry extends IndexVersion {
  name?: string;
  ref?: string;
  version?: string;
  versions?: Record<string, IndexVersion>;
}

export interface PackIndex {
  location: string;
  packs: Record<string, IndexEntry>;
}

const isHttp = (location: string) => /^https?:\/\//i.test(location);

export async function loadPackIndex(location: string | undefined, signal?: AbortSignal): Promise<PackIndex> {
  if (!location) {
    throw new PackrunError('PACK_INDEX_NOT_CONFIGURED', 'a pack name was given, but no pack index is configured', {
      hint: 'set PACKRUN_PACK_INDEX to the URL or path of a pack index, or give a folder, git URL or archive',
    });
  }
  let parsed: unknown;
  try {
    parsed = isHttp(location) ? await fetchJson(location, signal) : JSON.parse(await readFile(location, 'utf8'));
  } catch (cause) {
    if (cause instanceof PackrunError && cause.code !== 'PACK_DOWNLOAD_FAILED') throw cause;
    throw new PackrunError('PACK_INDEX_INVALID', `the pack index ${location} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`, {
      details: { index: location },
      cause,
    });
  }
  const packs = (parsed as { packs?: unknown } | null)?.packs;
  if (typeof packs !== 'object' || packs === null || Array.isArray(packs)) {
    throw new PackrunError('PACK_INDEX_INVALID', `the pack index ${location} has no "packs" mapping`, { details: { index: location } });
  }
  return { location, packs: packs as Record<string, IndexEntry> };
}

const hasScheme = (target: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(target) || /^[\w.-]+@[\w.-]+:/.test(target);

/** Relative locations in an index are relative to the index itself (its URL or its file). */
function locate(index: PackIndex, target: string): string {
  if (hasScheme(target)) return target;
  return isHttp(index.location) ? new URL(target, index.location).href : path.resolve(path.dirname(index.location), target);
}

export interface IndexResolution {
  version: string;
  spec: SourceSpec;
}

/** The highest version of `name` the index offers within `range`, and where to get it. */
export function resolveFromIndex(index: PackIndex, name: string, range: string | undefined): IndexResolution {
  const entry = index.packs[name] ?? Object.values(index.packs).find((candidate) => candidate.ref === name || candidate.name === name);
  if (!entry) {
    throw new PackrunError('PACK_NOT_IN_INDEX', `pack "${name}" is not in the pack index ${index.location}`, {
      hint: 'check the name, or install it from a folder, git URL or archive',
      details: { pack: name, index: index.location },
    });
  }
  const offered = new Set(Object.keys(entry.versions ?? {}).filter((version) => semver.valid(version)));
  if (entry.version && semver.valid(entry.version)) offered.add(entry.version);
  const version = semver.maxSatisfying([...offered], range ?? '*');
  if (!version) {
    throw new PackrunError('PACK_VERSION_NOT_FOUND', `the pack index offers pack "${name}" in ${[...offered].join(', ') || 'no version'}, none matching ${range ?? 'any version'}`, {
      details: { pack: name, range, offered: [...offered] },
    });
  }
  const specific = entry.versions?.[version] ?? {};
  const tarball = specific.tarball ?? (version === entry.version ? entry.tarball : undefined);
  if (tarball) {
    const where = locate(index, tarball);
    return { version, spec: isHttp(where) ? { kind: 'archive-url', url: where } : { kind: 'archive-file', path: where } };
  }
  const repo = specific.repo_url ?? entry.repo_url;
  if (!repo) {
    throw new PackrunError('PACK_INDEX_INVALID', `the pack index entry of "${name}" ${version} has neither repo_url nor tarball`, {
      details: { pack: name, version, index: index.location },
    });
  }
  const repoUrl = locate(index, repo);
  // Exchange packs tag each release v<version>; an explicit ref in the index wins.
  return { version, spec: { kind: 'git', url: repoUrl, ref: specific.ref ?? `v${version}` } };
}
