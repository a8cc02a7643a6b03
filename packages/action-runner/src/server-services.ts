import { PackrunError } from '@packrun/core';
import type { RunnerInput } from './runner.ts';

/** A runner whose work needs the services of a running Packrun (the bus, the API) met none. */
export function needsServer(input: RunnerInput, what: string): PackrunError {
  return new PackrunError('ACTION_NEEDS_SERVER', `action ${input.action.ref} (runner ${input.action.runnerType}) ${what}, which needs a running Packrun`, {
    hint: 'start `packrun up` (or `packrun api` with action runners): `packrun run` then runs it there',
    details: { action: input.action.ref, runner: input.action.runnerType },
  });
}
