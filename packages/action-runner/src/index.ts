export { runAction, prepareAction, findAction, splitActionRef, type RunActionOptions, type PreparedAction, type FoundAction } from './run-action.ts';
export { LocalFileKeyValues } from './local-key-values.ts';
export { shellArguments } from './shell-arguments.ts';
export type { Runner, RunnerInput, RunnerPlan, WrapperReport } from './runner.ts';
export { createStoreLedger, type StoreLedger, type StoreLedgerOptions } from './service/store-ledger.ts';
export { publishExecutionUpdate } from './service/execution-events.ts';
export type { ExecutionLedger, ClaimDecision, ClaimRequest, CompleteRequest, RunnerInfo } from './service/ledger.ts';
