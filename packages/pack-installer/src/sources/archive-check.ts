import path from 'node:path';

/** The facts of one archive entry that decide whether it is safe to extract. */
export interface ArchiveEntryInfo {
  path: string;
  type: string;
  linkpath?: string | undefined;
  mode?: number | undefined;
  size: number;
}

export interface ArchiveLimits {
  /** Total bytes of the files in the archive once extracted. */
  maxUnpackedBytes: number;
  maxEntries: number;
  /** Bytes of a downloaded archive (before decompression). */
  maxDownloadBytes: number;
  /** Refuse symbolic links and hardlinks altogether (uploads: a folder sent by a client needs none). */
  refuseLinks?: boolean;
}

export const defaultArchiveLimits: ArchiveLimits = {
  maxUnpackedBytes: 512 * 1024 * 1024,
  maxEntries: 50_000,
  maxDownloadBytes: 128 * 1024 * 1024,
};

const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** `a/./b/` -> `a/b`; an empty result is the archive root. */
function clean(entryPath: string): string {
  return path.posix.normalize(entryPath).replace(/^(\.\/)+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
}

function segments(entryPath: string): string[] {
  return entryPath.split('/').filter((part) => part !== '' && part !== '.');
}

/** Why a path written in an archive is unsafe on its own, or undefined. */
function pathProblem(raw: string): string | undefined {
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return 'has an absolute path';
  if (raw.includes('\\')) return 'has a backslash in its path';
  if (raw.includes('\0')) return 'has a NUL byte in its path';
  if (raw.split('/').includes('..')) return 'has a `..` path segment';
  return undefined;
}

/**
 * Collects every entry of an archive, then decides whether the whole archive is safe to extract:
 * paths stay inside the extraction folder, links point inside and never through other links,
 * hardlinks name files of the same archive, no device nodes, FIFOs or setuid/setgid bits, and
 * the archive is not larger than the limits. Links are judged against all links of the archive,
 * because a link extracted later can change what an earlier one resolves to.
 */
export class ArchiveInspector {
  readonly problems: string[] = [];
  private readonly entries: ArchiveEntryInfo[] = [];
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();
  private totalBytes = 0;

  constructor(private readonly limits: ArchiveLimits) {}

  add(entry: ArchiveEntryInfo): void {
    this.entries.push(entry);
    const refuse = (why: string) => this.problems.push(`${JSON.stringify(entry.path)} ${why}`);
    if (this.entries.length === this.limits.maxEntries + 1) this.problems.push(`archive has more than ${this.limits.maxEntries} entries`);
    if (!allowedTypes.has(entry.type)) refuse(`is a ${entry.type} entry (only files, folders and links are allowed)`);
    else if (this.limits.refuseLinks && (entry.type === 'SymbolicLink' || entry.type === 'Link')) refuse(`is a ${entry.type === 'Link' ? 'hardlink' : 'symbolic link'} (an upload may hold only files and folders)`);
    const problem = pathProblem(entry.path);
    if (problem) refuse(problem);
    if (entry.mode !== undefined && (entry.mode & 0o6000) !== 0) refuse('has the setuid or setgid bit');
    if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') {
      const before = this.totalBytes;
      this.totalBytes += entry.size;
      if (before <= this.limits.maxUnpackedBytes && this.totalBytes > this.limits.maxUnpackedBytes) {
        this.problems.push(`archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes`);
      }
      this.files.add(clean(entry.path));
    }
    if (entry.type === 'SymbolicLink') this.symlinks.add(clean(entry.path));
  }

  /** The problems found; call once every entry was added. */
  finish(): string[] {
    for (const entry of this.entries) {
      if (pathProblem(entry.path)) continue;
      const refuse = (why: string) => this.problems.push(`${JSON.stringify(entry.path)} ${why}`);
      const own = clean(entry.path);
      if (this.throughLink(segments(own).slice(0, -1))) refuse('is inside a folder that is a link');
      if (entry.type === 'SymbolicLink') {
        const why = this.symlinkProblem(own, entry.linkpath ?? '');
        if (why) refuse(why);
      }
      if (entry.type === 'Link') {
        const target = entry.linkpath ?? '';
        const why = pathProblem(target);
        if (why) refuse(`is a hardlink whose target ${why}`);
        else if (this.throughLink(segments(clean(target)))) refuse('is a hardlink through a link');
        else if (!this.files.has(clean(target))) refuse(`is a hardlink to ${JSON.stringify(target)}, which is not a file of this archive`);
      }
    }
    return this.problems;
  }

  private throughLink(parts: string[]): boolean {
    for (let i = 1; i <= parts.length; i++) if (this.symlinks.has(parts.slice(0, i).join('/'))) return true;
    return false;
  }

  private symlinkProblem(own: string, target: string): string | undefined {
    if (target === '') return 'is a link without a target';
    if (target.startsWith('/')) return `is a link to the absolute path ${JSON.stringify(target)}`;
    const stack = segments(own).slice(0, -1);
    for (const part of segments(target)) {
      if (part === '..') {
        if (stack.length === 0) return `is a link that escapes the pack (${JSON.stringify(target)})`;
        stack.pop();
        continue;
      }
      stack.push(part);
      // Going through another link would make the lexical check above meaningless.
      if (this.symlinks.has(stack.join('/')) && stack.join('/') !== own) return `is a link through another link (${JSON.stringify(target)})`;
    }
    return undefined;
  }
}
