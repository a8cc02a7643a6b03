import { readdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { dataPaths, loadConfig, loadPack, readInstalledPack, runnerParameters, type ActionMeta, type DataPaths } from '@packrun/core';
import { findAction } from '@packrun/action-runner';
import { sayPath } from '../verbose.ts';
import { printJson } from '../output/json.ts';
import { printList, renderTable } from '../output/table.ts';

async function installedActions(paths: DataPaths, onlyPack?: string): Promise<ActionMeta[]> {
  let refs: string[];
  try {
    refs = onlyPack ? [onlyPack] : (await readdir(paths.packs)).sort();
  } catch {
    return [];
  }
  const actions: ActionMeta[] = [];
  for (const ref of refs) {
    let installed;
    try {
      installed = await readInstalledPack(paths, ref);
    } catch (error) {
      // A folder without an install record is not a pack (yet); a named pack must exist.
      if (onlyPack) throw error;
      continue;
    }
    actions.push(...(await loadPack(installed.dir)).actions);
  }
  return actions.sort((a, b) => a.ref.localeCompare(b.ref));
}

function shown(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

export function register(program: Command): void {
  const action = program.command('action').description('Inspect the actions of installed packs');

  action
    .command('list')
    .description('List the actions of installed packs')
    .option('--pack <ref>', 'only this pack')
    .option('--json', 'print JSON')
    .action(async (options: { pack?: string; json?: boolean }) => {
      const paths = dataPaths(loadConfig().home);
      sayPath(`reading the packs installed in ${paths.packs}, which the server of PACKRUN_HOME runs`);
      const actions = await installedActions(paths, options.pack);
      if (options.json) return printJson(actions.map(({ ref, runnerType, description, enabled, unavailable }) => ({ ref, runner: runnerType, description, enabled, ...(unavailable ? { unavailable } : {}) })));
      const rows = actions.map((a) => [a.ref + (a.enabled ? '' : ' (disabled)'), a.runnerType + (a.unavailable ? ' (missing)' : ''), a.description ?? '']);
      printList(['ref', 'runner', 'description'], rows, 'no actions: install a pack with `packrun pack install <folder>`');
    });

  action
    .command('get')
    .description('Show one action and its parameters')
    .argument('<ref>', 'action ref, <pack>.<action>')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const paths = dataPaths(loadConfig().home);
      sayPath(`reading the packs installed in ${paths.packs}, which the server of PACKRUN_HOME runs`);
      const { action: meta } = await findAction(paths, ref);
      if (options.json) return printJson({ ref: meta.ref, runner: meta.runnerType, description: meta.description, enabled: meta.enabled, entryPoint: meta.entryPoint, parameters: meta.raw['parameters'] ?? {}, ...(meta.unavailable ? { unavailable: meta.unavailable } : {}) });
      const fromRunner = new Set(Object.keys(runnerParameters(meta.runnerType)));
      const own = meta.raw['parameters'];
      const declared = new Set(typeof own === 'object' && own !== null ? Object.keys(own) : []);
      const specs = Object.values(meta.parameters)
        .filter((spec) => declared.has(spec.name) || !fromRunner.has(spec.name) || spec.required)
        .sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.name.localeCompare(b.name));
      const rows = specs.map((spec) => [
          spec.name + (spec.secret ? ' (secret)' : '') + (spec.immutable ? ' (immutable)' : ''),
          spec.type ?? 'any',
          spec.required ? 'yes' : '',
          spec.secret ? (spec.hasDefault ? '****' : '') : shown(spec.default),
          spec.position === undefined ? '' : String(spec.position),
          spec.description ?? '',
        ]);
      const header = [
        `ref: ${meta.ref}`,
        `runner: ${meta.runnerType}`,
        ...(meta.unavailable ? [`cannot run (${meta.unavailable.code}): ${meta.unavailable.message}`] : []),
        ...(meta.entryPoint ? [`entry point: actions/${meta.entryPoint}`] : []),
        ...(meta.description ? [`description: ${meta.description}`] : []),
        ...(meta.enabled ? [] : ['enabled: false']),
        'parameters:',
      ];
      const runnerOnly = [...fromRunner].filter((name) => !declared.has(name)).sort();
      const footer = runnerOnly.length > 0 ? [`runner parameters also accepted: ${runnerOnly.join(', ')}`] : [];
      const parameters = rows.length > 0 ? renderTable(['name', 'type', 'required', 'default', 'position', 'description'], rows) : 'no parameters';
      process.stdout.write(`${[...header, parameters, ...footer].join('\n')}\n`);
    });
}
