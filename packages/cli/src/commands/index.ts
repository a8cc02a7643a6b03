import type { Command } from 'commander';
import { register as registerAction } from './action.ts';
import { register as registerRun } from './run.ts';
import { register as doctor } from './doctor.ts';
import { register as registerUp } from './up.ts';
import { register as registerApi } from './api.ts';
import { register as registerActionRunner } from './action-runner.ts';
import { register as registerApiKey } from './api-key.ts';
import { register as registerExecution } from './execution.ts';
import { register as registerKey } from './key.ts';
import { register as registerPack } from './pack.ts';
import { register as registerRule } from './rule.ts';
import { register as registerSensor } from './sensor.ts';
import { register as registerTrigger } from './trigger.ts';

/**
 * Every subcommand module exports a `register(program)` function; add yours to this list.
 * Kept as a plain list so that the CLI's surface can be read in one place.
 */
const modules: Array<(program: Command) => void> = [doctor, registerRun, registerAction, registerUp, registerApi, registerActionRunner, registerApiKey, registerExecution, registerKey, registerPack, registerRule, registerSensor, registerTrigger];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
