import { MessageType, type SensorTrigger, type TriggerChangeMessage, type TriggerRecord } from '@packrun/core';

/**
 * What one sensor has been told about the triggers of its trigger types, so that a store change
 * turns into exactly the add_trigger / update_trigger / remove_trigger calls it implies.
 */
export class TriggerFeed {
  private known = new Map<string, SensorTrigger>();

  constructor(private readonly types: readonly string[]) {}

  /** Forgets what was sent (a fresh process) and returns the current triggers, now known. */
  reset(triggers: readonly TriggerRecord[]): SensorTrigger[] {
    this.known = new Map(this.mine(triggers).map((trigger) => [trigger.ref, trigger]));
    return [...this.known.values()];
  }

  changes(triggers: readonly TriggerRecord[]): TriggerChangeMessage[] {
    const next = new Map(this.mine(triggers).map((trigger) => [trigger.ref, trigger]));
    const messages: TriggerChangeMessage[] = [];
    for (const [ref, trigger] of next) {
      const before = this.known.get(ref);
      if (!before) messages.push({ type: MessageType.triggerAdded, trigger });
      else if (JSON.stringify(before.parameters) !== JSON.stringify(trigger.parameters)) messages.push({ type: MessageType.triggerUpdated, trigger });
    }
    for (const [ref, trigger] of this.known) {
      if (!next.has(ref)) messages.push({ type: MessageType.triggerRemoved, trigger });
    }
    this.known = next;
    return messages;
  }

  private mine(triggers: readonly TriggerRecord[]): SensorTrigger[] {
    return triggers.filter((trigger) => this.types.includes(trigger.type)).map(toSensorTrigger);
  }
}

/** The trigger dict StackStorm hands to add_trigger and friends. */
function toSensorTrigger(trigger: TriggerRecord): SensorTrigger {
  return {
    id: trigger.id,
    ref: trigger.ref,
    uid: `trigger:${trigger.pack}:${trigger.name}`,
    name: trigger.name,
    pack: trigger.pack,
    type: trigger.type,
    parameters: trigger.parameters,
  };
}
