import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/**
 * The web UI's budget: the JavaScript the first page load fetches (the entry module and every
 * module index.html preloads) is at most 250 KB gzipped. Measured on the files scripts/setup.sh
 * built into packages/web/dist, each gzipped at level 9 as a server or proxy would send them.
 */
const dist = path.resolve(import.meta.dirname, '../../packages/web/dist');
const budgetBytes = 250 * 1024;

describe('the web UI bundle', () => {
  it('loads at most 250 KB of gzipped JavaScript on the first page', () => {
    expect(existsSync(path.join(dist, 'index.html')), 'packages/web/dist is not built: run scripts/setup.sh').toBe(true);
    const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((match) => match[1] ?? match[2]!);
    expect(initial.length).toBeGreaterThan(0);
    // No inline script: the page's Content-Security-Policy would refuse it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    let gzipped = 0;
    for (const src of initial) {
      expect(src, 'the page loads its scripts from this origin, never a CDN').toMatch(/^\/assets\/[^/]+\.js$/);
      gzipped += gzipSync(readFileSync(path.join(dist, src)), { level: 9 }).length;
    }
    console.log(`web UI initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped (${initial.join(', ')}); budget ${budgetBytes / 1024} KB`);
    expect(gzipped).toBeLessThanOrEqual(budgetBytes);
  });
});
