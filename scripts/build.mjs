#!/usr/bin/env node
// Builds the production bundle of the packrun CLI and services into packages/cli/dist/ (gitignored):
// one ES module per lazily loaded command (esbuild's code splitting keeps `packrun --help` from
// loading fastify or the store drivers), no tsx at run time. packages/cli/bin/packrun.mjs runs it
// while it is current (build.json lists every workspace source it was made from) and falls back to
// the sources otherwise. Run by scripts/setup.sh; `node scripts/build.mjs` after editing sources
// makes the CLI fast again (until then it runs from source, as before).
// `node scripts/build.mjs <folder>` builds into <folder>/packages/cli/dist instead (scripts/pack.mjs's
// staging folder, which has the repository's layout), leaving the checkout's bundle alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const repo = path.resolve(import.meta.dirname, '..');
/** The bundle's folder relative to the repository root (and to the npm package's root, which mirrors it). */
const outdirFromRoot = 'packages/cli/dist';
const outdir = path.join(path.resolve(process.argv[2] ?? repo), outdirFromRoot);

/**
 * Left as ordinary `import`s, resolved from node_modules at run time: native addons
 * (better-sqlite3; ssh2's optional sshcrypto and cpu-features bindings) and mongoose, whose
 * mongodb driver requires optional packages (kerberos, snappy, aws4, ...) only when configured.
 * The npm package declares them as its dependencies (scripts/pack.mjs).
 */
const externalPackages = ['better-sqlite3', 'ssh2', 'mongoose'];

/**
 * Sources that find files beside themselves (the wrapper runtimes in packages/<name>/node and
 * packages/<name>/python, the built-in packs, .tools/bin/uv) do it from import.meta.dirname or
 * import.meta.url. In the bundle both are rewritten to the source file's own location, found from
 * the bundle's folder at run time, so those files are read at their real paths: in the checkout
 * and in the npm package, which keeps the same layout.
 */
const sourceLocationPlugin = {
  name: 'packrun-source-location',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.')) return undefined;
      const fromRoot = path.relative(repo, args.path).split(path.sep).join('/');
      const contents = source
        .replaceAll('import.meta.dirname', `__packrunSourcePath(${JSON.stringify(path.posix.dirname(fromRoot))})`)
        .replaceAll('import.meta.url', `__packrunSourceUrl(${JSON.stringify(fromRoot)})`);
      return { contents, loader: 'ts' };
    });
  },
};

// Every output file (entry and chunks, all in one folder) defines the two helpers and a `require`
// for the CommonJS packages bundled into ES modules (their require of Node's built-ins).
const banner = [
  "import { createRequire as __packrunCreateRequire } from 'node:module';",
  "import __packrunPath from 'node:path';",
  "import { fileURLToPath as __packrunFileURLToPath, pathToFileURL as __packrunPathToFileURL } from 'node:url';",
  'const require = __packrunCreateRequire(import.meta.url);',
  `const __packrunRoot = __packrunPath.resolve(__packrunPath.dirname(__packrunFileURLToPath(import.meta.url)), ${JSON.stringify(path.posix.relative(outdirFromRoot, '.'))});`,
  'const __packrunSourcePath = (fromRoot) => __packrunPath.join(__packrunRoot, fromRoot);',
  'const __packrunSourceUrl = (fromRoot) => __packrunPathToFileURL(__packrunSourcePath(fromRoot)).href;',
].join('\n');

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const version = JSON.parse(readFileSync(path.join(repo, 'packages/cli/package.json'), 'utf8')).version;
const commit = gitCommit();
const builtAt = Date.now();

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { main: 'packages/cli/src/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  external: externalPackages,
  plugins: [sourceLocationPlugin],
  banner: { js: banner },
  define: { PACKRUN_BUILD: JSON.stringify({ version, commit }) },
  metafile: true,
  // Less for V8 to compile on every start (about a third off `packrun --help`); identifiers are
  // kept so an unexpected error's stack still names the functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// The workspace sources the bundle was made from: the bin runs from source again as soon as one is
// newer than the build (or gone), so an edit is never hidden behind a stale bundle.
const sources = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('packages/') && !input.includes('node_modules/'));
writeFileSync(path.join(outdir, 'build.json'), `${JSON.stringify({ version, commit, builtAt, sources }, null, 1)}\n`);
console.log(`built ${outdir} (${sources.length} sources${commit ? `, commit ${commit}` : ''})`);
