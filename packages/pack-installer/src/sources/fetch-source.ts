import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { ProgressListener } from '../progress.ts';
import type { ArchiveLimits } from './archive-check.ts';
import { stageArchive } from './archive-source.ts';
import { stageFolder, type StagedSource } from './folder-source.ts';
import { stageGit } from './git-source.ts';
import { assertLinksInside } from './link-check.ts';
import { loadPackIndex, resolveFromIndex, type PackIndex } from './pack-index.ts';
import { formatSource, type SourceSpec } from './source-spec.ts';

export interface FetchContext {
  /** This install's private staging folder. */
  stagingDir: string;
  onProgress: ProgressListener;
  /** PACKRUN_PACK_INDEX: where pack names are resolved. */
  packIndex: string | undefined;
  archiveLimits: ArchiveLimits;
  signal?: AbortSignal;
}

/** Brings a source's pack files into a fresh folder under this install's staging folder. */
export function createFetcher(context: FetchContext): (spec: SourceSpec) => Promise<StagedSource> {
  let index: Promise<PackIndex> | undefined;
  const { signal } = context;
  const fetchSource = async (spec: SourceSpec): Promise<StagedSource> => {
    const shown = formatSource(spec);
    if (spec.kind === 'index') {
      index ??= loadPackIndex(context.packIndex, signal);
      const resolved = resolveFromIndex(await index, spec.name, spec.range);
      context.onProgress({ stage: 'resolving', pack: spec.name, message: `${shown} -> ${spec.name} ${resolved.version} from ${formatSource(resolved.spec)}` });
      const staged = await fetchSource(resolved.spec);
      return { ...staged, source: shown };
    }
    const into = await mkdtemp(path.join(context.stagingDir, 'src-'));
    context.onProgress({ stage: 'fetching', pack: shown, message: `fetching ${shown}` });
    const staged = await stage(spec, into);
    await assertLinksInside(staged.dir, shown);
    return staged;
  };
  const stage = (spec: Exclude<SourceSpec, { kind: 'index' }>, into: string): Promise<StagedSource> => {
    const shown = formatSource(spec);
    switch (spec.kind) {
      case 'folder':
        return stageFolder(spec.path, into);
      case 'archive-file':
      case 'archive-url':
        return stageArchive(spec, into, context.archiveLimits, signal);
      case 'git':
        return stageGit({
          url: spec.url,
          ref: spec.ref,
          into,
          onTool: (tool, message) => context.onProgress({ stage: 'fetching', pack: shown, message, tool }),
          ...(signal && { signal }),
        });
    }
  };
  return fetchSource;
}
