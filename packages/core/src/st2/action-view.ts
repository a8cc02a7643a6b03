import type { ActionRecord } from '../store/types.ts';
import type { ActionUnavailable } from '../pack/types.ts';

/** An action as StackStorm 3.9's API shows it (`GET /api/v1/actions`, an execution's `action`). */
export interface St2Action {
  id: string;
  uid: string;
  ref: string;
  name: string;
  pack: string;
  description: string;
  enabled: boolean;
  entry_point: string;
  runner_type: string;
  parameters: Record<string, unknown>;
  output_schema: Record<string, unknown>;
  tags: unknown[];
  notify: Record<string, unknown>;
  metadata_file?: string;
  /** Packrun's own: why the action cannot run (its runner is missing, its workflow was refused). */
  unavailable?: ActionUnavailable;
}

/** What the view keeps of an action whose record is gone (its pack was removed since it ran). */
export type St2ActionOfExecution = St2Action | Pick<St2Action, 'ref' | 'name' | 'pack' | 'runner_type' | 'uid'>;

function metadataObject(metadata: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = metadata[field];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The one view of an action record in StackStorm's shape (id is Packrun's id, the ref). */
export function st2Action(record: ActionRecord): St2Action {
  const metadataFile = record.metadata['metadata_file'];
  return {
    id: record.id,
    uid: `action:${record.pack}:${record.name}`,
    ref: record.ref,
    name: record.name,
    pack: record.pack,
    description: record.description ?? '',
    enabled: record.enabled,
    entry_point: record.entryPoint ?? '',
    runner_type: record.runnerType,
    parameters: record.parameters,
    output_schema: record.outputSchema ?? {},
    tags: record.tags ?? [],
    notify: metadataObject(record.metadata, 'notify'),
    ...(typeof metadataFile === 'string' ? { metadata_file: metadataFile } : {}),
    ...(record.unavailable ? { unavailable: record.unavailable } : {}),
  };
}

/** The action of an execution whose action record no longer exists: what the execution knows of it. */
export function st2ActionOfRef(ref: string, runnerType: string | undefined): St2ActionOfExecution {
  const dot = ref.indexOf('.');
  const pack = dot > 0 ? ref.slice(0, dot) : '';
  const name = dot > 0 ? ref.slice(dot + 1) : ref;
  return { ref, name, pack, uid: `action:${pack}:${name}`, runner_type: runnerType ?? '' };
}
