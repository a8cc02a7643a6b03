import type { SensorRecord } from '@packrun/core';
import type { SensorState } from './sensor-supervisor.ts';

/**
 * A sensor as StackStorm's API shows it (st2common's SensorTypeAPI: `/sensortypes`), with
 * Packrun's process state beside it in snake_case: st2 has no field for whether the process
 * runs, how often it crashed and what it last wrote to stderr.
 */
export interface St2SensorType {
  id: string;
  uid: string;
  ref: string;
  name: string;
  pack: string;
  description?: string;
  artifact_uri: string;
  entry_point: string;
  enabled: boolean;
  trigger_types: string[];
  poll_interval?: number;
  /** `running`, `backoff`, `failed`, `stopped`...; `unknown` when no container has reported it. */
  status: string;
  pid?: number;
  started_at?: string;
  starts?: number;
  consecutive_failures?: number;
  next_start_at?: string;
  backoff_ms?: number;
  last_exit?: { at: string; exit_code: number | null; signal: string | null };
  last_error?: string;
  last_error_stderr?: string[];
  stderr_tail?: string[];
}

/** The sensor's record with the state its container reports (live, or as last written to the record). */
export function st2SensorType(record: SensorRecord, state: Partial<SensorState> | undefined): St2SensorType {
  const live = state ?? (record.runtime as Partial<SensorState> | undefined) ?? {};
  return {
    id: record.id,
    uid: `sensor_type:${record.pack}:${record.name}`,
    ref: record.ref,
    name: record.name,
    pack: record.pack,
    ...(record.description === undefined ? {} : { description: record.description }),
    artifact_uri: `file:///${record.pack}/sensors/${record.entryPoint}`,
    entry_point: record.entryPoint,
    enabled: record.enabled,
    trigger_types: record.triggerTypes,
    ...(record.pollInterval === undefined ? {} : { poll_interval: record.pollInterval }),
    status: typeof live.status === 'string' ? live.status : 'unknown',
    ...(live.pid === undefined ? {} : { pid: live.pid }),
    ...(live.startedAt === undefined ? {} : { started_at: live.startedAt }),
    ...(live.starts === undefined ? {} : { starts: live.starts }),
    ...(live.consecutiveFailures === undefined ? {} : { consecutive_failures: live.consecutiveFailures }),
    ...(live.nextStartAt === undefined ? {} : { next_start_at: live.nextStartAt }),
    ...(live.backoffMs === undefined ? {} : { backoff_ms: live.backoffMs }),
    ...(live.lastExit === undefined ? {} : { last_exit: { at: live.lastExit.at, exit_code: live.lastExit.exitCode, signal: live.lastExit.signal } }),
    ...(live.lastError === undefined ? {} : { last_error: live.lastError }),
    ...(live.lastErrorStderr === undefined ? {} : { last_error_stderr: live.lastErrorStderr }),
    ...(live.stderrTail === undefined ? {} : { stderr_tail: live.stderrTail }),
  };
}
