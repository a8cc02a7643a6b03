import {
  canonicalJson,
  compileSchema,
  describeSchemaErrors,
  newId,
  nowIso,
  PackrunError,
  type Bus,
  type Store,
  type TriggerInstanceMessage,
  type TriggerTypeRecord,
} from '@packrun/core';

/**
 * Fires a trigger: resolves what the caller named (a trigger type ref, or the ref of a
 * parameterised trigger), checks that a sensor fires only its own pack's, checks the payload
 * against the trigger type's `payload_schema`, and queues the instance for the rules engine. Webhooks, `packrun trigger fire` and the sensor
 * container all come through here.
 */
export interface DispatchRequest {
  trigger: string;
  payload: Record<string, unknown>;
  /** The sensor, webhook or user that fired it. */
  source: string;
  traceTag?: string;
  /** The instance id; a sender that may send the same dispatch twice derives it from its own id, so the rules engine sees one instance. */
  id?: string;
  /**
   * The pack whose sensor dispatches: it may fire only its own pack's trigger types, and the
   * triggers rules created from them (TRIGGER_NOT_OWNED otherwise). Webhooks and the CLI, which
   * fire on an operator's or a caller's behalf, leave it out.
   */
  fromPack?: string;
  /** Who dispatches on `fromPack`'s behalf, as the refusal names it; a sensor of that pack by default. */
  onBehalfOf?: string;
}

export async function dispatchTrigger(store: Store, bus: Bus, request: DispatchRequest): Promise<TriggerInstanceMessage> {
  const type = await resolveTriggerType(store, request.trigger);
  if (request.fromPack !== undefined && type.pack !== request.fromPack) {
    const who = request.onBehalfOf ?? `a sensor of pack "${request.fromPack}"`;
    throw new PackrunError('TRIGGER_NOT_OWNED', `${who} may not dispatch ${request.trigger}: its trigger type ${type.ref} belongs to pack "${type.pack}"`, {
      hint: `a pack's sensors and rules fire only the trigger types the pack itself declares (sensors/*.yaml trigger_types)`,
      details: { trigger: request.trigger, triggerType: type.ref, pack: request.fromPack },
    });
  }
  checkPayload(type, request.payload, request.trigger);
  const message: TriggerInstanceMessage = {
    id: request.id ?? newId(),
    trigger: request.trigger,
    payload: request.payload,
    occurredAt: nowIso(),
    source: request.source,
    ...(request.traceTag === undefined ? {} : { traceTag: request.traceTag }),
  };
  await bus.enqueue('trigger-instances', message);
  return message;
}

async function resolveTriggerType(store: Store, ref: string): Promise<TriggerTypeRecord> {
  const direct = await store.triggerTypes.get(ref);
  if (direct) return direct;
  const trigger = await store.triggers.get(ref);
  const type = trigger ? await store.triggerTypes.get(trigger.type) : undefined;
  if (type) return type;
  throw new PackrunError('TRIGGER_NOT_FOUND', `no trigger or trigger type "${ref}"`, {
    hint: 'See `packrun trigger types` for the registered trigger types.',
    details: { trigger: ref },
  });
}

const validators = new Map<string, ReturnType<typeof compileSchema>>();

function checkPayload(type: TriggerTypeRecord, payload: unknown, named: string): void {
  if (!type.payloadSchema) return;
  const key = canonicalJson(type.payloadSchema);
  let validate = validators.get(key);
  if (!validate) {
    validate = compileSchema(type.payloadSchema);
    if (validators.size > 500) validators.clear();
    validators.set(key, validate);
  }
  if (!validate(payload)) {
    throw new PackrunError('TRIGGER_PAYLOAD_INVALID', `payload for ${named} ${describeSchemaErrors(validate.errors)}`, {
      details: { trigger: named, triggerType: type.ref },
    });
  }
}
