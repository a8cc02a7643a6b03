import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../runner/fixtures.ts';

/** StackStorm's real CLI, installed by scripts/setup.sh from test/st2client/requirements.txt. */
const st2Bin = path.join(repoRoot, '.tools/st2client/bin/st2');
export const st2Missing = existsSync(st2Bin) ? undefined : `${st2Bin} is missing: run scripts/setup.sh (it installs st2client 3.9.0 there)`;

export interface St2Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * One user of the st2 CLI: a HOME and an empty ~/.st2/config of its own (st2 caches tokens in
 * ~/.st2, `st2 login` writes the config), pointed at a Packrun API by ST2_API_URL / ST2_AUTH_URL /
 * ST2_STREAM_URL as given, its HOME made under `root` (the caller removes it). `run` starts the
 * real `st2` in its own process with only these.
 */
export function st2User(root: string, urls: { api: string; auth?: string; stream?: string }) {
  const home = mkdtempSync(path.join(root, 'st2-user-'));
  const config = path.join(home, 'st2.conf');
  writeFileSync(config, '');
  const base: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    ST2_CONFIG_FILE: config,
    ST2_API_URL: urls.api,
    ...(urls.auth ? { ST2_AUTH_URL: urls.auth } : {}),
    ...(urls.stream ? { ST2_STREAM_URL: urls.stream } : {}),
  };
  return {
    home,
    config,
    run(args: string[], env: Record<string, string> = {}): Promise<St2Result> {
      return new Promise((resolve, reject) => {
        const child = spawn(st2Bin, args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    },
  };
}
