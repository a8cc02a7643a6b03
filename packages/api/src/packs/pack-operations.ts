import { describeProgress, installPack, removePack } from '@packrun/pack-installer';
import { createSandboxDecorator, describeActionCounts, describeProblem, detectSandbox, type Logger, type PackrunConfig, type SpawnDecorator, type Store } from '@packrun/core';
import type { BuiltinExecutions } from '../executions/builtin-executions.ts';
import { registerPack, unregisterPack } from './pack-registry.ts';

export interface PackOperations {
  install(options: { source: string | string[]; force: boolean; user: string }): ReturnType<BuiltinExecutions['start']>;
  remove(options: { ref: string; force: boolean; user: string }): ReturnType<BuiltinExecutions['start']>;
}

/** Pack install and remove as `packs.install` / `packs.remove` executions whose output is the progress. */
export function createPackOperations(options: { config: PackrunConfig; store: Store; builtins: BuiltinExecutions; logger: Logger }): PackOperations {
  const { config, store, builtins } = options;
  // uv, pip and npm run the pack's own setup.py and install scripts: in the sandbox, found once.
  let sandbox: Promise<SpawnDecorator> | undefined;
  const decorator = () =>
    (sandbox ??= detectSandbox(config).then(
      (host) => createSandboxDecorator({ host, config, logger: options.logger }),
      (error: unknown) => {
        sandbox = undefined;
        throw error;
      },
    ));
  return {
    install({ source, force, user }) {
      return builtins.start('packs.install', { source, force }, user, async (emit) => {
        const skippedRules: string[] = [];
        const result = await installPack(source, {
          config,
          force,
          decorator: await decorator(),
          onProgress: (event) => emit(describeProgress(event)),
          onActivated: async (installed, loaded) => {
            for (const problem of await registerPack(store, installed, loaded)) {
              const line = `${loaded.ref}: rule not registered: ${describeProblem(problem)}`;
              skippedRules.push(line);
              emit(line);
            }
          },
        });
        for (const pack of result.installed) {
          const actions = result.actions[pack.ref];
          if (actions) emit(`${pack.ref} ${pack.version}: ${describeActionCounts(actions)}`);
        }
        return {
          installed: result.installed.map((pack) => ({ ref: pack.ref, version: pack.version })),
          kept: result.kept,
          warnings: [...result.warnings.map((warning) => describeProblem(warning)), ...skippedRules],
          actions: result.actions,
        };
      });
    },
    remove({ ref, force, user }) {
      return builtins.start('packs.remove', { ref, force }, user, async (emit) => {
        await removePack(ref, { config, force, onRemoved: (removed) => unregisterPack(store, removed) });
        emit(`removed ${ref}`);
        return { removed: ref };
      });
    },
  };
}
