export { PackrunError, isPackrunError, toFailure, type Failure, type PackrunErrorOptions } from './errors.ts';
export { loadConfig, configFields, type PackrunConfig, type Env } from './config.ts';
export { dataPaths, type DataPaths } from './paths.ts';
export { createLogger, type Logger } from './logger.ts';
export { executionStatuses, completedStatuses, isCompleted, type ExecutionStatus, type StopReason, type ActionOutcome } from './execution.ts';
export { readInstalledPack, installRecordName, type InstalledPack, type PackEnvironment } from './installed-pack.ts';
export type { Store, Collection, CollectionName, Filter, FieldCondition, Scalar, Sort, FindOptions, Patch, PackRecord, ActionRecord, SensorRecord, TriggerTypeRecord, TriggerRecord, RuleRecord, StatusChange, ExecutionRecord, TriggerInstanceStatus, TriggerInstanceRecord, RuleEnforcementRecord, KeyValueScope, KeyValueRecord, ApiKeyRecord, KeyValues, KeyValueEntry, KeyValueGetOptions, KeyValueSetOptions, KeyValueListOptions } from './store/types.ts';
export { nowIso, newId, keyValueId, hashApiKey, canonicalJson } from './store/record-keys.ts';
export { queueNames, topicNames, type Bus, type QueueName, type QueueMessages, type TopicName, type TopicEvents, type ExecutionRequestMessage, type TriggerInstanceMessage, type ExecutionUpdateEvent, type OutputChunkEvent, type CancelRequestEvent, type DeliveryInfo, type QueueHandler, type TopicHandler, type ConsumeOptions, type Consumer, type Subscription } from './bus/types.ts';
