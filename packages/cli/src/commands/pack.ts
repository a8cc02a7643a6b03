import type { Command } from 'commander';
import { createSandboxDecorator, dataPaths, describeActionCounts, describeHostPathGrants, detectSandbox, loadConfig, type PackPythonChoice, type PackrunConfig } from '@packrun/core';
import type { InstallProgressEvent, InstallResult, InstalledPackSummary } from '@packrun/pack-installer';

import { connectApi, serverSeesCallerFiles } from '../api-client/connect.ts';
import { installThroughApi, removeThroughApi } from '../api-client/install-through-api.ts';
import { sayPath } from '../verbose.ts';
import { printJson } from '../output/json.ts';
import { printList, renderTable } from '../output/table.ts';

/** The installer, loaded when a pack command runs (its workflow checks and tar are not needed for --help). */
const installer = () => import('@packrun/pack-installer');

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows install progress: on a terminal one status line redrawn under a spinner, with warnings and
 * the tools' own lines (a line per package: tool-progress.ts) kept above it; elsewhere plain lines,
 * one per event. Either way an env build shows its progress as it goes, and a tool's error is
 * printed once, where it happened (the final error does not repeat it).
 */
function progressRenderer(stream: NodeJS.WriteStream, describeProgress: (event: InstallProgressEvent) => string): { onProgress: (event: InstallProgressEvent) => void; stop: () => void } {
  if (!stream.isTTY) {
    return {
      onProgress: (event) => stream.write(`${describeProgress(event)}\n`),
      stop: () => undefined,
    };
  }
  let status = '';
  let frame = 0;
  const draw = () => {
    const width = Math.max(20, (stream.columns ?? 80) - 3);
    const text = status.length > width ? `${status.slice(0, width - 1)}…` : status;
    stream.write(`\r\x1b[2K${spinnerFrames[frame % spinnerFrames.length]} ${text}`);
  };
  const timer = setInterval(() => {
    frame++;
    draw();
  }, 100);
  timer.unref();
  return {
    onProgress: (event) => {
      if (event.output !== undefined) {
        stream.write(`\r\x1b[2K${describeProgress(event)}\n`);
      } else if (event.warning || event.stage === 'done') {
        stream.write(`\r\x1b[2K${event.warning ? '! ' : '✓ '}${describeProgress(event)}\n`);
      } else {
        status = describeProgress(event);
      }
      draw();
    },
    stop: () => {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}

async function withProgress(json: boolean | undefined, work: (onProgress: (event: InstallProgressEvent) => void) => Promise<InstallResult>): Promise<void> {
  const renderer = progressRenderer(process.stderr, (await installer()).describeProgress);
  let result: InstallResult;
  try {
    result = await work(renderer.onProgress);
  } finally {
    renderer.stop();
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const pack of result.installed) {
    const actions = result.actions[pack.ref];
    const counts = actions ? `: ${describeActionCounts(actions)}` : '';
    process.stdout.write(`installed ${pack.ref} ${pack.version} (${pack.env.kind === 'none' ? 'no env' : `${pack.env.kind} env ${pack.env.hash}`})${counts}\n`);
  }
  for (const pack of result.kept) process.stdout.write(`kept ${pack.ref} ${pack.version} (already installed, fits)\n`);
  if (result.warnings.length > 0) process.stdout.write(`${result.warnings.length} warning(s), shown above\n`);
}

function envText(pack: InstalledPackSummary): string {
  if (pack.envState === 'none') return 'none';
  const interpreter = pack.env.interpreter;
  return `${pack.env.kind}${interpreter ? ` ${implementationName(interpreter.implementation)} ${interpreter.version}` : ''} ${pack.envState}`;
}

function implementationName(implementation: string): string {
  return ({ cpython: 'CPython', pypy: 'PyPy' } as Record<string, string>)[implementation] ?? implementation;
}

const choiceText: Record<PackPythonChoice['chosenBy'], string> = {
  operator: 'set by PACKRUN_PACK_PYTHON',
  default: 'PACKRUN_PYTHON',
  python_versions: "found on the host for the pack's python_versions",
};

function interpreterText(interpreter: PackPythonChoice): string {
  return `${implementationName(interpreter.implementation)} ${interpreter.version} (${interpreter.executable}, ${choiceText[interpreter.chosenBy]})`;
}

/** What the operator grants this pack and its actions of the host (PACKRUN_SANDBOX_HOST_PATHS). */
function hostPathsOf(ref: string, config: PackrunConfig): PackrunConfig['sandboxHostPaths'] {
  return config.sandboxHostPaths.filter((grant) => grant.scope === ref || grant.scope.startsWith(`${ref}.`));
}

export function register(program: Command): void {
  const pack = program.command('pack').description('Install, upgrade, inspect and remove packs in PACKRUN_HOME');

  pack
    .command('install')
    .description('Install packs (and their dependencies) from folders, git URLs (url[=ref]), .tar.gz files or URLs, or index names (name[=version])')
    .argument('<source...>', 'pack sources')
    .option('--force', 'install even when stackstorm_version or python_versions does not fit')
    .option('--json', 'print the result as JSON')
    .action(async (sources: string[], options: { force?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const server = await connectApi(config);
      if (server) return installThroughApi(server, sources, { force: options.force ?? false, json: options.json ?? false, serverSeesFiles: serverSeesCallerFiles(config) });
      sayPath(`no server runs on ${config.home}: installing into it directly`);
      // uv, pip and npm run the pack's own setup.py and install scripts: in the sandbox.
      const decorator = createSandboxDecorator({ host: await detectSandbox(config), config });
      await withProgress(options.json, async (onProgress) => (await installer()).installPack(sources, { config, force: options.force ?? false, onProgress, decorator }));
    });

  pack
    .command('upgrade')
    .description('Install a pack again from its recorded source (index packs: the newest version)')
    .argument('<ref>', 'pack ref')
    .option('--force', 'install even when stackstorm_version or python_versions does not fit')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, options: { force?: boolean; json?: boolean }) => {
      const config = loadConfig();
      sayPath(`upgrading in ${dataPaths(config.home).packs} directly`);
      const decorator = createSandboxDecorator({ host: await detectSandbox(config), config });
      await withProgress(options.json, async (onProgress) => (await installer()).upgradePack(ref, { config, force: options.force ?? false, onProgress, decorator }));
    });

  pack
    .command('list')
    .description('List installed packs with their version, source and env state')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      sayPath(`reading the packs installed in ${dataPaths(config.home).packs}`);
      const packs = await (await installer()).listInstalledPacks(config);
      if (options.json) return printJson(packs);
      printList(['ref', 'version', 'env', 'source'], packs.map((p) => [p.ref, p.version, envText(p), p.source]), 'no packs installed: `packrun pack install <folder|git url|archive|name>`');
    });

  pack
    .command('info')
    .description('Show one installed pack')
    .argument('<ref>', 'pack ref')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const config = loadConfig();
      sayPath(`reading the packs installed in ${dataPaths(config.home).packs}`);
      const info = await (await installer()).packInfo(ref, config);
      const hostPaths = hostPathsOf(info.ref, config);
      if (options.json) return printJson({ ...info, hostPaths });
      const rows = [
        ['ref', info.ref],
        ['version', info.version],
        ['source', info.source],
        ['installed', info.installedAt],
        ['folder', info.dir],
        ['env', envText(info)],
        ...(info.env.path ? [['env folder', info.env.path]] : []),
        ...(info.env.python ? [['python', info.env.python]] : []),
        ...(info.env.interpreter ? [['interpreter', interpreterText(info.env.interpreter)]] : []),
        ...(info.env.nodeModules ? [['node_modules', info.env.nodeModules]] : []),
        ['dependencies', info.dependencies.join(', ') || '-'],
        ['host paths', describeHostPathGrants(hostPaths).join('; ')],
      ];
      process.stdout.write(`${renderTable(undefined, rows)}\n`);
    });

  pack
    .command('remove')
    .description('Remove an installed pack, its content and its envs')
    .argument('<ref>', 'pack ref')
    .option('--force', 'remove even when installed packs depend on it')
    .option('--json', 'print the pack as `pack info --json` showed it before it was removed')
    .action(async (ref: string, options: { force?: boolean; json?: boolean }) => {
      const config = loadConfig();
      // Read before it goes: what --json prints is the pack that was removed.
      const info = options.json ? await (await installer()).packInfo(ref, config) : undefined;
      const server = await connectApi(config);
      if (server) await removeThroughApi(server, ref, options.force ?? false);
      else {
        sayPath(`no server runs on ${config.home}: removing from it directly`);
        await (await installer()).removePack(ref, { config, force: options.force ?? false });
      }
      if (info) printJson({ ...info, hostPaths: hostPathsOf(info.ref, config) });
      else process.stdout.write(`removed ${ref}\n`);
    });
}
