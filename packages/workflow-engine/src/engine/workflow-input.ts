import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findAction } from '@packrun/action-runner';
import {
  PackrunError,
  givenValuesFrom,
  leastPrivilegedCaller,
  loadSiteConfig,
  packScopedLookup,
  resolveParameters,
  type DataPaths,
  type DecryptRights,
  type ExecutionRecord,
  type KeyValueLookup,
  type KeyValues,
} from '@packrun/core';
import type { Json, WorkflowSource } from '../driver.ts';

export interface WorkflowInput {
  source: WorkflowSource;
  /** The workflow action's parameters, resolved as an action runner resolves an action's. */
  input: Record<string, Json>;
  runnerParameters: Record<string, Json>;
  /** The workflow pack's config as its actions get it (an action chain's `config_context`). */
  config: Record<string, Json>;
}

/** What the user who started the workflow may decrypt: a caller's own rights; a rule's data decrypts nothing. */
export function decryptRightsOf(execution: ExecutionRecord): DecryptRights {
  const origin = execution.parameterOrigin ?? leastPrivilegedCaller;
  return origin.from === 'caller' ? origin.mayDecrypt : { system: false, user: false };
}

/** The workflow user's datastore view, in the workflow's pack scope (no other pack's local keys). */
export function workflowKeyValues(keyValues: KeyValues, user: string | undefined, pack: string): KeyValueLookup {
  const callerKv: KeyValueLookup = {
    get: async (name, lookup) => (await keyValues.get(name, { ...lookup, ...(user === undefined ? {} : { user }) }))?.value,
  };
  return packScopedLookup(callerKv, pack);
}

/**
 * Reads the workflow's file and resolves its parameters, once, when the workflow starts: the
 * file is kept with the workflow's state, so an upgrade of the pack does not change a running one.
 */
export async function loadWorkflowInput(options: {
  paths: DataPaths;
  keyValues: KeyValues;
  execution: ExecutionRecord;
  secrets: Record<string, unknown>;
}): Promise<WorkflowInput> {
  const { execution } = options;
  const { installed, pack, action } = await findAction(options.paths, execution.action);
  if (!action.entryPoint) {
    throw new PackrunError('ACTION_NO_ENTRY_POINT', `workflow ${action.ref} (${action.file}) has no entry_point`, {
      hint: 'entry_point names the workflow file, relative to the pack\'s actions/ folder',
      details: { action: action.ref, file: action.file },
    });
  }
  const file = path.posix.join('actions', action.entryPoint);
  const text = await readFile(path.join(installed.dir, file), 'utf8').catch((cause: unknown) => {
    throw new PackrunError('WORKFLOW_INVALID', `workflow file ${file} of ${action.ref} cannot be read`, { details: { action: action.ref, file }, cause });
  });
  const user = execution.user;
  const callerKv: KeyValueLookup = {
    get: async (name, lookup) => (await options.keyValues.get(name, { ...lookup, ...(user === undefined ? {} : { user }) }))?.value,
  };
  const packKv = packScopedLookup(callerKv, pack.ref);
  const siteConfig = await loadSiteConfig({ pack, configsDir: options.paths.configs, kv: packKv });
  const resolved = await resolveParameters({
    action,
    input: { ...execution.parameters, ...options.secrets },
    given: givenValuesFrom(execution.parameterOrigin ?? leastPrivilegedCaller, callerKv, siteConfig),
    config: siteConfig.values,
    kv: packKv,
    actionContext: { execution_id: execution.id, ...(user === undefined ? {} : { user }) },
  });
  return {
    source: { pack: pack.ref, file, text },
    input: resolved.actionParameters as Record<string, Json>,
    runnerParameters: resolved.runnerParameters as Record<string, Json>,
    config: siteConfig.values as Record<string, Json>,
  };
}
