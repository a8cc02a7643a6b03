import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PackEnvironment, PackEnvironmentStatus } from '@packrun/core';
import { envReadyMarker } from './env-store.ts';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * What a reader may know of an installed pack's env, read from the env's ready marker, which the
 * build writes last: the interpreter named is the one the env was built from (as it reported
 * itself), not what pack.yaml asks for. Paths stay out: the folder and the executable are the
 * host's business.
 */
export async function readEnvStatus(env: PackEnvironment): Promise<PackEnvironmentStatus> {
  if (env.kind === 'none' || env.path === undefined) return { kind: 'none', state: 'none' };
  let marker: Record<string, unknown>;
  try {
    marker = JSON.parse(await readFile(path.join(env.path, envReadyMarker), 'utf8')) as Record<string, unknown>;
  } catch {
    return { kind: env.kind, state: 'missing' };
  }
  const python = typeof marker['python'] === 'object' && marker['python'] !== null ? (marker['python'] as Record<string, unknown>) : {};
  const implementation = text(python['implementation']);
  const version = text(python['version']);
  const builtAt = text(marker['builtAt']);
  return {
    kind: env.kind,
    state: 'ready',
    ...(implementation !== undefined && version !== undefined && { python: { implementation, version } }),
    ...(builtAt !== undefined && { builtAt }),
  };
}
