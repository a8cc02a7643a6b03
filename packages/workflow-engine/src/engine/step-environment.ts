import { PackrunError, type DecryptRights, type KeyValueLookup } from '@packrun/core';
import { KeyValueNeeded, type Json, type StepEnvironment, type StepResult, type WorkflowDriver, type WorkflowEvent } from '../driver.ts';

/** Enough for any real step; a driver asking for more keys than this is looping. */
const maxKeyRounds = 64;

/**
 * Runs one driver step with the datastore keys it reads. Drivers are synchronous, the datastore
 * is not: a key the step needs and this step has not loaded yet makes the driver throw
 * KeyValueNeeded; the key is loaded here with the workflow user's view and rights, and the same
 * step runs again (steps are pure, so running one again is safe).
 */
export async function runStep(options: {
  driver: WorkflowDriver;
  definition: unknown;
  state: Json | undefined;
  event: WorkflowEvent;
  now: number;
  kv: KeyValueLookup;
  mayDecrypt: DecryptRights;
  workflow: string;
}): Promise<StepResult> {
  const loaded = new Map<string, string | undefined>();
  const keyOf = (name: string, scope: string, decrypt: boolean): string => `${scope}\0${decrypt ? 1 : 0}\0${name}`;
  const env: StepEnvironment = {
    now: options.now,
    keyValue(name, { scope, decrypt }) {
      const key = keyOf(name, scope, decrypt);
      if (!loaded.has(key)) throw new KeyValueNeeded(name, scope, decrypt);
      return loaded.get(key);
    },
  };
  for (let round = 0; round < maxKeyRounds; round += 1) {
    try {
      return options.driver.step(options.definition, options.state, options.event, env);
    } catch (error) {
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
  throw new PackrunError('WORKFLOW_STEP_FAILED', `workflow ${options.workflow} read more than ${maxKeyRounds} datastore keys in one step`, {
    details: { execution: options.workflow },
  });
}
