import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@packrun/core';
import type { InstallerConfig, InstallProgressEvent } from '@packrun/pack-installer';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `packrun-${prefix}-`));
}

export function installerConfig(home: string, env: Record<string, string> = {}): InstallerConfig {
  return loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: process.env['PACKRUN_PYTHON'] ?? 'python3', ...env });
}

export interface PackSpec {
  ref: string;
  version: string;
  requirements?: string;
  packageJson?: object;
  dependencies?: string[];
  /** Extra pack.yaml lines. */
  extra?: string;
  /** Adds a trivial shell action, so the pack has content. */
  files?: Record<string, string>;
  /** Symlinks to create: path in the pack -> link target. */
  links?: Record<string, string>;
}

export async function writePack(dir: string, spec: PackSpec): Promise<string> {
  await mkdir(path.join(dir, 'actions'), { recursive: true });
  const lines = [`ref: ${spec.ref}`, `name: ${spec.ref}`, 'description: a test pack', `version: ${spec.version}`, 'author: tests'];
  if (spec.dependencies) lines.push('dependencies:', ...spec.dependencies.map((d) => `  - "${d}"`));
  if (spec.extra) lines.push(spec.extra);
  await writeFile(path.join(dir, 'pack.yaml'), `${lines.join('\n')}\n`);
  await writeFile(path.join(dir, 'actions', 'hello.yaml'), 'name: hello\nrunner_type: local-shell-cmd\nparameters:\n  cmd:\n    type: string\n    default: echo hello\n');
  if (spec.requirements !== undefined) await writeFile(path.join(dir, 'requirements.txt'), spec.requirements);
  if (spec.packageJson !== undefined) await writeFile(path.join(dir, 'package.json'), JSON.stringify(spec.packageJson));
  for (const [file, content] of Object.entries(spec.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  for (const [file, target] of Object.entries(spec.links ?? {})) await symlink(target, path.join(dir, file));
  return dir;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=tests', '-c', 'user.email=tests@example.invalid', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/**
 * A bare repository (reached as file://) whose history holds one commit per pack version,
 * each tagged v<version>; `main` ends at the last one. Returns the URL and each version's commit.
 */
export async function gitRepoOfVersions(root: string, name: string, versions: PackSpec[]): Promise<{ url: string; commits: Map<string, string> }> {
  const work = path.join(root, `${name}-work`);
  const bare = path.join(root, `${name}.git`);
  await mkdir(work, { recursive: true });
  git(work, 'init', '--quiet');
  const commits = new Map<string, string>();
  for (const spec of versions) {
    await writePack(work, spec);
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', `version ${spec.version}`);
    git(work, 'tag', `v${spec.version}`);
    commits.set(spec.version, git(work, 'rev-parse', 'HEAD'));
  }
  git(root, 'clone', '--quiet', '--bare', work, bare);
  return { url: `file://${bare}`, commits };
}

export interface TarEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo';
  content?: string;
  linkpath?: string;
  mode?: number;
}

const typeFlags = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' } as const;

/** A real ustar archive written byte by byte, so tests can build the hostile entries tar tools refuse to create. */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const body = Buffer.from(type === 'file' ? (entry.content ?? '') : '');
    const header = Buffer.alloc(512);
    const put = (text: string, offset: number, length: number) => header.write(text, offset, Math.min(length, Buffer.byteLength(text)), 'utf8');
    const octal = (value: number, offset: number, length: number) => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
    put(entry.path, 0, 100);
    octal(entry.mode ?? (type === 'dir' ? 0o755 : 0o644), 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(body.length, 124, 12);
    octal(Math.floor(Date.now() / 1000), 136, 12);
    header.fill(' ', 148, 156);
    put(typeFlags[type], 156, 1);
    if (entry.linkpath) put(entry.linkpath, 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const byte of header) sum += byte;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export function packEntries(prefix: string, spec: PackSpec): TarEntry[] {
  return [
    { path: `${prefix}/`, type: 'dir' },
    { path: `${prefix}/pack.yaml`, content: `ref: ${spec.ref}\nname: ${spec.ref}\ndescription: t\nversion: ${spec.version}\nauthor: tests\n` },
    { path: `${prefix}/actions/`, type: 'dir' },
    { path: `${prefix}/actions/hello.yaml`, content: 'name: hello\nrunner_type: local-shell-cmd\n' },
  ];
}

/** Serves the given files from 127.0.0.1 (the only HTTP host tests can reach). */
export async function serveFiles(files: Map<string, Buffer | string>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const body = files.get(request.url ?? '');
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function recorder(): { events: InstallProgressEvent[]; onProgress: (event: InstallProgressEvent) => void; tools: () => string[] } {
  const events: InstallProgressEvent[] = [];
  return {
    events,
    onProgress: (event) => events.push(event),
    tools: () => events.filter((event) => event.tool !== undefined).map((event) => event.tool as string),
  };
}

/** Runs the env's own interpreter, as a runner would. */
export function envPython(python: string, code: string): string {
  return execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim();
}
