import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { PackrunError } from '../errors.ts';
import { encodeFrame } from '../protocol/framing.ts';
import type { ParentMessage } from '../protocol/messages.ts';
import type { SpawnContext } from './spawn-decorator.ts';

/**
 * The parts every way of starting a job shares (a cold spawn here, a zygote fork or a
 * pre-spawned wrapper in the action runner): the job's first frames, encoded before anything
 * starts, and waiting for its pipes to close once its processes are gone.
 */

/** The job's messages as frames; a job too large for the channel fails before any process exists. */
export function encodeJobFrames(
  messages: readonly ParentMessage[],
  context: Pick<SpawnContext, 'pack' | 'executionId'>,
  extra: Record<string, unknown> = {},
): Buffer[] {
  return messages.map((message) => {
    try {
      return encodeFrame({ ...message, ...extra } as ParentMessage);
    } catch (error) {
      throw new PackrunError('JOB_TOO_LARGE', `the job for pack "${context.pack}" is too large for the control channel: ${(error as Error).message}`, {
        hint: 'pass large data by reference (a datastore key, a URL, a file) rather than as a parameter',
        details: { pack: context.pack, execution: context.executionId },
      });
    }
  });
}

/** Resolves when the stream has closed, destroying it after `withinMs` if a leftover holds it open. */
export function streamClosed(stream: Readable | Socket, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.readableEnded) return resolve();
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, withinMs);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
