import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackrunError } from '@packrun/core';

/** A pack source as the user (or a pack's `dependencies`) wrote it, classified. */
export type SourceSpec =
  | { kind: 'folder'; path: string }
  | { kind: 'archive-file'; path: string }
  | { kind: 'archive-url'; url: string }
  | { kind: 'git'; url: string; ref?: string }
  | { kind: 'index'; name: string; range?: string }
  /** A folder or archive a client sent to the server (upload-source.ts). */
  | { kind: 'upload'; id: string };

const archiveName = /\.(tar\.gz|tgz)$/i;
const indexName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/, '');
}

/** `url=ref` as StackStorm writes it; a `=` inside the URL's own path or query is left alone. */
function splitGitRef(text: string): { url: string; ref?: string } {
  const at = text.lastIndexOf('=');
  if (at <= 0) return { url: text };
  const ref = text.slice(at + 1);
  const url = text.slice(0, at);
  if (ref === '' || url.includes('?')) return { url: text };
  return { url, ref };
}

function isUrlLike(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^[\w.-]+@[\w.-]+:/.test(text);
}

export function parseSource(text: string, cwd = process.cwd()): SourceSpec {
  const source = text.trim();
  if (source === '') throw new PackrunError('PACK_SOURCE_INVALID', 'empty pack source', { details: { source: text } });
  if (source.startsWith('upload:')) return { kind: 'upload', id: source.slice('upload:'.length) };
  if (/^https?:\/\//i.test(source) && archiveName.test(withoutQuery(source))) return { kind: 'archive-url', url: source };
  if (isUrlLike(source) || source.startsWith('git+')) {
    const { url, ref } = splitGitRef(source.replace(/^git\+/, ''));
    return ref === undefined ? { kind: 'git', url } : { kind: 'git', url, ref };
  }
  const looksLikePath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') || source.includes(path.sep);
  const resolved = path.resolve(cwd, source.replace(/^~(?=\/|$)/, process.env['HOME'] ?? '~'));
  if (looksLikePath || existsSync(resolved)) {
    return archiveName.test(source) ? { kind: 'archive-file', path: resolved } : { kind: 'folder', path: resolved };
  }
  const eq = source.indexOf('=');
  const name = eq < 0 ? source : source.slice(0, eq);
  const range = eq < 0 ? undefined : source.slice(eq + 1).trim();
  if (!indexName.test(name) || range === '') {
    throw new PackrunError('PACK_SOURCE_INVALID', `"${source}" is not a folder, archive, git URL or pack name`, {
      hint: 'give a pack folder, a git URL (optionally `=<branch|tag|commit>`), a .tar.gz file or URL, or `name[=version]` from the pack index',
      details: { source },
    });
  }
  return range === undefined ? { kind: 'index', name } : { kind: 'index', name, range };
}

/** The source string that, parsed again, gives the same spec (recorded for upgrades). */
export function formatSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'folder':
    case 'archive-file':
      return spec.path;
    case 'archive-url':
      return spec.url;
    case 'git':
      return spec.ref === undefined ? spec.url : `${spec.url}=${spec.ref}`;
    case 'index':
      return spec.range === undefined ? spec.name : `${spec.name}=${spec.range}`;
    case 'upload':
      return `upload:${spec.id}`;
  }
}

/**
 * A pack.yaml `dependencies` entry: a pack name (optionally `=version` or `=range`) resolved
 * through the index, or a git URL. Never a local path: a dependency must not depend on the folder
 * the installer happens to run in.
 */
export function parseDependency(text: string): SourceSpec {
  const dependency = text.trim();
  if (isUrlLike(dependency) || dependency.startsWith('git+')) return parseSource(dependency);
  if (/^https?:\/\//i.test(dependency)) return parseSource(dependency);
  const eq = dependency.indexOf('=');
  const name = eq < 0 ? dependency : dependency.slice(0, eq);
  const range = eq < 0 ? undefined : dependency.slice(eq + 1).trim();
  if (!indexName.test(name) || range === '') {
    throw new PackrunError('PACK_DEPENDENCY_INVALID', `dependency "${text}" is neither a pack name (name or name=version) nor a git URL`, {
      details: { dependency: text },
    });
  }
  return range === undefined ? { kind: 'index', name } : { kind: 'index', name, range };
}
