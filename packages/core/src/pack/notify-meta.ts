import { typeOf } from './pack-meta.ts';
import { isPlainObject } from './yaml-file.ts';

const sectionNames = new Set(['on-complete', 'on-success', 'on-failure']);
const sectionFields = new Set(['message', 'data', 'routes', 'channels']);

/**
 * Checks an action's `notify` block as StackStorm's NotificationsHelper schema does: only the
 * sections on-complete, on-success and on-failure, each with a string `message`, a mapping `data`
 * and lists of route names `routes` (or the deprecated `channels`), nothing else. Calls `fail`
 * with the dotted field of the first problem.
 */
export function checkNotifyMeta(value: unknown, fail: (field: string, message: string) => never): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) fail('notify', `must be a mapping of on-complete, on-success and on-failure, got ${typeOf(value)}`);
  for (const [name, section] of Object.entries(value as Record<string, unknown>)) {
    const field = `notify.${name}`;
    if (!sectionNames.has(name)) fail(field, 'is not one of on-complete, on-success, on-failure');
    if (!isPlainObject(section)) fail(field, `must be a mapping {routes, message, data}, got ${typeOf(section)}`);
    for (const [key, item] of Object.entries(section as Record<string, unknown>)) {
      if (!sectionFields.has(key)) fail(`${field}.${key}`, 'is not one of message, data, routes, channels');
      if (key === 'message' && typeof item !== 'string') fail(`${field}.message`, `must be a string, got ${typeOf(item)}`);
      if (key === 'data' && !isPlainObject(item)) fail(`${field}.data`, `must be a mapping, got ${typeOf(item)}`);
      if ((key === 'routes' || key === 'channels') && !(Array.isArray(item) && item.every((route) => typeof route === 'string' && route !== ''))) {
        fail(`${field}.${key}`, 'must be a list of route names');
      }
    }
  }
}
