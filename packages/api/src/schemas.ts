import { executionStatuses } from '@packrun/core';

/** JSON schemas shared by the routes; they validate requests and feed the OpenAPI document. */
export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
} as const;

export const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['ref'],
} as const;

export const errorSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    hint: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    faultstring: { type: 'string', description: 'the message again, under the name StackStorm\'s clients print' },
  },
  required: ['code', 'message'],
} as const;

const statusChange = {
  type: 'object',
  properties: { status: { type: 'string' }, at: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const executionSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    action: { type: 'string' },
    pack: { type: 'string' },
    runnerType: { type: 'string' },
    parameters: { type: 'object', additionalProperties: true, description: 'secret values are shown as ********' },
    status: { type: 'string', enum: [...executionStatuses] },
    result: { type: 'object', additionalProperties: true },
    error: { type: 'object', additionalProperties: true },
    log: { type: 'array', items: statusChange },
    createdAt: { type: 'string' },
    scheduledAt: { type: 'string' },
    startedAt: { type: 'string' },
    endedAt: { type: 'string' },
    durationMs: { type: 'number' },
    runnerId: { type: 'string' },
    rerunOf: { type: 'string' },
    user: { type: 'string' },
    context: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'action', 'status', 'createdAt'],
} as const;

export const looseObject = { type: 'object', additionalProperties: true } as const;
