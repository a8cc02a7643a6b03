import { rm } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { PackrunError } from '@packrun/core';
import type { InstallTool } from '../progress.ts';
import { runTool } from '../run-tool.ts';
import type { StagedSource } from './folder-source.ts';

export interface GitFetch {
  url: string;
  ref?: string | undefined;
  into: string;
  onTool: (tool: InstallTool, message: string) => void;
  signal?: AbortSignal;
}

/** No prompts (a missing credential fails instead of hanging) and no `ext::` or other command transports. */
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' };

function git(args: string[], signal?: AbortSignal) {
  return runTool({ command: 'git', args, env: gitEnv, ...(signal && { signal }) });
}

function folderName(url: string): string {
  const base = path.posix.basename(url.replace(/[?#].*$/, '').replace(/\/+$/, '')).replace(/\.git$/, '');
  return base.replace(/[^A-Za-z0-9_.-]/g, '_') || 'pack';
}

/** Tags of the remote that are semver versions (`v1.2.3` or `1.2.3`), mapped version -> tag. */
async function versionTags(url: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const { stdout } = await git(['ls-remote', '--tags', '--refs', '--', url], signal);
  const tags = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const tag = line.split('\trefs/tags/')[1]?.trim();
    if (!tag) continue;
    const version = semver.valid(tag.replace(/^v/, ''));
    if (version && (!tags.has(version) || tag.startsWith('v'))) tags.set(version, tag);
  }
  return tags;
}

/**
 * The names to try for `=ref`: a version is looked for as the `v<version>` tag first (StackStorm's
 * convention) and then as itself; a semver range picks the highest matching version tag.
 */
async function candidates(url: string, ref: string, signal?: AbortSignal): Promise<string[]> {
  const version = semver.valid(ref.replace(/^v/, ''));
  if (version) return ref.startsWith('v') ? [ref, version] : [`v${version}`, version];
  if (/[\^~<>=*x]/.test(ref) && semver.validRange(ref)) {
    const tags = await versionTags(url, signal);
    const best = semver.maxSatisfying([...tags.keys()], ref);
    if (!best) {
      throw new PackrunError('PACK_VERSION_NOT_FOUND', `${url} has no version tag matching ${ref}`, {
        details: { source: url, range: ref, tags: [...tags.values()] },
      });
    }
    return [tags.get(best) as string];
  }
  return [ref];
}

/** Clones the repository (shallow where the ref allows) into staging and drops its .git folder. */
export async function stageGit(fetch: GitFetch): Promise<StagedSource> {
  const { url, ref, signal } = fetch;
  if (url.startsWith('-')) throw new PackrunError('PACK_SOURCE_INVALID', `"${url}" is not a git URL`, { details: { source: url } });
  const dir = path.join(fetch.into, folderName(url));
  const source = ref === undefined ? url : `${url}=${ref}`;
  fetch.onTool('git', `git clone ${source}`);
  const clone = async (): Promise<void> => {
    if (ref === undefined) {
      await git(['clone', '--quiet', '--depth', '1', '--', url, dir], signal);
      return;
    }
    const failures: string[] = [];
    for (const name of await candidates(url, ref, signal)) {
      try {
        await git(['clone', '--quiet', '--depth', '1', '--branch', name, '--', url, dir], signal);
        return;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
        await rm(dir, { recursive: true, force: true });
      }
    }
    // Not a branch or tag: a commit needs the full history.
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      await git(['clone', '--quiet', '--', url, dir], signal);
      await git(['-C', dir, 'checkout', '--quiet', '--detach', ref], signal);
      return;
    }
    throw new PackrunError('PACK_VERSION_NOT_FOUND', `${url} has no branch, tag or commit "${ref}"`, {
      hint: 'give a branch, a tag, a commit or a version (tag v<version>)',
      details: { source: url, ref, output: failures.join('\n') },
    });
  };
  try {
    await clone();
  } catch (error) {
    if (error instanceof PackrunError && error.code === 'TOOL_FAILED') {
      throw new PackrunError('PACK_FETCH_FAILED', `git could not fetch ${source}: ${error.message}`, {
        hint: 'check the URL, the ref and that the host is reachable',
        details: { source },
        cause: error,
      });
    }
    throw error;
  }
  const { stdout } = await git(['-C', dir, 'rev-parse', 'HEAD'], signal);
  await rm(path.join(dir, '.git'), { recursive: true, force: true });
  return { dir, source, resolved: stdout.trim() };
}
