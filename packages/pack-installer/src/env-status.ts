import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { PackEnvironment, PackEnvironmentStatus } from '@packrun/core';
import { envReadyMarker } from './env-store.ts';

/** The installer writes a few hundred bytes; more is not its marker. */
const markerMaxBytes = 16 * 1024;

const implementationPattern = /^[a-z][a-z0-9_]{0,31}$/;
const versionPattern = /^\d{1,4}(\.\d{1,4}){1,3}[a-z0-9+.-]{0,16}$/;

/**
 * What a reader may know of an installed pack's env, read from the env's ready marker, which the
 * build writes last: the interpreter named is the one the env was built from (as it reported
 * itself), not what pack.yaml asks for. Paths stay out: the folder and the executable are the
 * host's business. The marker is read without following a link, and only values of the shapes the
 * installer writes are taken from it.
 */
export async function readEnvStatus(env: PackEnvironment): Promise<PackEnvironmentStatus> {
  if (env.kind === 'none' || env.path === undefined) return { kind: 'none', state: 'none' };
  const marker = await readMarker(path.join(env.path, envReadyMarker));
  if (!marker) return { kind: env.kind, state: 'missing' };
  const python = typeof marker['python'] === 'object' && marker['python'] !== null ? (marker['python'] as Record<string, unknown>) : {};
  const implementation = python['implementation'];
  const version = python['version'];
  const builtAt = marker['builtAt'];
  return {
    kind: env.kind,
    state: 'ready',
    ...(typeof implementation === 'string' && implementationPattern.test(implementation) && typeof version === 'string' && versionPattern.test(version) && { python: { implementation, version } }),
    ...(typeof builtAt === 'string' && builtAt.length <= 32 && !Number.isNaN(Date.parse(builtAt)) && { builtAt }),
  };
}

async function readMarker(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(markerMaxBytes + 1), position: 0 });
      if (bytesRead > markerMaxBytes) return undefined;
      const parsed: unknown = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8'));
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
