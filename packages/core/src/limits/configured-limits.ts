import type { PackrunConfig } from '../config.ts';
import type { JsonBounds, JsonLimits, JsonSubject } from './json-limits.ts';

type LimitSettings = Pick<PackrunConfig, 'inputMaxBytes' | 'inputMaxStringBytes' | 'inputMaxItems' | 'jsonMaxDepth' | 'resultMaxBytes' | 'outputCapBytes'>;

/** What callers, sensors and webhooks send: bodies, payloads, bus messages. */
export function inputLimits(config: LimitSettings): JsonLimits {
  return { maxBytes: config.inputMaxBytes, maxDepth: config.jsonMaxDepth, maxStringBytes: config.inputMaxStringBytes, maxItems: config.inputMaxItems };
}

/** What an action returns: its size and depth are bounded, its strings and arrays only by its size. */
export function resultLimits(config: LimitSettings): JsonLimits {
  return { maxBytes: config.resultMaxBytes, maxDepth: config.jsonMaxDepth, maxStringBytes: config.resultMaxBytes, maxItems: config.resultMaxBytes };
}

/** Bytes a frame or message adds around the value it carries. */
const envelopeBytes = 64 * 1024;

/**
 * Bounds for a message that wraps a value (a frame around a result, a dispatch around a payload):
 * `levels` more of depth and some bytes more than the value's own limits, messages naming those.
 */
export function withEnvelope(limits: JsonLimits, subject: JsonSubject, levels = 1, bytes = envelopeBytes): { limits: JsonLimits; subject: JsonSubject } {
  return {
    limits: { ...limits, maxBytes: limits.maxBytes + bytes, maxDepth: limits.maxDepth + levels },
    subject: { ...subject, envelope: { levels, bytes } },
  };
}

/** What a frame from an action is held to: its result's bounds, with the frame around it. */
export function resultFrameBounds(config: LimitSettings): { limits: JsonLimits; subject: JsonSubject } {
  return withEnvelope(resultLimits(config), resultSubject('a frame from the action'));
}

/** What a frame from a sensor is held to: a trigger payload's bounds, with the dispatch around it. */
export function payloadFrameBounds(config: LimitSettings): { limits: JsonLimits; subject: JsonSubject } {
  return withEnvelope(inputLimits(config), inputSubject('a frame from the sensor'));
}

/**
 * A message from RabbitMQ, which anyone holding broker credentials may have written: an input,
 * with room for what our own messages wrap around one (an execution update carries a result
 * document three levels down, `changes.result.result`).
 */
export function busMessageBounds(config: LimitSettings): JsonBounds {
  return withEnvelope(inputLimits(config), inputSubject('a bus message'), 4);
}

/**
 * A runner's report of a finished execution (`{executionId, outcome: {result: {result, stdout,
 * ...}}}`): the result, then stdout and stderr each up to the output cap, which JSON may write six
 * bytes to one (a control character as \u0000).
 */
export function reportBounds(config: LimitSettings): { limits: JsonLimits; subject: JsonSubject } {
  const escapedOutput = 6 * config.outputCapBytes;
  const bounds = withEnvelope(resultLimits(config), resultSubject('the reported result'), 3, 2 * escapedOutput + 1024 * 1024);
  return { ...bounds, limits: { ...bounds.limits, maxStringBytes: Math.max(bounds.limits.maxStringBytes, escapedOutput) } };
}

export const inputSettings: JsonSubject['settings'] = {
  bytes: 'PACKRUN_INPUT_MAX_BYTES',
  depth: 'PACKRUN_JSON_MAX_DEPTH',
  string: 'PACKRUN_INPUT_MAX_STRING',
  items: 'PACKRUN_INPUT_MAX_ITEMS',
};

export const resultSettings: JsonSubject['settings'] = {
  bytes: 'PACKRUN_RESULT_MAX_BYTES',
  depth: 'PACKRUN_JSON_MAX_DEPTH',
  string: 'PACKRUN_RESULT_MAX_BYTES',
  items: 'PACKRUN_RESULT_MAX_BYTES',
};

export function inputSubject(what: string): JsonSubject {
  return { what, family: 'INPUT', settings: inputSettings };
}

export function resultSubject(what: string): JsonSubject {
  return { what, family: 'RESULT', settings: resultSettings };
}
