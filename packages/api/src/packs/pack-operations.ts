import { describeProgress, installPack, removePack, type InstallStage } from '@packrun/pack-installer';
import { createSandboxDecorator, describeActionCounts, describeProblem, detectSandbox, type Logger, type PackrunConfig, type SpawnDecorator, type Store } from '@packrun/core';
import type { BuiltinExecutions, BuiltinTask } from '../executions/builtin-executions.ts';
import { trackEnvBuilds } from './env-builds.ts';
import { registerPack, unregisterPack } from './pack-registry.ts';

/**
 * The task of st2's packs.install workflow (contrib/packs/actions/workflows/install.yaml) that does
 * what each stage of Packrun's install does; `done` stays in the task before it.
 */
const installTasks: Readonly<Record<Exclude<InstallStage, 'done'>, BuiltinTask>> = {
  resolving: { name: 'download_pack', action: 'packs.download' },
  fetching: { name: 'download_pack', action: 'packs.download' },
  'building-env': { name: 'install_pack_requirements', action: 'packs.setup_virtualenv' },
  validating: { name: 'get_pack_warnings', action: 'packs.get_pack_warnings' },
  registering: { name: 'register_pack', action: 'packs.load' },
};
/** packs.uninstall's action-chain step that removes a pack's content and registrations. */
const deleteStep: BuiltinTask = { name: 'delete packs', action: 'packs.delete' };

export interface PackOperations {
  /** st2's packs.install: `packs` are st2's list items (name, name=version, git URL=ref) or Packrun's folders and archives. */
  install(options: { packs: string[]; force: boolean; user: string }): ReturnType<BuiltinExecutions['start']>;
  /** st2's packs.uninstall: the packs removed one after the other, in the order given. */
  uninstall(options: { packs: string[]; force: boolean; user: string }): ReturnType<BuiltinExecutions['start']>;
}

/**
 * Pack install and removal as StackStorm shows them: `packs.install` / `packs.uninstall`
 * executions whose output is the progress and whose result carries st2's
 * `output: {packs_list, warning_list}` (what `st2 pack install` reads) beside Packrun's detail.
 */
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
    install({ packs, force, user }) {
      return builtins.start('packs.install', { packs, force }, user, async ({ executionId, emit, task }) => {
        const skippedRules: string[] = [];
        const builds = trackEnvBuilds(store, executionId);
        const result = await installPack(packs, {
          config,
          force,
          decorator: await decorator(),
          onProgress: (event) => {
            if (event.stage !== 'done') task(installTasks[event.stage]);
            if (event.stage === 'building-env' && event.pack !== undefined) builds.building(event.pack);
            emit(describeProgress(event));
          },
          onActivated: async (installed, loaded) => {
            await builds.settled();
            for (const problem of await registerPack(store, installed, loaded)) {
              const line = `${loaded.ref}: rule not registered: ${describeProblem(problem)}`;
              skippedRules.push(line);
              emit(line);
            }
          },
        }).catch(async (error: unknown) => {
          await builds.failed(error);
          throw error;
        });
        for (const pack of result.installed) {
          const actions = result.actions[pack.ref];
          if (actions) emit(`${pack.ref} ${pack.version}: ${describeActionCounts(actions)}`);
        }
        const installed = result.installed.map((pack) => ({ ref: pack.ref, version: pack.version }));
        return {
          output: {
            packs_list: [...installed, ...result.kept].map((pack) => pack.ref),
            warning_list: [...result.warnings.map((warning) => describeProblem(warning)), ...skippedRules],
          },
          installed,
          kept: result.kept,
          actions: result.actions,
        };
      });
    },
    uninstall({ packs, force, user }) {
      return builtins.start('packs.uninstall', { packs, force }, user, async ({ emit, task }) => {
        task(deleteStep);
        for (const ref of packs) {
          await removePack(ref, { config, force, onRemoved: (removed) => unregisterPack(store, removed) });
          emit(`removed ${ref}`);
        }
        return { output: { packs_list: packs }, removed: packs };
      });
    },
  };
}
