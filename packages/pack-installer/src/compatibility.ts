import semver from 'semver';
import { PackrunError, type PackMeta } from '@packrun/core';
import { fitsPythonVersions, parsePythonVersions } from './python-versions.ts';

/** The StackStorm version whose behaviour Packrun emulates, checked against `stackstorm_version`. */
export const STACKSTORM_VERSION = '3.9.0';

/**
 * Refuses a pack that declares it does not run on the StackStorm version Packrun emulates, or on
 * the pack env's Python version. `force` turns both refusals into warnings.
 */
export function checkCompatibility(meta: PackMeta, pythonVersion: string | undefined, force: boolean): string[] {
  const problems: string[] = [];
  if (meta.stackstormVersion !== undefined) {
    // StackStorm writes comparison lists with commas (">=1.8.0, <2.2.0"); semver wants spaces.
    const range = semver.validRange(meta.stackstormVersion.replace(/,/g, ' '));
    if (range === null) {
      problems.push(`stackstorm_version "${meta.stackstormVersion}" is not a version comparison list`);
    } else if (!semver.satisfies(STACKSTORM_VERSION, range)) {
      problems.push(`needs StackStorm ${meta.stackstormVersion}; Packrun emulates StackStorm ${STACKSTORM_VERSION}`);
    }
  }
  if (pythonVersion !== undefined && meta.pythonVersions.length > 0) {
    if (!fitsPythonVersions(pythonVersion, parsePythonVersions(meta))) problems.push(`supports Python ${meta.pythonVersions.join(', ')}; its env would use Python ${pythonVersion}`);
  }
  if (problems.length === 0 || force) return problems;
  throw new PackrunError('PACK_INCOMPATIBLE', `pack "${meta.ref}" ${meta.version} ${problems.join('; ')}`, {
    hint: 'install a version of the pack made for this runtime, or pass --force to install it anyway',
    details: { pack: meta.ref, version: meta.version, problems },
  });
}
