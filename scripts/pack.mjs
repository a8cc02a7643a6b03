#!/usr/bin/env node
// Makes the npm package of Packrun, packrun-<version>.tgz: `npm install -g ./packrun-<version>.tgz`
// installs the packrun command. The package is staged from the checkout with the same layout (the
// bundle finds the wrapper runtimes and built-in packs at the paths the sources use, scripts/build.mjs):
//   package.json                         generated here: name packrun, packages/cli's version, the
//                                        bundle's external packages as dependencies
//   packages/cli/bin, packages/cli/dist  the bin and the production bundle, built here (build.json
//                                        says packaged)
//   packages/core/{node,python}, packages/sensor-container/node   the wrapper runtimes
//   packs/core                           the built-in pack
//   packages/web/dist                    the built web UI (scripts/setup.sh builds it; built here when missing)
// Not carried: the sources, tsx, the st2 fallback libraries (compiled for the builder's Python;
// see docs/deployment.md). Run: node scripts/pack.mjs [destination folder, default the repository]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..');
const destination = path.resolve(process.argv[2] ?? repo);
const readJson = (file) => JSON.parse(readFileSync(path.join(repo, file), 'utf8'));

/**
 * What the installed package requires from node_modules: the bundle's externals (scripts/build.mjs)
 * and amqplib, which the Node sensor wrapper loads from Packrun's own folder. Each at the version
 * range the workspace package that uses it declares.
 */
const runtimeDependencies = { 'better-sqlite3': 'packages/cli', mongoose: 'packages/cli', ssh2: 'packages/cli', amqplib: 'packages/sensor-container' };

/** The folders copied as they are (paths from the repository root), and what in them is left out. */
const carried = ['packages/cli/bin', 'packages/core/node', 'packages/core/python', 'packages/sensor-container/node', 'packs/core', 'packages/web/dist', 'README.md'];
const leftOut = new Set(['__pycache__', 'tests', 'node_modules']);
const leftOutPaths = new Set(['packages/core/python/st2-fallback/site']);

const cli = readJson('packages/cli/package.json');
const dependencies = Object.fromEntries(
  Object.entries(runtimeDependencies).map(([name, from]) => {
    const range = readJson(`${from}/package.json`).dependencies?.[name];
    if (!range) throw new Error(`${from}/package.json does not declare ${name}`);
    return [name, range];
  }),
);

const stage = mkdtempSync(path.join(os.tmpdir(), 'packrun-pack-'));
try {
  execFileSync(process.execPath, [path.join(repo, 'scripts/build.mjs'), stage], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(path.join(repo, 'packages/web/dist/index.html'))) {
    execFileSync(path.join(repo, '.tools/bin/pnpm'), ['run', '--silent', 'build'], { cwd: path.join(repo, 'packages/web'), stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const entry of carried) {
    cpSync(path.join(repo, entry), path.join(stage, entry), {
      recursive: true,
      filter: (source) => {
        const fromRoot = path.relative(repo, source);
        return !leftOut.has(path.basename(source)) && !leftOutPaths.has(fromRoot);
      },
    });
  }
  // A packaged build carries no sources to compare with: it is always the one to run.
  const buildFile = path.join(stage, 'packages/cli/dist/build.json');
  const build = JSON.parse(readFileSync(buildFile, 'utf8'));
  writeFileSync(buildFile, `${JSON.stringify({ version: build.version, commit: build.commit, builtAt: build.builtAt, packaged: true })}\n`);
  const manifest = {
    name: 'packrun',
    version: cli.version,
    description: 'Packrun: run integration packs (actions, sensors, rules), each in its own environment; StackStorm-compatible',
    type: 'module',
    bin: { packrun: 'packages/cli/bin/packrun.mjs' },
    engines: { node: '>=20' },
    os: ['linux'],
    dependencies,
  };
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (!existsSync(destination)) throw new Error(`no folder ${destination} to put the package in`);
  const output = execFileSync('npm', ['pack', '--pack-destination', destination, '--loglevel=error'], { cwd: stage, encoding: 'utf8' });
  process.stdout.write(`${path.join(destination, output.trim().split('\n').at(-1))}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
