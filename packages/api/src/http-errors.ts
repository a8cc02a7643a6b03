import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPackrunError, JsonLimitError, type Logger } from '@packrun/core';
import { urlForLog } from './request-log.ts';

/** HTTP status for each PackrunError code the API can meet; anything else user-facing is a 400. */
const statusByCode: Record<string, number> = {
  REQUEST_INVALID: 400,
  PARAMETER_INVALID: 400,
  EXECUTION_CONTEXT_RESERVED: 400,
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NEEDS_API_KEY: 401,
  TOKEN_USER_MISMATCH: 401,
  API_ROLE_FORBIDDEN: 403,
  TOKEN_SCOPE_FORBIDDEN: 403,
  DATASTORE_ACCESS_DENIED: 403,
  API_RUNNER_FORBIDDEN: 403,
  ROUTE_ACCESS_UNDECLARED: 403,
  RULE_DECRYPT_FORBIDDEN: 403,
  INQUIRY_FORBIDDEN: 403,
  EXECUTION_NOT_FOUND: 404,
  INQUIRY_NOT_FOUND: 404,
  EXECUTION_NO_RESULT: 404,
  ACTION_NOT_FOUND: 404,
  PACK_NOT_FOUND: 404,
  PACK_NOT_INSTALLED: 404,
  PACK_CONFIG_NOT_FOUND: 404,
  PACK_CONFIG_SCHEMA_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  RULE_NOT_FOUND: 404,
  POLICY_NOT_FOUND: 404,
  TRIGGER_NOT_FOUND: 404,
  TRIGGER_INSTANCE_NOT_FOUND: 404,
  RULE_ENFORCEMENT_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  SENSOR_NOT_FOUND: 404,
  RUNNER_TYPE_NOT_FOUND: 404,
  RULE_EXISTS: 409,
  SENSOR_DISABLED: 409,
  EXECUTION_NOT_CANCELABLE: 409,
  EXECUTION_EXISTS: 409,
  STORE_DUPLICATE_ID: 409,
  ACTION_DISABLED: 409,
  ACTION_NO_ENTRY_POINT: 404,
  ENTRY_POINT_UNREADABLE: 409,
  ACTION_RUNNER_MISSING: 409,
  WORKFLOW_DRIVER_MISSING: 409,
  WORKFLOW_INVALID: 409,
  EXECUTION_STATE_INVALID: 409,
  TRIGGER_NOT_OWNED: 403,
  SERVICE_UNAVAILABLE: 503,
  // The store's disk refused the write: nothing of the request was stored (or what was, a retry
  // with the same id finds), so the caller may retry once space is back.
  STORE_FULL: 507,
  PACK_UPLOAD_TOO_LARGE: 413,
  STORE_WRITE_FAILED: 503,
};

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/**
 * Sends an error with its message also under StackStorm's name, `faultstring`, which st2client
 * prints after the HTTP status (`MESSAGE: ...`): without it an st2 user sees only "401 Client Error".
 */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody): void {
  void reply.status(status).send({ ...body, faultstring: body.message });
}

/**
 * Every failure leaves the API as `{code, message, hint?, details?, faultstring}`. Schema validation failures
 * become REQUEST_INVALID with the offending field named (`body.parameters`, `query.limit`), the
 * same message shape as the rest of Packrun's user errors.
 */
export function errorHandler(logger: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (error.validation) {
      const first = error.validation[0];
      const context = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'request');
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const pointer = (first?.instancePath ?? '').split('/').filter(Boolean);
      const field = [context, ...pointer, ...(missing ? [missing] : [])].join('.');
      const reason = missing ? 'is required' : (first?.message ?? 'is invalid');
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const named = extra ? `${field}.${extra}` : field;
      const body: ErrorBody = {
        code: 'REQUEST_INVALID',
        message: extra ? `${named} is not an accepted field` : `${named} ${reason}`,
        details: { field: named },
      };
      sendError(reply, 400, body);
      return;
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit;
      sendError(reply, 413, {
        code: 'INPUT_TOO_LARGE',
        message: `the request body is over the limit of ${limit} bytes (PACKRUN_INPUT_MAX_BYTES)`,
        hint: 'send less, or have the operator raise PACKRUN_INPUT_MAX_BYTES',
        details: { limit: 'bytes', max: limit, setting: 'PACKRUN_INPUT_MAX_BYTES' },
      });
      return;
    }
    if (isPackrunError(error)) {
      const status = error instanceof JsonLimitError ? error.httpStatus : (statusByCode[error.code] ?? (error.userError ? 400 : 500));
      if (status >= 500) logger.error({ err: error, url: urlForLog(request.url) }, 'request failed');
      const body: ErrorBody = { code: error.code, message: error.message, details: error.details };
      if (error.hint) body.hint = error.hint;
      sendError(reply, status, body);
      return;
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) logger.error({ err: error, url: urlForLog(request.url) }, 'request failed unexpectedly');
    sendError(reply, status, {
      code: status >= 500 ? 'INTERNAL_ERROR' : (error.code ?? 'REQUEST_INVALID'),
      message: status >= 500 ? 'internal error; the API log has the details' : error.message,
    });
  };
}
