import {
  compileSchema,
  describeSchemaErrors,
  readExecutionResult,
  PackrunError,
  prepareResult,
  type Bus,
  type ExecutionRecord,
  type Logger,
  type Store,
} from '@packrun/core';
import { publishExecutionUpdate } from '@packrun/action-runner';
import type { ApiCaller } from '../auth/caller.ts';
import { atLeast } from '../auth/roles.ts';

/** An inquiry as StackStorm's API shows it: the pending execution of an inquirer action. */
export interface Inquiry {
  id: string;
  route: string;
  ttl: number;
  users: string[];
  roles: string[];
  schema: Record<string, unknown>;
  /** The workflow execution it belongs to, when it has one: the `parent` the engine recorded. */
  parent?: string;
}

export interface InquiryService {
  list(options: { limit: number; offset: number }): Promise<{ items: Inquiry[]; total: number }>;
  get(id: string): Promise<Inquiry>;
  /** Stores a response that validates against the inquiry's schema; the execution succeeds with it. */
  respond(id: string, caller: ApiCaller, response: Record<string, unknown>): Promise<{ id: string; response: Record<string, unknown> }>;
  /** Ends `timeout` every inquiry whose ttl ran out by `at`; returns how many. */
  expire(at?: number): Promise<number>;
}

const pendingInquiries = { runnerType: 'inquirer', status: 'pending' } as const;

function notFound(id: string): PackrunError {
  return new PackrunError('INQUIRY_NOT_FOUND', `inquiry "${id}" does not exist or is no longer pending`, {
    hint: 'an inquiry can be answered once, while its execution is pending',
    details: { inquiry: id },
  });
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** When a pending inquiry times out, in ms since the epoch; undefined for one without a limit. */
function deadlineOf(record: ExecutionRecord, ttlMinutes: number): number | undefined {
  if (!(ttlMinutes > 0)) return undefined;
  return Date.parse(record.startedAt ?? record.createdAt) + ttlMinutes * 60_000;
}

/**
 * Whether the caller may answer: anyone named in `users` or holding a role named in `roles`; with
 * neither list set, anyone who may respond at all (the route's `operate`); admins always, as
 * StackStorm's administrators.
 */
function mayRespond(caller: ApiCaller, inquiry: Inquiry): boolean {
  if (atLeast(caller.role, 'admin')) return true;
  if (inquiry.users.length === 0 && inquiry.roles.length === 0) return true;
  return inquiry.users.includes(caller.user) || inquiry.roles.includes(caller.role);
}

export function createInquiryService(deps: {
  store: Store;
  bus: Bus;
  logger: Logger;
  resultInlineBytes: number;
  /** Told of an inquiry answered or timed out: it has ended (StoreLedgerOptions.onCompleted). */
  onCompleted?: (record: ExecutionRecord) => void;
}): InquiryService {
  const { store, bus, logger } = deps;

  /** The inquirer runner's result document: the inquiry; read whole even when it went to blobs. */
  async function resultOf(record: ExecutionRecord): Promise<Record<string, unknown>> {
    return (await readExecutionResult(store.executionBlobs, record)) ?? {};
  }

  async function viewOf(record: ExecutionRecord): Promise<Inquiry> {
    const result = await resultOf(record);
    return {
      id: record.id,
      route: typeof result['route'] === 'string' ? result['route'] : '',
      ttl: typeof result['ttl'] === 'number' ? result['ttl'] : 0,
      users: strings(result['users']),
      roles: strings(result['roles']),
      schema: typeof result['schema'] === 'object' && result['schema'] !== null ? (result['schema'] as Record<string, unknown>) : {},
      ...(record.parent === undefined ? {} : { parent: record.parent }),
    };
  }

  async function pendingRecord(id: string): Promise<ExecutionRecord> {
    const record = await store.executions.get(id);
    if (!record || record.runnerType !== 'inquirer' || record.status !== 'pending') throw notFound(id);
    return record;
  }

  async function finish(record: ExecutionRecord, status: 'succeeded' | 'timeout', result: Record<string, unknown>, by: string, reason?: string): Promise<ExecutionRecord | undefined> {
    const { fields, written } = await prepareResult(store.executionBlobs, record.id, result, deps.resultInlineBytes);
    const at = new Date().toISOString();
    const started = Date.parse(record.startedAt ?? record.createdAt);
    // Only the pending execution changes: of two responses at once, one wins, the other finds it gone.
    const updated = await store.executions.updateOne(
      { id: record.id, status: 'pending' },
      {
        set: { ...fields, status, endedAt: at, durationMs: Math.max(0, Date.parse(at) - started) },
        push: { log: reason === undefined ? { status, at, by } : { status, at, by, reason } },
        ...(record.resultBlobs !== undefined && fields.resultBlobs === undefined ? { unset: ['resultBlobs'] } : {}),
      },
    );
    if (!updated) {
      await store.executionBlobs.discard(record.id, written).catch(() => undefined);
      return undefined;
    }
    publishExecutionUpdate(bus, logger, updated);
    deps.onCompleted?.(updated);
    return updated;
  }

  return {
    async list({ limit, offset }) {
      const [records, total] = await Promise.all([
        store.executions.find(pendingInquiries, { sort: { createdAt: -1 }, limit, skip: offset }),
        store.executions.count(pendingInquiries),
      ]);
      return { items: await Promise.all(records.map(viewOf)), total };
    },

    async get(id) {
      return viewOf(await pendingRecord(id));
    },

    async respond(id, caller, response) {
      const record = await pendingRecord(id);
      const inquiry = await viewOf(record);
      if (!mayRespond(caller, inquiry)) {
        throw new PackrunError('INQUIRY_FORBIDDEN', `user "${caller.user}" (role ${caller.role}) may not respond to inquiry "${id}"`, {
          hint: 'the inquiry names the users and roles who may respond',
          details: { inquiry: id, users: inquiry.users, roles: inquiry.roles },
        });
      }
      const validate = compileSchema(inquiry.schema);
      if (!validate(response)) {
        throw new PackrunError('INQUIRY_RESPONSE_INVALID', `the response to inquiry "${id}" does not match its schema: ${describeSchemaErrors(validate.errors)}`, {
          details: { inquiry: id, errors: validate.errors ?? [] },
        });
      }
      const result = await resultOf(record);
      const answered = await finish(record, 'succeeded', { ...result, response }, caller.user);
      if (!answered) throw notFound(id);
      return { id, response };
    },

    async expire(at = Date.now()) {
      let expired = 0;
      for (const record of await store.executions.find(pendingInquiries)) {
        const result = await resultOf(record);
        const deadline = deadlineOf(record, typeof result['ttl'] === 'number' ? result['ttl'] : 0);
        if (deadline === undefined || deadline > at) continue;
        if (await finish(record, 'timeout', result, 'inquiry-ttl', `no response within its ttl of ${String(result['ttl'])} minutes`)) expired += 1;
      }
      return expired;
    },
  };
}
