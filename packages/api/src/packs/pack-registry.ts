import { readdir } from 'node:fs/promises';
import {
  loadPack,
  nowIso,
  readInstalledPack,
  type ActionRecord,
  type DataPaths,
  type InstalledPack,
  type LoadedPack,
  type Logger,
  type PackProblem,
  type PackRecord,
  type PolicyRecord,
  type Store,
} from '@packrun/core';
import { readEnvStatus } from '@packrun/pack-installer';
import { registerPackRules, unregisterPackRules } from '@packrun/rules-engine';
import { registerPackSensors, unregisterPackSensors } from '@packrun/sensor-container';
import { checkWorkflowActions } from '@packrun/workflow-engine';

/**
 * The store's view of installed packs: a pack record and its actions, written when the installer
 * activates a pack and removed with it. Sensors, rules and trigger types are registered by the
 * services that own them. Returns the pack's rules that could not be registered (an unknown
 * trigger type, bad parameters), which the pack's other rules do not wait for. An activation
 * clears the record of an earlier install's env build (`keepBuild` keeps it).
 */
export async function registerPack(store: Store, installed: InstalledPack, loadedPack: LoadedPack, options: { keepBuild?: boolean } = {}): Promise<PackProblem[]> {
  const now = nowIso();
  // A workflow its driver refuses is registered unavailable (WORKFLOW_INVALID), never run.
  const loaded = await checkWorkflowActions(loadedPack, installed.dir);
  const existing = await store.packs.get(loaded.ref);
  const meta = loaded.meta;
  // The env is read where it was built: the installing process's PACKRUN_HOME, the folder every
  // action runner reads the pack and its env from (docs/deployment.md, "Packs").
  const environment = await readEnvStatus(installed.env);
  const build = existing?.environment?.build;
  // Kept only over the same active version: one activated meanwhile (a local install) ends it.
  if (options.keepBuild && build && existing?.path === installed.dir) environment.build = build;
  const pack: PackRecord = {
    id: loaded.ref,
    ref: loaded.ref,
    name: meta.name,
    version: meta.version,
    description: meta.description,
    author: meta.author,
    keywords: meta.keywords,
    path: installed.dir,
    source: installed.source,
    metadata: meta.raw,
    environment,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (meta.email !== undefined) pack.email = meta.email;
  await store.packs.put(pack);
  const current = new Set(loaded.actions.map((action) => action.ref));
  for (const action of loaded.actions) {
    const record: ActionRecord = {
      id: action.ref,
      ref: action.ref,
      pack: loaded.ref,
      name: action.name,
      enabled: action.enabled,
      runnerType: action.runnerType,
      parameters: Object.fromEntries(Object.entries(action.parameters).map(([name, spec]) => [name, spec.raw])),
      tags: action.tags.map(String),
      metadata: action.raw,
      createdAt: now,
      updatedAt: now,
    };
    if (action.description !== undefined) record.description = action.description;
    if (action.unavailable !== undefined) record.unavailable = action.unavailable;
    if (action.entryPoint !== undefined) record.entryPoint = action.entryPoint;
    if (action.outputSchema !== undefined) record.outputSchema = action.outputSchema;
    await store.actions.put(record);
  }
  await store.actions.remove({ pack: loaded.ref, id: { $nin: [...current] } });
  await registerPackPolicies(store, loaded, now);
  // Sensors first: rules are checked against the trigger types the pack's sensors declare.
  await registerPackSensors(store, installed, loaded);
  return (await registerPackRules(store, loaded, installed)).problems;
}

/** The pack's action policies, replacing what an earlier version registered (the installer refused invalid ones). */
async function registerPackPolicies(store: Store, loaded: LoadedPack, now: string): Promise<void> {
  for (const policy of loaded.policies) {
    const record: PolicyRecord = {
      id: policy.ref,
      ref: policy.ref,
      pack: loaded.ref,
      name: policy.name,
      enabled: policy.enabled,
      resourceRef: policy.resourceRef,
      policyType: policy.policyType,
      parameters: { ...policy.parameters },
      createdAt: (await store.policies.get(policy.ref))?.createdAt ?? now,
      updatedAt: now,
    };
    if (policy.description !== undefined) record.description = policy.description;
    await store.policies.put(record);
  }
  await store.policies.remove({ pack: loaded.ref, id: { $nin: loaded.policies.map((policy) => policy.ref) } });
}

export async function unregisterPack(store: Store, ref: string): Promise<void> {
  await store.policies.remove({ pack: ref });
  await unregisterPackRules(store, ref);
  await unregisterPackSensors(store, ref);
  await store.actions.remove({ pack: ref });
  await store.packs.remove({ id: ref });
}

/**
 * Brings the store in line with the packs on disk at start-up: packs installed while no server
 * ran (`packrun pack install` in local mode) get registered, packs removed meanwhile disappear.
 */
export async function syncInstalledPacks(store: Store, paths: DataPaths, logger: Logger): Promise<void> {
  const names = await readdir(paths.packs).catch(() => [] as string[]);
  const onDisk = new Set<string>();
  for (const name of names) {
    try {
      const installed = await readInstalledPack(paths, name);
      // Start-up changes no version: an install's build still under way or failed is still news.
      const problems = await registerPack(store, installed, await loadPack(installed.dir), { keepBuild: true });
      for (const problem of problems) logger.warn({ pack: name, file: problem.file, code: problem.code }, `rule not registered: ${problem.message}`);
      onDisk.add(name);
    } catch (error) {
      logger.debug({ err: error, pack: name }, 'not a registrable pack folder');
    }
  }
  for (const pack of await store.packs.find({})) {
    if (!onDisk.has(pack.id)) await unregisterPack(store, pack.id);
  }
}
