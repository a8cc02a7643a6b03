import { internalTriggerTypes, nowIso, type Store, type TriggerTypeRecord } from '@packrun/core';

/**
 * The trigger types Packrun provides itself (pack-format.md, "Built-in triggers"), with
 * StackStorm's parameter and payload schemas. The API fires webhooks; the sensor container runs
 * the timers; StackStorm's internal triggers (core's internal-triggers.ts) are fired by the
 * services whose events they report.
 */
export const webhookTriggerType = 'core.st2.webhook';
const intervalTimerType = 'core.st2.IntervalTimer';
const dateTimerType = 'core.st2.DateTimer';
const cronTimerType = 'core.st2.CronTimer';

const timerPayloadSchema = {
  type: 'object',
  // StackStorm declares `schedule` an object but its timers always send null.
  properties: { executed_at: { type: 'string' }, schedule: { type: ['object', 'null'] } },
};

const cronField = (minimum: number, maximum: number) => ({
  anyOf: [{ type: 'string' }, { type: 'integer', minimum, maximum }],
});

type BuiltinType = Pick<TriggerTypeRecord, 'ref' | 'name' | 'description' | 'payloadSchema' | 'parametersSchema'>;

export const builtinTriggerTypes: readonly BuiltinType[] = [
  {
    ref: webhookTriggerType,
    name: 'st2.webhook',
    description: 'A POST to /api/v1/webhooks/<url>; payload {headers, body}.',
    parametersSchema: {
      type: 'object',
      properties: { url: { type: 'string', minLength: 1 } },
      required: ['url'],
      additionalProperties: false,
    },
    payloadSchema: { type: 'object', properties: { headers: { type: 'object' }, body: {} } },
  },
  {
    ref: intervalTimerType,
    name: 'st2.IntervalTimer',
    description: 'Fires every <delta> <unit>.',
    parametersSchema: {
      type: 'object',
      properties: {
        timezone: { type: 'string' },
        unit: { enum: ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds'] },
        delta: { type: 'integer', minimum: 1 },
      },
      required: ['unit', 'delta'],
      additionalProperties: false,
    },
    payloadSchema: timerPayloadSchema,
  },
  {
    ref: dateTimerType,
    name: 'st2.DateTimer',
    description: 'Fires once at <date> (ISO 8601; in <timezone> when the date has no offset, UTC by default).',
    parametersSchema: {
      type: 'object',
      properties: { timezone: { type: 'string' }, date: { type: 'string' } },
      required: ['date'],
      additionalProperties: false,
    },
    payloadSchema: timerPayloadSchema,
  },
  {
    ref: cronTimerType,
    name: 'st2.CronTimer',
    description: 'Fires on a cron-like schedule (APScheduler fields: year, month, day, week, day_of_week, hour, minute, second).',
    parametersSchema: {
      type: 'object',
      properties: {
        timezone: { type: 'string' },
        year: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        month: cronField(1, 12),
        day: cronField(1, 31),
        week: cronField(1, 53),
        day_of_week: cronField(0, 6),
        hour: cronField(0, 23),
        minute: cronField(0, 59),
        second: cronField(0, 59),
      },
      additionalProperties: false,
    },
    payloadSchema: timerPayloadSchema,
  },
  ...internalTriggerTypes.map(({ ref, name, description, payloadSchema }) => ({ ref, name, description, payloadSchema })),
];

/** Registers (or refreshes) the built-in trigger types; idempotent, run by every service at start. */
export async function registerBuiltinTriggerTypes(store: Store): Promise<void> {
  for (const type of builtinTriggerTypes) {
    const existing = await store.triggerTypes.get(type.ref);
    const now = nowIso();
    await store.triggerTypes.put({
      id: type.ref,
      pack: 'core',
      tags: ['builtin'],
      ...type,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }
}
