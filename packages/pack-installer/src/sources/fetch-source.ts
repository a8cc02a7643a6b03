import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError } from '@packrun/core';
import type { ProgressListener } from '../progress.ts';
import { stageFolder, type StagedSource } from './folder-source.ts';
import { formatSource, type SourceSpec } from './source-spec.ts';

export interface FetchContext {
  /** This install's private staging folder. */
  stagingDir: string;
  onProgress: ProgressListener;
  /** PACKRUN_PACK_INDEX: where pack names are resolved. */
  packIndex: string | undefined;
  signal?: AbortSignal;
}

/** Brings a source's pack files into a fresh folder under this install's staging folder. */
export async function fetchSource(spec: SourceSpec, context: FetchContext): Promise<StagedSource> {
  const into = await mkdtemp(path.join(context.stagingDir, 'src-'));
  context.onProgress({ stage: 'fetching', pack: formatSource(spec), message: `fetching ${formatSource(spec)}` });
  switch (spec.kind) {
    case 'folder':
      return stageFolder(spec.path, into);
    default:
      throw new PackrunError('PACK_SOURCE_INVALID', `${spec.kind} sources are not supported`, { details: { source: formatSource(spec) } });
  }
}
