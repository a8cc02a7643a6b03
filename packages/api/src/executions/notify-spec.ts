import type { ActionRecord, ExecutionRecord } from '@packrun/core';

/** One of a notify block's sections (st2's NotificationSubSchema): routes (or the deprecated channels), a message and data. */
export interface NotifySection {
  message?: string;
  data?: Record<string, unknown>;
  routes: string[];
}

export type NotifySectionName = 'on-complete' | 'on-success' | 'on-failure';
export const notifySectionNames: readonly NotifySectionName[] = ['on-complete', 'on-success', 'on-failure'];

/** A notify block and whose templates it holds: the action's metadata, or the caller's request. */
export interface NotifySpec {
  from: 'action' | 'request';
  sections: Partial<Record<NotifySectionName, NotifySection>>;
}

/**
 * The notify block that applies to an execution: the action's own when it has one, else the one
 * the request carried. StackStorm does the same (st2common services/action.py replaces the
 * request's notify with a non-empty one of the action's).
 */
export function notifyOf(action: ActionRecord | undefined, record: ExecutionRecord): NotifySpec | undefined {
  const ofAction = parseNotify(action?.metadata['notify']);
  if (ofAction) return { from: 'action', sections: ofAction };
  const ofRequest = parseNotify(record.notify);
  return ofRequest ? { from: 'request', sections: ofRequest } : undefined;
}

/** The usable sections of a notify block; undefined when none has a route. Malformed parts are left out, as st2's schema would refuse them. */
export function parseNotify(value: unknown): NotifySpec['sections'] | undefined {
  if (!isObject(value)) return undefined;
  const sections: NotifySpec['sections'] = {};
  for (const name of notifySectionNames) {
    const section = value[name];
    if (!isObject(section)) continue;
    const routes = (Array.isArray(section['routes']) && section['routes'].length > 0 ? section['routes'] : section['channels']) as unknown;
    if (!Array.isArray(routes) || routes.length === 0 || !routes.every((route) => typeof route === 'string')) continue;
    sections[name] = {
      routes: routes as string[],
      ...(typeof section['message'] === 'string' ? { message: section['message'] } : {}),
      ...(isObject(section['data']) ? { data: section['data'] } : {}),
    };
  }
  return Object.keys(sections).length > 0 ? sections : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
