import path from 'node:path';

/**
 * The data folder layout (PACKRUN_HOME). Only a validated pack ref ever becomes a path segment
 * here; callers validate with `assertPackRef` first.
 */
export interface DataPaths {
  home: string;
  /** Installed pack content: packs/<ref> is the active version. */
  packs: string;
  /** Per-pack environments: envs/<ref>/<hash>. */
  envs: string;
  /** Site configs: configs/<ref>.yaml. */
  configs: string;
  store: string;
  logs: string;
  /** Staging area for installs; on the same filesystem as packs/ so the final rename is atomic. */
  staging: string;
  /** Per-execution job folders (the only writable place for sandboxed code). */
  jobs: string;
  cache: string;
  /** What running processes record for others to find (the API's address: run/api.json). */
  run: string;
}

export function dataPaths(home: string): DataPaths {
  const root = path.resolve(home);
  return {
    home: root,
    packs: path.join(root, 'packs'),
    envs: path.join(root, 'envs'),
    configs: path.join(root, 'configs'),
    store: path.join(root, 'store'),
    logs: path.join(root, 'logs'),
    staging: path.join(root, 'staging'),
    jobs: path.join(root, 'jobs'),
    cache: path.join(root, 'cache'),
    run: path.join(root, 'run'),
  };
}
