import { randomUUID } from 'node:crypto';
import { lchown, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { shareReadOnly, type SpawnDecorator } from '@packrun/core';
import type { ToolSandbox } from './run-tool.ts';

/**
 * uv, pip and npm run code from the pack (a setup.py, an install script), so an env build goes
 * through the same spawn decorator as actions, as kind `build`: the build uid, a cgroup with the
 * build limits, bubblewrap with the network, the staged pack read-only, and only the env being
 * built, the tool's cache and a private home writable. Nothing else of the data folder is there.
 */
export interface BuildSandboxOptions {
  decorator: SpawnDecorator;
  timeoutSeconds: number;
  ref: string;
  /** The staged pack: readable by the tool (local paths in its requirements). */
  packDir: string;
  /** The env folder being built. */
  buildDir: string;
  stagingDir: string;
}

export interface BuildSandbox {
  /** The sandbox for one tool run, writing into `cacheDir` when given (created when missing). */
  forTool(options: { cacheDir?: string; interpreters?: string[] }): Promise<ToolSandbox>;
  /** HOME and TMPDIR of the build, for the tool's environment. */
  homeDir: string;
  /** Gives the finished env back to root, readable by all (the build uid may no longer change it); drops the home. */
  finish(): Promise<void>;
  /** Drops the home after a failed build. */
  discard(): Promise<void>;
}

export async function createBuildSandbox(options: BuildSandboxOptions): Promise<BuildSandbox> {
  const homeDir = await mkdtemp(path.join(options.stagingDir, `build-home-${options.ref}-`));
  return {
    homeDir,
    async forTool({ cacheDir, interpreters = [] }) {
      if (cacheDir) await mkdir(cacheDir, { recursive: true });
      return {
        decorator: options.decorator,
        timeoutMs: options.timeoutSeconds * 1000,
        context: {
          kind: 'build',
          pack: options.ref,
          packDir: options.packDir,
          jobDir: homeDir,
          executionId: `build-${randomUUID().slice(0, 8)}`,
          writableDirs: [options.buildDir, ...(cacheDir ? [cacheDir] : [])],
          interpreters,
        },
      };
    },
    async finish() {
      await ownByRoot(options.buildDir);
      await shareReadOnly(options.buildDir);
      await rm(homeDir, { recursive: true, force: true });
    },
    async discard() {
      await rm(homeDir, { recursive: true, force: true });
    },
  };
}

async function ownByRoot(target: string): Promise<void> {
  const stat = await lstat(target);
  if (stat.uid !== 0 || stat.gid !== 0) await lchown(target, 0, 0);
  if (stat.isDirectory()) for (const entry of await readdir(target)) await ownByRoot(path.join(target, entry));
}

/** Variables a build tool may see: where to find things and how to reach the index, nothing of the runtime's. */
const passedNames = /^(PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|NODE_EXTRA_CA_CERTS|PIP_[A-Z_]+|UV_[A-Z_]+|npm_config_[a-z_]+|NPM_CONFIG_[A-Z_]+)$/;

export function buildToolEnv(base: NodeJS.ProcessEnv, homeDir: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && passedNames.test(name)) env[name] = value;
  return { ...env, HOME: homeDir, TMPDIR: homeDir, ...extra };
}
