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

/**
 * An execution in StackStorm's shape (core's st2Execution: snake_case, `action` and `runner`
 * objects, `liveaction`); loose, since include_attributes may leave any field but `id` out.
 */
export const executionSchema = {
  type: 'object',
  additionalProperties: true,
  description: "StackStorm's ActionExecution: id, action {ref, runner_type, ...}, runner, liveaction, status, start_timestamp, end_timestamp, elapsed_seconds, parameters (secrets as ********), context, result, result_size, parent, children, log [{status, timestamp}], rule, trigger_instance; Packrun's own: error, stop_reason, truncated, output_size, result_omitted, result_url, output_url",
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: [...executionStatuses] },
  },
} as const;

export const looseObject = { type: 'object', additionalProperties: true } as const;
