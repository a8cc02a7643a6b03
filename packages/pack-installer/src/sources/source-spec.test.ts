import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSource, parseDependency, parseSource } from './source-spec.ts';

describe('parseSource', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'packrun-spec-'));
    await mkdir(path.join(cwd, 'mypack'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const cases: Array<[string, unknown]> = [
    ['./mypack', { kind: 'folder', path: 'CWD/mypack' }],
    ['mypack', { kind: 'folder', path: 'CWD/mypack' }],
    ['/srv/packs/x.tar.gz', { kind: 'archive-file', path: '/srv/packs/x.tar.gz' }],
    ['https://example.invalid/x-1.0.0.tar.gz?token=1', { kind: 'archive-url', url: 'https://example.invalid/x-1.0.0.tar.gz?token=1' }],
    ['https://github.com/StackStorm-Exchange/stackstorm-aws', { kind: 'git', url: 'https://github.com/StackStorm-Exchange/stackstorm-aws' }],
    ['https://github.com/o/r.git=v1.2.3', { kind: 'git', url: 'https://github.com/o/r.git', ref: 'v1.2.3' }],
    ['git@github.com:o/r.git=main', { kind: 'git', url: 'git@github.com:o/r.git', ref: 'main' }],
    ['file:///srv/git/r.git=^1.0', { kind: 'git', url: 'file:///srv/git/r.git', ref: '^1.0' }],
    ['aws', { kind: 'index', name: 'aws' }],
    ['aws=1.2.0', { kind: 'index', name: 'aws', range: '1.2.0' }],
    ['aws=>=1.2 <2', { kind: 'index', name: 'aws', range: '>=1.2 <2' }],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${text}`, () => {
      const spec = parseSource(text, cwd);
      expect(JSON.parse(JSON.stringify(spec).replaceAll(cwd, 'CWD'))).toEqual(expected);
      expect(parseSource(formatSource(spec), cwd)).toEqual(spec);
    });
  }

  it('refuses what is none of them', () => {
    expect(() => parseSource('not a pack!', cwd)).toThrow(expect.objectContaining({ code: 'PACK_SOURCE_INVALID' }));
    expect(() => parseSource('aws=', cwd)).toThrow(expect.objectContaining({ code: 'PACK_SOURCE_INVALID' }));
  });
});

describe('parseDependency', () => {
  it('never treats a dependency as a local path', () => {
    expect(parseDependency('mypack')).toEqual({ kind: 'index', name: 'mypack' });
    expect(parseDependency('mypack=^2')).toEqual({ kind: 'index', name: 'mypack', range: '^2' });
    expect(parseDependency('https://example.invalid/r.git=v1.0.0')).toEqual({ kind: 'git', url: 'https://example.invalid/r.git', ref: 'v1.0.0' });
    expect(() => parseDependency('../other')).toThrow(expect.objectContaining({ code: 'PACK_DEPENDENCY_INVALID' }));
  });
});
