import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

let cached: string[] | undefined;

/**
 * The folders a sandboxed Node sensor must read to load Packrun's own amqplib (the wrapper
 * requires it from its own package, never the pack's node_modules): this package's node_modules
 * and the pnpm store folder its links point into, or, installed by npm (the packrun package's
 * flat node_modules, no store), the node_modules folder amqplib and its dependencies sit in.
 */
export function nodeBrokerClientDirs(): string[] {
  if (cached) return cached;
  const packageModules = path.resolve(import.meta.dirname, '../../node_modules');
  const resolved = realpathSync(path.dirname(createRequire(import.meta.url).resolve('amqplib/package.json')));
  let store = resolved;
  while (path.basename(store) !== '.pnpm' && path.dirname(store) !== store) store = path.dirname(store);
  cached = [packageModules, path.basename(store) === '.pnpm' ? store : path.dirname(resolved)].filter((dir) => existsSync(dir));
  return cached;
}
