export { PackrunError, isPackrunError, toFailure, type Failure, type PackrunErrorOptions } from './errors.ts';
export { loadConfig, configFields, type PackrunConfig, type Env } from './config.ts';
export { dataPaths, type DataPaths } from './paths.ts';
export { createLogger, type Logger } from './logger.ts';
export { executionStatuses, completedStatuses, isCompleted, type ExecutionStatus, type StopReason, type ActionOutcome } from './execution.ts';
export { readInstalledPack, installRecordName, type InstalledPack, type PackEnvironment } from './installed-pack.ts';
