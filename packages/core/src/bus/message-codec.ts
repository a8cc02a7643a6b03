import { PackrunError } from '../errors.ts';
import { parseBoundedJson, type JsonBounds } from '../limits/json-limits.ts';

/**
 * Messages cross the bus as JSON, in memory too, so a handler never shares an object with the
 * publisher and both buses hand out exactly the same values.
 */
export function encodeMessage(where: string, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new PackrunError('BUS_BAD_MESSAGE', `a message for ${where} cannot be serialised as JSON`, {
      details: { destination: where },
      cause,
      userError: false,
    });
  }
}

export function decodeMessage<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * A message from the broker, held to `bounds` before it is parsed (limits/json-limits.ts): a
 * message nested or sized beyond them throws a JsonLimitError and is dropped by the caller.
 */
export function decodeBrokerMessage<T>(content: Buffer, bounds: JsonBounds): T {
  return parseBoundedJson(content, bounds.limits, bounds.subject) as T;
}
