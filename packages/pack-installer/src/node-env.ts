import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildToolEnv, type BuildSandbox } from './build-sandbox.ts';
import type { InstallTool } from './progress.ts';
import { runTool } from './run-tool.ts';
import { npmProgressLine } from './tool-progress.ts';

export interface NodeEnvBuild {
  buildDir: string;
  packageJson: string;
  packageLock: string | undefined;
  allowScripts: boolean;
  cacheDir: string;
  onTool: (tool: InstallTool, message: string) => void;
  onLine: (line: string) => void;
  signal?: AbortSignal;
  /** Runs npm sandboxed, as the build uid; unsandboxed when absent. */
  sandbox?: BuildSandbox;
}

/**
 * Installs a pack's node_modules in its env folder from its package.json (and lockfile, with
 * `npm ci`). Install scripts of dependencies run only when the operator allows them.
 */
export async function buildNodeEnv(build: NodeEnvBuild): Promise<void> {
  await writeFile(path.join(build.buildDir, 'package.json'), build.packageJson);
  if (build.packageLock !== undefined) await writeFile(path.join(build.buildDir, 'package-lock.json'), build.packageLock);
  const command = build.packageLock === undefined ? 'install' : 'ci';
  const cacheDir = path.join(build.cacheDir, 'npm');
  const args = [command, '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline', '--cache', cacheDir];
  if (!build.allowScripts) args.push('--ignore-scripts');
  build.onTool('npm', `npm ${command}`);
  // http: a line per package fetched (tool-progress.ts), not silence until the end.
  const npmVars = { npm_config_update_notifier: 'false', npm_config_loglevel: 'http' };
  const sandbox = await build.sandbox?.forTool({ cacheDir });
  await runTool({
    command: 'npm',
    args,
    cwd: build.buildDir,
    env: build.sandbox ? buildToolEnv(process.env, build.sandbox.homeDir, npmVars) : { ...process.env, ...npmVars },
    onLine: build.onLine,
    lineFilter: npmProgressLine,
    ...(build.signal && { signal: build.signal }),
    ...(sandbox && { sandbox }),
  });
}
