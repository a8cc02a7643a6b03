import type { FastifyInstance, FastifyRequest } from 'fastify';
import { maxOutputRuns, reportBounds, type PackrunConfig } from '@packrun/core';
import type { StoreLedger } from '@packrun/action-runner';
import { callerOfRequest } from '../auth/authorize.ts';
import { assertRunnerIdBound } from '../auth/runner-binding.ts';
import { errorSchema, looseObject } from '../schemas.ts';

const runnerParams = {
  type: 'object',
  properties: { runner: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['runner'],
} as const;
const executionId = { type: 'string', minLength: 1, maxLength: 200 } as const;
const executionBody = {
  type: 'object',
  additionalProperties: false,
  properties: { executionId },
  required: ['executionId'],
} as const;

/** A heartbeat is small: what a runner is, and the executions it runs (at most its concurrency). */
const heartbeatBodyBytes = 256 * 1024;
const maxRunning = 10_000;

/** The `:runner` of the path, once it is known to belong to the caller's key. */
function boundRunner(request: FastifyRequest): string {
  const { runner } = request.params as { runner: string };
  assertRunnerIdBound(callerOfRequest(request), runner);
  return runner;
}

/**
 * What distributed action runners report through: they never hold database credentials, only an
 * API key, and every transition still goes through the one compare-and-set ledger here.
 */
export function runnerRoutes(app: FastifyInstance, deps: { ledger: StoreLedger; config: PackrunConfig }): void {
  const { ledger } = deps;
  const reportBytes = reportBounds(deps.config).limits.maxBytes;

  app.post('/api/v1/runners/:runner/claim', {
    config: { access: 'runner' },
    schema: {
      summary: 'A runner takes a queued execution (running under its id) or is told to skip it',
      params: runnerParams,
      body: {
        ...executionBody,
        properties: {
          ...executionBody.properties,
          redelivered: { type: 'boolean', default: false },
          apiToken: { type: 'boolean', default: false, description: 'mint the job a token for StackStorm\'s API (its pack is in the runner\'s PACKRUN_ACTION_API_PACKS)' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: { decision: { type: 'string', enum: ['run', 'skip'] }, reason: { type: 'string' }, execution: looseObject, parameters: looseObject, apiToken: { type: 'string' } },
          required: ['decision'],
        },
        400: errorSchema,
      },
    },
  }, async (request) => {
    const runner = boundRunner(request);
    const body = request.body as { executionId: string; redelivered: boolean; apiToken: boolean };
    return ledger.claim({ executionId: body.executionId, runnerId: runner, redelivered: body.redelivered, apiToken: body.apiToken });
  });

  app.post('/api/v1/runners/:runner/complete', {
    config: { access: 'runner', bodyBounds: 'report' },
    bodyLimit: reportBytes,
    schema: {
      summary: 'A runner stores the final state of the execution it holds',
      params: runnerParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          executionId,
          outcome: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: ['succeeded', 'failed', 'timeout', 'canceled', 'pending'] },
              result: looseObject,
              stopReason: { type: 'string', enum: ['timeout', 'canceled', 'out_of_memory', 'output_limit', 'pids_limit'] },
              truncated: {
                type: 'object',
                additionalProperties: false,
                properties: { stdout: { type: 'boolean' }, stderr: { type: 'boolean' } },
                required: ['stdout', 'stderr'],
              },
              // The order of stdout and stderr; the store still fits it to the output stored (fitOutputRuns).
              outputRuns: {
                type: 'array',
                maxItems: maxOutputRuns,
                items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'integer', enum: [0, 1] }, { type: 'integer', minimum: 1 }] },
              },
              durationMs: { type: 'number', minimum: 0 },
            },
            required: ['status', 'result', 'durationMs'],
          },
          error: {
            type: 'object',
            additionalProperties: false,
            properties: { type: { type: 'string', maxLength: 200 }, message: { type: 'string' }, details: looseObject },
            required: ['type', 'message'],
          },
        },
        required: ['executionId'],
      },
      response: { 204: { type: 'null' }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const runner = boundRunner(request);
    const body = request.body as Omit<Parameters<StoreLedger['complete']>[0], 'runnerId'>;
    await ledger.complete({ ...body, runnerId: runner });
    return reply.status(204).send();
  });

  app.post('/api/v1/runners/:runner/release', {
    config: { access: 'runner' },
    schema: {
      summary: 'A runner shutting down hands an execution back to the queue',
      params: runnerParams,
      body: executionBody,
      response: { 204: { type: 'null' }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const runner = boundRunner(request);
    await ledger.release({ executionId: (request.body as { executionId: string }).executionId, runnerId: runner });
    return reply.status(204).send();
  });

  app.post('/api/v1/runners/:runner/heartbeat', {
    config: { access: 'runner' },
    bodyLimit: heartbeatBodyBytes,
    schema: {
      summary: 'A runner says it is alive (executions of a runner that stops beating end abandoned); the answer lists its executions to cancel',
      params: runnerParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          host: { type: 'string', maxLength: 255 },
          pid: { type: 'integer', minimum: 0 },
          concurrency: { type: 'integer', minimum: 1, maximum: maxRunning },
          processIdentity: {
            type: 'object',
            additionalProperties: false,
            description: 'which process pid is: /proc/<pid>/stat start time, boot id, pid namespace (an API on the same host then tells a late runner from a dead one)',
            properties: {
              startTime: { type: 'string', pattern: '^[0-9]{1,20}$' },
              bootId: { type: 'string', maxLength: 64 },
              pidNamespace: { type: 'string', maxLength: 64 },
            },
          },
          running: { type: 'array', maxItems: maxRunning, items: executionId },
        },
        required: ['host', 'pid', 'concurrency', 'running'],
      },
      response: {
        200: { type: 'object', properties: { cancel: { type: 'array', items: { type: 'string' } } }, required: ['cancel'] },
        400: errorSchema,
      },
    },
  }, async (request) => {
    const runner = boundRunner(request);
    const body = request.body as { host: string; pid: number; concurrency: number; running: string[] };
    return ledger.heartbeat({ id: runner, ...body });
  });

  app.post('/api/v1/runners/:runner/triggers', {
    config: { access: 'runner' },
    schema: {
      summary: 'A runner fires a trigger for the execution it holds (core.inject_trigger), with the rights of that execution',
      params: runnerParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          executionId: { type: 'string', minLength: 1 },
          trigger: { type: 'string', minLength: 1 },
          payload: { type: 'object', additionalProperties: true },
          traceTag: { type: 'string' },
        },
        required: ['executionId', 'trigger', 'payload'],
      },
      response: { 200: looseObject, 400: errorSchema },
    },
  }, async (request) => {
    const runner = boundRunner(request);
    const body = request.body as { executionId: string; trigger: string; payload: Record<string, unknown>; traceTag?: string };
    return ledger.injectTrigger({ ...body, runnerId: runner });
  });

  app.get('/api/v1/runners', {
    config: { access: 'read' },
    schema: {
      summary: 'Action runners heard from since this API started',
      response: { 200: { type: 'array', items: looseObject } },
    },
  }, async () => ledger.runners());
}
