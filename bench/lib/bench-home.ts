// bench/ is not a workspace package, so it reaches the packages by path.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataPaths, loadConfig, type DataPaths, type PackrunConfig } from '../../packages/core/src/index.ts';
import { installPack } from '../../packages/pack-installer/src/index.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The real interpreter behind the pyenv shim (the shim costs ~135 ms per start). */
export function realPython(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

export interface BenchHome {
  root: string;
  paths: DataPaths;
  env: Record<string, string>;
  /** The same home with warm spawning off and on. */
  cold: PackrunConfig;
  warm: PackrunConfig;
}

export function benchHome(extra: Record<string, string> = {}): BenchHome {
  const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-'));
  const env = { PACKRUN_HOME: path.join(root, 'home'), PACKRUN_PYTHON: realPython(), PACKRUN_LOG_LEVEL: 'error', ...extra };
  return {
    root,
    env,
    paths: dataPaths(env.PACKRUN_HOME),
    cold: loadConfig({ ...env, PACKRUN_WARM_SPAWN: 'off' }),
    warm: loadConfig({ ...env, PACKRUN_WARM_SPAWN: 'on' }),
  };
}

const trivial = `from st2common.runners.base_action import Action


class Trivial(Action):
    def run(self, n):
        return {'n': n}
`;

const heavy = `import jinja2
import requests
import yaml
from st2common.runners.base_action import Action


class Heavy(Action):
    def run(self, n):
        return {'n': n, 'versions': [requests.__version__, yaml.__version__, jinja2.__version__]}
`;

const big = `from st2common.runners.base_action import Action


class Big(Action):
    def run(self, n):
        return 'x' * n
`;

function actionYaml(name: string): string {
  return `name: ${name}\nrunner_type: python-script\nentry_point: ${name}.py\nparameters:\n  n:\n    type: integer\n    default: 0\n`;
}

/**
 * Writes a pack `ref` with a trivial and (when `heavyDeps`) a heavy action; the heavy one imports
 * requests, yaml and jinja2 from the pack's own venv, which pack.yaml asks the zygote to preload.
 */
export function writeBenchPack(root: string, ref: string, heavyDeps: boolean): string {
  const dir = path.join(root, 'packs-src', ref);
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  const preload = heavyDeps ? '\npreload_imports: [requests, yaml, jinja2]' : '';
  writeFileSync(path.join(dir, 'pack.yaml'), `ref: ${ref}\nname: ${ref}\ndescription: Packrun benchmark pack\nversion: 0.1.0\nauthor: Packrun\nemail: packrun@example.invalid${preload}\n`);
  writeFileSync(path.join(dir, 'actions', 'trivial.py'), trivial);
  writeFileSync(path.join(dir, 'actions', 'trivial.yaml'), actionYaml('trivial'));
  // The same without network: under the sandbox, a zygote (or a cold job) with no network namespace of its own.
  writeFileSync(path.join(dir, 'actions', 'trivial_offline.yaml'), `${actionYaml('trivial_offline').replace('trivial_offline.py', 'trivial.py')}sandbox:\n  network: false\n`);
  writeFileSync(path.join(dir, 'actions', 'ntrivial.mjs'), 'export default async function trivial({ n }) {\n  return { n };\n}\n');
  writeFileSync(path.join(dir, 'actions', 'ntrivial.yaml'), actionYaml('ntrivial').replace('python-script', 'node-script').replace('ntrivial.py', 'ntrivial.mjs'));
  writeFileSync(path.join(dir, 'actions', 'strivial.sh'), '#!/bin/sh\necho "$@"\n');
  writeFileSync(path.join(dir, 'actions', 'strivial.yaml'), actionYaml('strivial').replace('python-script', 'local-shell-script').replace('strivial.py', 'strivial.sh'));
  writeFileSync(path.join(dir, 'actions', 'big.py'), big);
  writeFileSync(path.join(dir, 'actions', 'big.yaml'), actionYaml('big'));
  if (heavyDeps) {
    writeFileSync(path.join(dir, 'requirements.txt'), 'requests\nPyYAML\njinja2\n');
    writeFileSync(path.join(dir, 'actions', 'heavy.py'), heavy);
    writeFileSync(path.join(dir, 'actions', 'heavy.yaml'), actionYaml('heavy'));
  }
  return dir;
}

export async function installBenchPacks(home: BenchHome, packs: Array<{ ref: string; heavy: boolean }>): Promise<void> {
  await installPack(
    packs.map((pack) => writeBenchPack(home.root, pack.ref, pack.heavy)),
    { config: home.cold },
  );
}
