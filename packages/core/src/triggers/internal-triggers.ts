import type { Bus, TriggerInstanceMessage } from '../bus/types.ts';
import { newId, nowIso } from '../store/record-keys.ts';

/**
 * StackStorm's internal trigger types: fired by Packrun's own services (never by a pack), with
 * st2's refs and payload shapes (st2common/constants/triggers.py). Any rule may use them, as in
 * StackStorm; what goes into their payloads is masked the way st2 masks it (secret parameters,
 * secret datastore values), and it is data: a rule's templates insert it, never render it.
 */
export const internalTriggerRefs = {
  action: 'core.st2.generic.actiontrigger',
  notify: 'core.st2.generic.notifytrigger',
  inquiry: 'core.st2.generic.inquiry',
  kvCreate: 'core.st2.key_value_pair.create',
  kvUpdate: 'core.st2.key_value_pair.update',
  kvValueChange: 'core.st2.key_value_pair.value_change',
  kvDelete: 'core.st2.key_value_pair.delete',
  sensorSpawn: 'core.st2.sensor.process_spawn',
  sensorExit: 'core.st2.sensor.process_exit',
} as const;
export type InternalTriggerRef = (typeof internalTriggerRefs)[keyof typeof internalTriggerRefs];

export interface InternalTriggerType {
  ref: InternalTriggerRef;
  name: string;
  description: string;
  payloadSchema: Record<string, unknown>;
}

/** An object schema naming st2's properties, each unconstrained (as st2 declares them). */
const loose = (...properties: string[]): Record<string, unknown> => ({
  type: 'object',
  properties: Object.fromEntries(properties.map((property) => [property, {}])),
});

export const internalTriggerTypes: readonly InternalTriggerType[] = [
  {
    ref: internalTriggerRefs.action,
    name: 'st2.generic.actiontrigger',
    description: 'Trigger encapsulating the completion of an action execution.',
    payloadSchema: loose('execution_id', 'status', 'start_timestamp', 'action_name', 'action_ref', 'runner_ref', 'parameters', 'result'),
  },
  {
    ref: internalTriggerRefs.notify,
    name: 'st2.generic.notifytrigger',
    description: 'Notification trigger.',
    payloadSchema: loose('execution_id', 'status', 'start_timestamp', 'end_timestamp', 'action_ref', 'runner_ref', 'channel', 'route', 'message', 'data'),
  },
  {
    ref: internalTriggerRefs.inquiry,
    name: 'st2.generic.inquiry',
    description: 'Trigger indicating a new "inquiry" has entered "pending" status',
    payloadSchema: {
      type: 'object',
      properties: {
        id: { type: 'string', description: 'ID of the new inquiry.' },
        route: { type: 'string', description: 'An arbitrary value for allowing rules to route to proper notification channel.' },
      },
      required: ['id', 'route'],
      additionalProperties: false,
    },
  },
  { ref: internalTriggerRefs.kvCreate, name: 'st2.key_value_pair.create', description: 'Trigger encapsulating datastore item creation.', payloadSchema: loose('object') },
  { ref: internalTriggerRefs.kvUpdate, name: 'st2.key_value_pair.update', description: 'Trigger encapsulating datastore set action.', payloadSchema: loose('object') },
  {
    ref: internalTriggerRefs.kvValueChange,
    name: 'st2.key_value_pair.value_change',
    description: 'Trigger encapsulating a change of datastore item value.',
    payloadSchema: loose('old_object', 'new_object'),
  },
  { ref: internalTriggerRefs.kvDelete, name: 'st2.key_value_pair.delete', description: 'Trigger encapsulating datastore item deletion.', payloadSchema: loose('object') },
  {
    ref: internalTriggerRefs.sensorSpawn,
    name: 'st2.sensor.process_spawn',
    description: 'Trigger indicating sensor process is started up.',
    payloadSchema: loose('id', 'timestamp', 'pid', 'cmd'),
  },
  {
    ref: internalTriggerRefs.sensorExit,
    name: 'st2.sensor.process_exit',
    description: 'Trigger indicating sensor process is stopped.',
    payloadSchema: loose('id', 'timestamp', 'exit_code'),
  },
];

/** The source recorded on instances Packrun fires itself. */
export const internalTriggerSource = 'packrun';

/** Queues an internal trigger instance for the rules engine (confirmed by the broker when there is one). */
export async function fireInternalTrigger(bus: Bus, ref: InternalTriggerRef, payload: Record<string, unknown>): Promise<void> {
  const message: TriggerInstanceMessage = { id: newId(), trigger: ref, payload, occurredAt: nowIso(), source: internalTriggerSource };
  await bus.enqueue('trigger-instances', message);
}
