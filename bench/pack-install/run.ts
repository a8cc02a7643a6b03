/**
 * Pack install benchmark: a pack with five small PyPI requirements, installed cold (empty
 * cache), with a warm cache (a new version of the pack whose requirements file differs, so its
 * env is new but the pack's own cache is full: caches are per pack), and reinstalled unchanged;
 * once with uv and once with venv + pip.
 * Run: node --import tsx bench/pack-install/run.ts [repeats, default 5]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// bench/ is not a workspace package, so it reaches the packages by path.
import { loadConfig } from '../../packages/core/src/index.ts';
import { installPack, type InstallTool } from '../../packages/pack-installer/src/index.ts';

const requirements = ['six==1.16.0', 'idna==3.7', 'attrs==23.2.0', 'packaging==24.0', 'python-dateutil==2.9.0.post0'].join('\n');

/** Version `1.0.<patch>` of the bench pack; each patch's requirements differ by a comment, so each needs a new env. */
async function writeBenchPack(root: string, ref: string, patch = 0): Promise<string> {
  const dir = path.join(root, `${ref}-${patch}`);
  await mkdir(path.join(dir, 'actions'), { recursive: true });
  await writeFile(path.join(dir, 'pack.yaml'), `ref: ${ref}\nname: ${ref}\ndescription: bench\nversion: 1.0.${patch}\nauthor: bench\n`);
  await writeFile(path.join(dir, 'requirements.txt'), `# version 1.0.${patch}\n${requirements}\n`);
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

/** Warm and unchanged installs are repeated and the median kept: they are short and this machine is shared. */
const repeats = Number(process.argv[2] ?? 5);

function median(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as Measured;
}

const root = await mkdtemp(path.join(os.tmpdir(), 'packrun-bench-install-'));
try {
  const packA = await writeBenchPack(path.join(root, 'src'), 'bench_a');
  const warmPacks = await Promise.all(Array.from({ length: repeats }, (_, i) => writeBenchPack(path.join(root, 'src'), 'bench_a', i + 1)));
  const rows: Array<[string, string, Measured]> = [];
  for (const [builder, uv] of [['venv+pip', 'off'], ['uv', '']] as const) {
    const home = path.join(root, `home-${builder}`);
    rows.push([builder, 'cold (empty cache)', await timed(packA, home, uv)]);
    // Each warm install is a new version of the pack: a new env, its cache full.
    const warm: Measured[] = [];
    for (const pack of warmPacks) warm.push(await timed(pack, home, uv));
    rows.push([builder, 'warm cache (new env)', median(warm)]);
    const again: Measured[] = [];
    const latest = warmPacks.at(-1) ?? packA;
    for (let i = 0; i < repeats; i++) again.push(await timed(latest, home, uv));
    rows.push([builder, 'reinstall unchanged', median(again)]);
  }
  const baseline = rows[0]?.[2].ms ?? 1;
  const lines = [
    `pack with ${requirements.split('\n').length} requirements: ${requirements.replace(/\n/g, ', ')}`,
    '',
    `cold: one run; warm and unchanged: median of ${repeats}`,
    `${'builder'.padEnd(10)}${'scenario'.padEnd(24)}${'time'.padStart(10)}${'vs cold pip'.padStart(14)}  tools run`,
    ...rows.map(([builder, scenario, m]) =>
      `${builder.padEnd(10)}${scenario.padEnd(24)}${`${m.ms.toFixed(0)} ms`.padStart(10)}${`${(m.ms / baseline).toFixed(3)}x`.padStart(14)}  ${m.tools.join(', ') || '(none)'}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
