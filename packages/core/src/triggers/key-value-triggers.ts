import type { Bus } from '../bus/types.ts';
import type { Logger } from '../logger.ts';
import { maskedValue } from '../params/resolve-parameters.ts';
import type { KeyValueChange } from '../store/key-value-service.ts';
import type { KeyValueRecord } from '../store/types.ts';
import { fireInternalTrigger, internalTriggerRefs } from './internal-triggers.ts';

/**
 * A datastore key as StackStorm's key_value_pair triggers carry it (KeyValuePairAPI with secrets
 * masked): st2's full scope names, `user` apart from the name for user-scoped keys. A secret's
 * value is `********`, never its ciphertext: any rule may match these triggers, and a rule's own
 * template could otherwise hand the ciphertext to `decrypt_kv`.
 */
export function keyValueTriggerObject(record: KeyValueRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    value: record.secret ? maskedValue : record.value,
    secret: record.secret,
    encrypted: record.secret,
    scope: record.scope === 'user' ? 'st2kv.user' : 'st2kv.system',
    ...(record.user === undefined ? {} : { user: record.user }),
    ...(record.expiresAt === undefined ? {} : { expire_timestamp: record.expiresAt }),
  };
}

/**
 * The datastore's change listener (KeyValueServiceOptions.onChange) that fires
 * `core.st2.key_value_pair.{create,update,value_change,delete}` as StackStorm does: update on every
 * set of an existing key, value_change besides when its value differs.
 */
export function keyValueTriggerFirer(bus: Bus, logger: Logger): (change: KeyValueChange) => void {
  const fire = (ref: Parameters<typeof fireInternalTrigger>[1], payload: Record<string, unknown>): void => {
    fireInternalTrigger(bus, ref, payload).catch((error: unknown) => logger.warn({ err: error, trigger: ref }, 'datastore trigger not fired'));
  };
  return (change) => {
    const object = keyValueTriggerObject(change.record);
    switch (change.operation) {
      case 'create':
        fire(internalTriggerRefs.kvCreate, { object });
        return;
      case 'delete':
        fire(internalTriggerRefs.kvDelete, { object });
        return;
      case 'update':
        fire(internalTriggerRefs.kvUpdate, { object });
        if (change.valueChanged) fire(internalTriggerRefs.kvValueChange, { old_object: keyValueTriggerObject(change.previous), new_object: object });
    }
  };
}
