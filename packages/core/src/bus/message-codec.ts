import { PackrunError } from '../errors.ts';

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
