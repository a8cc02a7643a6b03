/**
 * Pack install benchmark: a pack with five small PyPI requirements, installed cold (empty
 * cache), with a warm cache (a second pack with the same requirements, so its env is new but
 * the cache is full), and reinstalled unchanged; once with uv and once with venv + pip.
 * Run: node --import tsx bench/pack-install/run.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// bench/ is not a workspace package, so it reaches the packages by path.
import { loadConfig } from '../../packages/core/src/index.ts';
import { installPack, type InstallTool } from '../../packages/pack-installer/src/index.ts';

const requirements = ['six==1.16.0', 'idna==3.7', 'attrs==23.2.0', 'packaging==24.0', 'python-dateutil==2.9.0.post0'].join('\n');

async function writeBenchPack(root: string, ref: string): Promise<string> {
  const dir = path.join(root, ref);
  await mkdir(path.join(dir, 'actions'), { recursive: true });
  await writeFile(path.join(dir, 'pack.yaml'), `ref: ${ref}\nname: ${ref}\ndescription: bench\nversion: 1.0.0\nauthor: bench\n`);
  await writeFile(path.join(dir, 'requirements.txt'), `${requirements}\n`);
  await writeFile(path.join(dir, 'actions', 'check.yaml'), 'name: check\nrunner_type: python-script\nentry_point: check.py\n');
  await writeFile(path.join(dir, 'actions', 'check.py'), 'import dateutil, attrs, idna, packaging, six\n');
  return dir;
}

interface Measured {
  ms: number;
  tools: InstallTool[];
}

async function timed(source: string, home: string, uv: 'off' | ''): Promise<Measured> {
  const tools: InstallTool[] = [];
  const config = loadConfig({ ...process.env, PACKRUN_HOME: home, PACKRUN_UV: uv });
  const started = performance.now();
  await installPack(source, { config, onProgress: (event) => void (event.tool && tools.push(event.tool)) });
  return { ms: performance.now() - started, tools };
}

const root = await mkdtemp(path.join(os.tmpdir(), 'packrun-bench-install-'));
try {
  const packA = await writeBenchPack(path.join(root, 'src'), 'bench_a');
  const packB = await writeBenchPack(path.join(root, 'src'), 'bench_b');
  const rows: Array<[string, string, Measured]> = [];
  for (const [builder, uv] of [['venv+pip', 'off'], ['uv', '']] as const) {
    const home = path.join(root, `home-${builder}`);
    rows.push([builder, 'cold (empty cache)', await timed(packA, home, uv)]);
    rows.push([builder, 'warm cache (new env)', await timed(packB, home, uv)]);
    rows.push([builder, 'reinstall unchanged', await timed(packA, home, uv)]);
  }
  const baseline = rows[0]?.[2].ms ?? 1;
  const lines = [
    `pack with ${requirements.split('\n').length} requirements: ${requirements.replace(/\n/g, ', ')}`,
    '',
    `${'builder'.padEnd(10)}${'scenario'.padEnd(24)}${'time'.padStart(10)}${'vs cold pip'.padStart(14)}  tools run`,
    ...rows.map(([builder, scenario, m]) =>
      `${builder.padEnd(10)}${scenario.padEnd(24)}${`${m.ms.toFixed(0)} ms`.padStart(10)}${`${(m.ms / baseline).toFixed(3)}x`.padStart(14)}  ${m.tools.join(', ') || '(none)'}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
