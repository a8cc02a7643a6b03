export { runAction, prepareAction, splitActionRef, type RunActionOptions, type PreparedAction } from './run-action.ts';
export { LocalFileKeyValues } from './local-key-values.ts';
export { shellArguments } from './shell-arguments.ts';
export type { Runner, RunnerInput, RunnerPlan, WrapperReport } from './runner.ts';
