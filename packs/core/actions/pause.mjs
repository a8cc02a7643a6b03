import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** core.pause: sleeps max_pause seconds (with random, a whole number between 1 and max_pause) and returns the delay. */
export default async function pause({ max_pause: maxPause, random }) {
  const delay = random ? randomInt(1, Math.max(1, Math.trunc(maxPause)) + 1) : maxPause;
  await sleep(delay * 1000);
  return delay;
}
