import {
  buildDatastoreSnapshot,
  fireInternalTrigger,
  internalTriggerRefs,
  keyValueLookup,
  packScopedLookup,
  pyJsonDumps,
  readExecutionResult,
  renderValue,
  type Bus,
  type ExecutionRecord,
  type KeyValueLookup,
  type KeyValues,
  type Logger,
  type Store,
} from '@packrun/core';
import { notifyOf, type NotifySection } from './notify-spec.ts';

/**
 * What StackStorm's notifier does when an execution ends: `core.st2.generic.actiontrigger` for
 * every execution, and `core.st2.generic.notifytrigger` once per route of each `notify` section
 * that applies (on-complete always; on-success when it succeeded; on-failure when it failed, timed
 * out or was abandoned), with st2's payloads (st2actions/notifier/notifier.py).
 *
 * Parameters in both payloads are the stored ones, secrets already masked (`********`), as st2's
 * `get_masked_parameters`. A notify section's message and data are templates of the action's
 * metadata or of the caller who asked for the execution; the parameters and the result are values
 * in their context, inserted and never rendered again. Every pack's rules may match these
 * payloads, so what the templates read of the datastore is limited: the action's pack's metadata
 * reads no other pack's local keys and decrypts nothing (st2 would decrypt with `decrypt_kv`); a
 * caller's block decrypts only what that caller could.
 */
export interface ExecutionTriggersOptions {
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  logger: Logger;
}

/** StackStorm's LIVEACTION_FAILED_STATES: the states on-failure notifies about. */
const failedStatuses = new Set(['failed', 'timeout', 'abandoned']);

/** A result larger than this (as JSON) is left out of the payloads: a trigger instance is a bus message, bounded in size. */
const resultInPayloadLimit = 256 * 1024;

export function createExecutionTriggers(options: ExecutionTriggersOptions): (record: ExecutionRecord) => Promise<void> {
  const { store, bus, logger } = options;

  return async (record) => {
    const action = await store.actions.get(record.action);
    const runnerRef = action?.runnerType ?? record.runnerType ?? null;
    const result = await payloadResult(record);
    await fireInternalTrigger(bus, internalTriggerRefs.action, {
      execution_id: record.id,
      status: record.status,
      start_timestamp: pythonStrTime(record.createdAt),
      action_name: record.action,
      action_ref: record.action,
      runner_ref: runnerRef,
      parameters: record.parameters,
      result,
    });
    const notify = notifyOf(action, record);
    if (!notify) return;
    const sections: Array<[NotifySection | undefined, string]> = [
      [notify.sections['on-complete'], 'completed.'],
      [record.status === 'succeeded' ? notify.sections['on-success'] : undefined, 'succeeded.'],
      [failedStatuses.has(record.status) ? notify.sections['on-failure'] : undefined, 'failed.'],
    ];
    for (const [section, suffix] of sections) {
      if (!section || section.routes.length === 0) continue;
      const lookup = notify.from === 'action' ? packLookup(action!.pack) : await requestLookup(record);
      const context = {
        st2kv: { system: (await buildDatastoreSnapshot([section.message, section.data], lookup)).system },
        action_parameters: record.parameters,
        action_context: record.context,
        action_results: result,
      };
      const message = renderOrKeep(section.message ?? `Action ${record.action} ${suffix}`, context, record, 'message');
      const data = { ...(renderOrKeep(section.data ?? {}, context, record, 'data') as Record<string, unknown>), result: pyJsonDumps(result) };
      for (const route of section.routes) {
        await fireInternalTrigger(bus, internalTriggerRefs.notify, {
          message,
          data,
          execution_id: record.id,
          status: record.status,
          start_timestamp: isoTime(record.createdAt),
          end_timestamp: isoTime(record.endedAt ?? new Date().toISOString()),
          action_ref: record.action,
          runner_ref: runnerRef,
          route,
          // Deprecated in st2, kept for rules written against it (the examples pack's notify_slack).
          channel: route,
        });
      }
    }
  };

  async function payloadResult(record: ExecutionRecord): Promise<unknown> {
    if (record.resultBlobs === undefined || (record.resultSize ?? 0) > resultInPayloadLimit) return record.result ?? null;
    return (await readExecutionResult(store.executionBlobs, record)) ?? null;
  }

  /** st2 logs a template that fails and sends the text as written. */
  function renderOrKeep(template: unknown, context: Record<string, unknown>, record: ExecutionRecord, field: string): unknown {
    try {
      return renderValue(template, context, { what: `notify ${field} of execution ${record.id}` });
    } catch (error) {
      logger.warn({ err: error, executionId: record.id, field }, 'notify template failed; sent as written');
      return template;
    }
  }

  /**
   * A task of a workflow has the notify its workflow's file (a chain node's `notify`) or its
   * workflow's block gave it: pack content of the workflow's pack, read as the action's metadata
   * is (that pack's scope, nothing decrypted). Any other request's block is its caller's.
   */
  async function requestLookup(record: ExecutionRecord): Promise<KeyValueLookup> {
    if (record.parent === undefined) return callerLookup(record);
    const workflow = await store.executions.get(record.parent);
    return packLookup(workflow?.pack ?? record.parent);
  }

  /** A pack's metadata: no other pack's local keys, no secret in clear. */
  function packLookup(pack: string): KeyValueLookup {
    const lookup = packScopedLookup(keyValueLookup(options.keyValues), pack);
    return { get: (name, lookupOptions) => lookup.get(name, { ...lookupOptions, decrypt: false }) };
  }

  /** The requesting caller's: secrets decrypted only where that caller could. */
  function callerLookup(record: ExecutionRecord): KeyValueLookup {
    const lookup = keyValueLookup(options.keyValues, record.user);
    const mayDecryptSystem = record.parameterOrigin?.from === 'caller' && record.parameterOrigin.mayDecrypt.system;
    return { get: (name, lookupOptions) => lookup.get(name, { ...lookupOptions, decrypt: lookupOptions.decrypt && mayDecryptSystem }) };
  }
}

/**
 * `core.st2.generic.inquiry` when an inquiry starts waiting, as st2's inquirer runner fires it:
 * `{id, route}` with the execution's id and the inquiry's route (empty when it has none).
 */
export function createInquiryTrigger(options: Pick<ExecutionTriggersOptions, 'store' | 'bus' | 'logger'>): (record: ExecutionRecord) => void {
  return (record) => {
    void (async () => {
      const inquiry = (await readExecutionResult(options.store.executionBlobs, record)) ?? {};
      const route = typeof inquiry['route'] === 'string' ? inquiry['route'] : '';
      await fireInternalTrigger(options.bus, internalTriggerRefs.inquiry, { id: record.id, route });
    })().catch((error: unknown) => options.logger.warn({ err: error, executionId: record.id }, 'inquiry trigger not fired'));
  };
}

/** st2's isotime.format: `2026-12-04T21:12:12.123000+00:00`. */
function isoTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** Python's str(datetime), which st2 uses for the actiontrigger's start_timestamp: `2026-12-04 21:12:12.123000+00:00`. */
function pythonStrTime(iso: string): string {
  return isoTime(iso).replace('T', ' ');
}
