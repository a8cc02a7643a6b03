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
import { stageUpload, uploadName } from './upload-source.ts';

export interface FetchContext {
  /** PACKRUN_HOME: uploads are read from its uploads folder. */
  home: string;
  /** This install's private staging folder. */
  stagingDir: string;
  onProgress: ProgressListener;
  /** PACKRUN_PACK_INDEX: where pack names are resolved. */
  packIndex: string | undefined;
  archiveLimits: ArchiveLimits;
  signal?: AbortSignal;
  /** Told where each source was staged and how the user named it (see ShownPaths). */
  onStaged?: (stagedDir: string, shown: string) => void;
}

/**
 * Brings a source's pack files into a fresh folder under this install's staging folder. `given` is
 * the source as the user wrote it (`./mypack`), which progress lines and errors name; the staged
 * copy is reported to `onStaged` so that what names it can be put in the user's terms.
 */
export function createFetcher(context: FetchContext): (spec: SourceSpec, given?: string) => Promise<StagedSource> {
  let index: Promise<PackIndex> | undefined;
  const { signal } = context;
  const fetchSource = async (spec: SourceSpec, given?: string): Promise<StagedSource> => {
    const shown = given ?? formatSource(spec);
    if (spec.kind === 'index') {
      index ??= loadPackIndex(context.packIndex, signal);
      const resolved = resolveFromIndex(await index, spec.name, spec.range);
      context.onProgress({ stage: 'resolving', message: `resolving ${shown}: ${spec.name} ${resolved.version} from ${formatSource(resolved.spec)}` });
      const staged = await fetchSource(resolved.spec);
      return { ...staged, source: formatSource(spec) };
    }
    const into = await mkdtemp(path.join(context.stagingDir, 'src-'));
    if (spec.kind === 'upload') {
      // The user named the folder they uploaded; `upload:<id>` means nothing to them.
      const name = await uploadName(context.home, spec.id);
      context.onProgress({ stage: 'fetching', message: `unpacking ${name} (uploaded)` });
      const staged = await stageUpload(context.home, spec.id, into, context.archiveLimits);
      context.onStaged?.(staged.dir, name);
      return staged;
    }
    context.onProgress({ stage: 'fetching', message: `fetching ${shown}` });
    const staged = await stage(spec, into);
    context.onStaged?.(staged.dir, shown);
    await assertLinksInside(staged.dir, shown);
    return staged;
  };
  const stage = (spec: Exclude<SourceSpec, { kind: 'index' | 'upload' }>, into: string): Promise<StagedSource> => {
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
          onTool: (tool, message) => context.onProgress({ stage: 'fetching', message, tool }),
          ...(signal && { signal }),
        });
    }
  };
  return fetchSource;
}
