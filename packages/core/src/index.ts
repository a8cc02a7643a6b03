export { PackrunError, isPackrunError, toFailure, type Failure, type PackrunErrorOptions } from './errors.ts';
export { loadConfig, configFields, type PackrunConfig, type Env } from './config.ts';
export { dataPaths, type DataPaths } from './paths.ts';
export { createLogger, type Logger } from './logger.ts';
