import { PackrunError, type DecryptRights, type KeyValueLookup } from '@packrun/core';
import { ItemsNeeded, KeyValueNeeded, type ItemEnd, type Json, type StepEnvironment, type StepResult, type WorkflowDriver, type WorkflowEvent } from '../driver.ts';

/** Enough for any real step; a driver asking for more keys than this is looping. */
const maxKeyRounds = 64;

/**
 * Runs one driver step with the datastore keys and with-items lists it reads. Drivers are
 * synchronous, the store is not: a key or list the step needs and this step has not loaded yet
 * makes the driver throw KeyValueNeeded (ItemsNeeded); it is loaded here (a key with the workflow
 * user's view and rights) and the same step runs again (steps are pure, so running one again is safe).
 */
export async function runStep(options: {
  driver: WorkflowDriver;
  definition: unknown;
  /** The driver's state as stored (JSON text): parsed afresh for every attempt, each copy the driver's own. */
  stateText: string | undefined;
  event: WorkflowEvent;
  now: number;
  kv: KeyValueLookup;
  mayDecrypt: DecryptRights;
  workflow: string;
  /** A with-items list's items as stored beside the workflow, by index. */
  items: (list: string) => Promise<Array<ItemEnd | null>>;
}): Promise<StepResult> {
  const loaded = new Map<string, string | undefined>();
  const lists = new Map<string, Array<ItemEnd | null>>();
  const keyOf = (name: string, scope: string, decrypt: boolean): string => `${scope}\0${decrypt ? 1 : 0}\0${name}`;
  const env: StepEnvironment = {
    now: options.now,
    keyValue(name, { scope, decrypt }) {
      const key = keyOf(name, scope, decrypt);
      if (!loaded.has(key)) throw new KeyValueNeeded(name, scope, decrypt);
      return loaded.get(key);
    },
    items(list) {
      const items = lists.get(list);
      if (items === undefined) throw new ItemsNeeded(list);
      return items;
    },
  };
  for (let round = 0; round < maxKeyRounds; round += 1) {
    try {
      const state = options.stateText === undefined ? undefined : (JSON.parse(options.stateText) as Json);
      return options.driver.step(options.definition, state, options.event, env, { stateOwned: true });
    } catch (error) {
      if (error instanceof ItemsNeeded) {
        lists.set(error.list, await options.items(error.list));
        continue;
      }
      if (!(error instanceof KeyValueNeeded)) throw error;
      if (error.decrypt && !options.mayDecrypt[error.scope]) {
        throw new PackrunError('WORKFLOW_DECRYPT_FORBIDDEN', `workflow ${options.workflow} decrypts the ${error.scope}-scoped datastore key "${error.key}", which its user may not decrypt`, {
          hint: 'a workflow decrypts only what the user who started it may decrypt; ask someone allowed to run it',
          details: { execution: options.workflow, key: error.key, scope: error.scope },
        });
      }
      loaded.set(keyOf(error.key, error.scope, error.decrypt), await options.kv.get(error.key, { scope: error.scope, decrypt: error.decrypt }));
    }
  }
  throw new PackrunError('WORKFLOW_STEP_FAILED', `workflow ${options.workflow} read more than ${maxKeyRounds} datastore keys or item lists in one step`, {
    details: { execution: options.workflow },
  });
}
