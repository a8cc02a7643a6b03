import {
  canonicalJson,
  isCompleted,
  isPackrunError,
  nowIso,
  type Bus,
  type ExecutionRecord,
  type ExecutionStatus,
  type Logger,
  type PolicyRecord,
  type Store,
} from '@packrun/core';

/**
 * StackStorm's `action.concurrency` and `action.concurrency.attr` policies over the store, so they
 * hold across any number of action runners and API processes: each policy (per attribute values,
 * for `.attr`) has `threshold` places, a running execution holds one, and taking a place is an
 * insert under the place's id, which the store grants to one caller only. An execution that finds
 * no place is `delayed` (and queued again when a place frees) or `canceled`, as the policy says.
 */
export type StatusTransition = (
  filter: Parameters<Store['executions']['updateOne']>[0],
  status: ExecutionStatus,
  set: Partial<ExecutionRecord>,
  by: string,
  reason?: string,
) => Promise<ExecutionRecord | undefined>;

export interface ConcurrencyPolicyOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  transition: StatusTransition;
}

/** What a claim may do with an execution as far as concurrency goes. */
export type Admission = { admitted: true } | { admitted: false; reason: string };

/** Executions a policy holds (delayed, with no delayUntil: a caller's delay is the API's to end) looked at per wake-up: the oldest first. */
const wakeScanLimit = 200;

const concurrencyTypes: ReadonlySet<string> = new Set(['action.concurrency', 'action.concurrency.attr']);

interface ConcurrencyParameters {
  threshold: number;
  action: 'delay' | 'cancel';
  attributes?: string[];
}

export interface ConcurrencyPolicy {
  /**
   * Before a runner claims a requested or scheduled execution: takes a place in every concurrency
   * policy of its action, or holds the execution back (delayed or canceled) and says why.
   */
  admit(executionId: string): Promise<Admission>;
  /** Gives back what an execution that did not start after all holds (its claim lost a race). */
  release(executionId: string): Promise<void>;
  /** After an execution ended: gives back its places and queues a delayed execution that can take one. */
  completed(record: ExecutionRecord): Promise<void>;
  /**
   * The periodic check: frees places still held by executions that ended (a process died between
   * the two), and wakes delayed executions that have a free place (or no policy any more).
   */
  reconcile(): Promise<void>;
}

export function createConcurrencyPolicy(options: ConcurrencyPolicyOptions): ConcurrencyPolicy {
  const { store, bus, logger, transition } = options;

  async function policiesOf(action: string): Promise<PolicyRecord[]> {
    return (await store.policies.find({ resourceRef: action, enabled: true }, { sort: { id: 1 } })).filter((policy) => concurrencyTypes.has(policy.policyType));
  }

  function keyOf(policy: PolicyRecord, execution: Pick<ExecutionRecord, 'parameters'>): string {
    const attributes = (policy.parameters as unknown as ConcurrencyParameters).attributes;
    if (policy.policyType !== 'action.concurrency.attr' || !attributes) return policy.ref;
    return `${policy.ref}|${canonicalJson(attributes.map((name) => execution.parameters[name] ?? null))}`;
  }

  /** Takes one of `threshold` places under `key`; false when all are held. */
  async function takePlace(policy: PolicyRecord, key: string, executionId: string): Promise<boolean> {
    if (await store.policySlots.findOne({ key, executionId })) return true;
    const { threshold } = policy.parameters as unknown as ConcurrencyParameters;
    for (let place = 0; place < threshold; place += 1) {
      try {
        await store.policySlots.insert({ id: `${key}#${place}`, policy: policy.ref, key, executionId, takenAt: nowIso() });
        return true;
      } catch (error) {
        if (isPackrunError(error) && error.code === 'STORE_DUPLICATE_ID') continue;
        throw error;
      }
    }
    return false;
  }

  /** Every place of the execution's policies, or the first policy that had none (nothing kept then). */
  async function enter(execution: ExecutionRecord, policies: PolicyRecord[]): Promise<PolicyRecord | undefined> {
    for (const policy of policies) {
      if (!(await takePlace(policy, keyOf(policy, execution), execution.id))) {
        await store.policySlots.remove({ executionId: execution.id });
        return policy;
      }
    }
    return undefined;
  }

  async function holdBack(execution: ExecutionRecord, policy: PolicyRecord, policies: PolicyRecord[]): Promise<Admission> {
    const { threshold, action } = policy.parameters as unknown as ConcurrencyParameters;
    const reason = `policy ${policy.ref}: ${threshold} execution(s) of ${policy.resourceRef} already running`;
    const waiting = { id: execution.id, status: { $in: ['requested', 'scheduled'] as ExecutionStatus[] } };
    if (action === 'cancel') {
      await transition(waiting, 'canceled', { endedAt: nowIso() }, 'policy', reason);
      return { admitted: false, reason };
    }
    if (!(await transition(waiting, 'delayed', {}, 'policy', reason))) return { admitted: false, reason: 'no longer waiting' };
    // A place may have freed between the look and the delay, and its holder found nobody delayed to wake.
    if ((await enter(execution, policies)) === undefined) {
      if (await transition({ id: execution.id, status: 'delayed' }, 'scheduled', {}, 'policy', 'a place freed')) return { admitted: true };
      await store.policySlots.remove({ executionId: execution.id });
    }
    return { admitted: false, reason };
  }

  /** Queues a delayed execution again: delayed -> requested, enqueued, -> scheduled (as a new request). */
  async function wake(execution: ExecutionRecord, why: string): Promise<boolean> {
    const woken = await transition({ id: execution.id, status: 'delayed' }, 'requested', {}, 'policy', why);
    if (!woken) return false;
    try {
      await bus.enqueue('executions', { executionId: woken.id, action: woken.action, parameters: woken.parameters, context: woken.context });
      await transition({ id: woken.id, status: 'requested' }, 'scheduled', { scheduledAt: nowIso() }, 'policy');
    } catch (error) {
      // Left `requested`: the API's requeue of unqueued executions sends it.
      logger.warn({ err: error, executionId: woken.id }, 'delayed execution woken but not queued yet');
    }
    return true;
  }

  /** Wakes up to `free` delayed executions of the policy's action whose place key is `key`. */
  async function wakeFor(policy: PolicyRecord, key: string, free: number): Promise<void> {
    if (free <= 0) return;
    const delayed = await store.executions.find({ action: policy.resourceRef, status: 'delayed', delayUntil: { $exists: false } }, { sort: { createdAt: 1, id: 1 }, limit: wakeScanLimit });
    let woken = 0;
    for (const execution of delayed) {
      if (woken >= free) return;
      if (keyOf(policy, execution) === key && (await wake(execution, `a place of policy ${policy.ref} freed`))) woken += 1;
    }
  }

  return {
    async admit(executionId) {
      const execution = await store.executions.get(executionId);
      if (!execution || !['requested', 'scheduled'].includes(execution.status)) return { admitted: true };
      const policies = await policiesOf(execution.action);
      if (policies.length === 0) return { admitted: true };
      const blocked = await enter(execution, policies);
      return blocked === undefined ? { admitted: true } : holdBack(execution, blocked, policies);
    },

    async release(executionId) {
      const current = await store.executions.get(executionId);
      if (current && (current.status === 'running' || current.status === 'canceling')) return;
      await store.policySlots.remove({ executionId });
    },

    async completed(record) {
      const held = await store.policySlots.find({ executionId: record.id });
      if (held.length === 0) return;
      await store.policySlots.remove({ executionId: record.id });
      for (const place of held) {
        const policy = await store.policies.get(place.policy);
        if (policy) await wakeFor(policy, place.key, 1);
      }
    },

    async reconcile() {
      for (const place of await store.policySlots.find({})) {
        const holder = await store.executions.get(place.executionId);
        if (!holder || isCompleted(holder.status)) await store.policySlots.remove({ id: place.id, executionId: place.executionId });
      }
      const delayed = await store.executions.find({ status: 'delayed', delayUntil: { $exists: false } }, { sort: { createdAt: 1, id: 1 }, limit: wakeScanLimit });
      const checked = new Set<string>();
      for (const execution of delayed) {
        const policies = await policiesOf(execution.action);
        if (policies.length === 0) {
          await wake(execution, 'its concurrency policy is gone');
          continue;
        }
        for (const policy of policies) {
          const key = keyOf(policy, execution);
          if (checked.has(key)) continue;
          checked.add(key);
          const { threshold } = policy.parameters as unknown as ConcurrencyParameters;
          await wakeFor(policy, key, threshold - (await store.policySlots.count({ key })));
        }
      }
    },
  };
}
