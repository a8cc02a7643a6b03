import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [full] : [];
  });
}

describe('error codes', () => {
  it('documents every code raised in the sources in docs/errors.md', () => {
    const documented = readFileSync(path.join(repo, 'docs/errors.md'), 'utf8');
    const raised = new Set<string>();
    for (const file of sourceFiles(path.join(repo, 'packages'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/new PackrunError\(\s*'([A-Z0-9_]+)'/g)) {
        raised.add(match[1]!);
      }
    }
    expect(raised.size).toBeGreaterThan(0);
    const missing = [...raised].filter((code) => !documented.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
