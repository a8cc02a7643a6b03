import { createHash } from 'node:crypto';
import { canonicalJson, nowIso, type Store, type TriggerRecord } from '@packrun/core';

/**
 * Triggers are trigger types plus parameters (a timer with its interval, a webhook with its url).
 * Rules that share a type and parameters share one trigger; its ref is the type ref for a trigger
 * without parameters, else the type ref plus a hash of the parameters, so the same rule always
 * lands on the same trigger. Sensors are told about these triggers (add_trigger), and trigger
 * instances name them.
 */
export function triggerRefFor(type: string, parameters: Record<string, unknown>): string {
  if (Object.keys(parameters).length === 0) return type;
  const digest = createHash('sha256').update(canonicalJson(parameters)).digest('hex').slice(0, 12);
  return `${type}.${digest}`;
}

/** Creates the trigger for `type` + `parameters` if missing; the caller recounts once its rule is saved. */
export async function ensureTrigger(store: Store, type: string, parameters: Record<string, unknown>): Promise<string> {
  const ref = triggerRefFor(type, parameters);
  if (!(await store.triggers.get(ref))) {
    const pack = type.slice(0, type.indexOf('.'));
    const now = nowIso();
    const record: TriggerRecord = {
      id: ref,
      ref,
      pack,
      name: ref.slice(pack.length + 1),
      type,
      parameters,
      parametersKey: canonicalJson(parameters),
      refCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    await store.triggers.put(record);
  }
  return ref;
}

/**
 * Recounts the rules using a trigger after a rule changed; a trigger no rule uses is removed
 * (its sensors get remove_trigger). Counting instead of incrementing keeps the count right even
 * when two rule changes race.
 */
export async function recount(store: Store, ref: string): Promise<void> {
  const count = await store.rules.count({ 'trigger.ref': ref });
  if (count === 0) await store.triggers.remove({ id: ref });
  else await store.triggers.update({ id: ref }, { set: { refCount: count, updatedAt: nowIso() } });
}

/** The ref a dispatch names: a ref string, a trigger dict with a ref, or `{type, parameters}`. */
export function dispatchedTriggerRef(trigger: unknown): string | undefined {
  if (typeof trigger === 'string' && trigger.length > 0) return trigger;
  if (typeof trigger !== 'object' || trigger === null) return undefined;
  const { ref, type, parameters } = trigger as Record<string, unknown>;
  if (typeof ref === 'string' && ref.length > 0) return ref;
  if (typeof type !== 'string') return undefined;
  const params = typeof parameters === 'object' && parameters !== null ? (parameters as Record<string, unknown>) : {};
  return triggerRefFor(type, params);
}
