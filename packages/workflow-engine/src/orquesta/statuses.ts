/**
 * Orquesta's statuses and how a workflow's status moves on a task's event or a request (pause,
 * resume, cancel), as orquesta's workflow state machine decides (machines.py in PyPI orquesta).
 */

export const unset = 'null';
export const activeStatuses: ReadonlySet<string> = new Set(['requested', 'scheduled', 'delayed', 'running', 'resuming', 'pausing', 'canceling']);
export const runningStatuses: ReadonlySet<string> = new Set(['requested', 'scheduled', 'delayed', 'running', 'resuming', 'retrying']);
export const abendedStatuses: ReadonlySet<string> = new Set(['failed', 'timeout', 'abandoned']);
export const completedStatuses: ReadonlySet<string> = new Set(['succeeded', 'failed', 'timeout', 'abandoned', 'canceled']);
export const startingStatuses: ReadonlySet<string> = new Set(['requested', 'scheduled', 'delayed', 'running', 'pending']);

/** Workflow status on a task event, by current workflow status, then event name. */
const onTaskEvent: Record<string, Record<string, string>> = {
  running: {
    task_pending_workflow_active: 'pausing',
    task_pending_workflow_dormant: 'paused',
    task_pausing: 'running',
    task_paused_workflow_active: 'running',
    task_paused_workflow_dormant: 'paused',
    ...completion({ active: { incomplete: 'running', completed: 'running', paused: 'pausing', canceled: 'canceling' }, dormant: { incomplete: 'running', completed: 'succeeded', paused: 'paused', canceled: 'canceled' } }),
    task_failed_workflow_active: 'failed',
    task_failed_workflow_dormant: 'failed',
    task_canceling: 'canceling',
    task_canceled_workflow_active: 'canceling',
    task_canceled_workflow_dormant: 'canceled',
  },
  pausing: {
    task_pending_workflow_active: 'pausing',
    task_pending_workflow_dormant: 'paused',
    task_paused_workflow_active: 'pausing',
    task_paused_workflow_dormant: 'paused',
    ...completion({ active: { incomplete: 'pausing', completed: 'pausing', paused: 'pausing', canceled: 'pausing' }, dormant: { incomplete: 'paused', completed: 'paused', paused: 'paused', canceled: 'canceled' } }),
    task_remediated_workflow_active_canceled: 'canceling',
    task_failed_workflow_active: 'failed',
    task_failed_workflow_dormant: 'failed',
    task_canceling: 'canceling',
    task_canceled_workflow_active: 'canceling',
    task_canceled_workflow_dormant: 'canceled',
    task_retrying_workflow_active: 'pausing',
    task_retrying_workflow_dormant: 'paused',
  },
  paused: {
    task_running: 'running',
    task_resuming: 'running',
  },
  resuming: {
    task_running: 'running',
    task_pending_workflow_active: 'pausing',
    task_pending_workflow_dormant: 'paused',
    ...completion({ active: { incomplete: 'running', completed: 'running' }, dormant: { incomplete: 'running', completed: 'succeeded', paused: 'paused', canceled: 'canceled' } }),
    task_failed_workflow_active: 'failed',
    task_failed_workflow_dormant: 'failed',
    task_canceling: 'canceling',
    task_canceled_workflow_active: 'canceling',
    task_canceled_workflow_dormant: 'canceled',
  },
  canceling: {
    task_pending_workflow_active: 'canceling',
    task_pending_workflow_dormant: 'canceled',
    task_paused_workflow_active: 'canceling',
    task_paused_workflow_dormant: 'canceled',
    ...completion({ active: { incomplete: 'canceling', completed: 'canceling' }, dormant: { incomplete: 'canceled', completed: 'canceled', paused: 'canceled', canceled: 'canceled' } }),
    task_failed_workflow_active: 'canceling',
    task_failed_workflow_dormant: 'canceled',
    task_canceled_workflow_active: 'canceling',
    task_canceled_workflow_dormant: 'canceled',
    task_retrying_workflow_active: 'canceling',
    task_retrying_workflow_dormant: 'canceled',
  },
};

/** The same outcome for a succeeded task and a remediated one (a failed task with a transition taken). */
function completion(outcomes: { active: Record<string, string>; dormant: Record<string, string> }): Record<string, string> {
  const table: Record<string, string> = {};
  for (const kind of ['succeeded', 'remediated']) {
    for (const [activity, byFlag] of Object.entries(outcomes)) {
      for (const [flag, status] of Object.entries(byFlag)) table[`task_${kind}_workflow_${activity}_${flag}`] = status;
    }
  }
  return table;
}

/** Statuses whose task event carries whether other tasks are still active. */
const conditional = new Set(['pending', 'paused', 'succeeded', 'failed', 'remediated', 'canceled', 'retrying']);

interface TaskEventFacts {
  status: string;
  remediated: boolean;
  anyActive: boolean;
  /** For a succeeded or remediated task: canceled > paused > incomplete > completed. */
  flag: 'canceled' | 'paused' | 'incomplete' | 'completed';
}

export function workflowStatusOnTask(current: string, facts: TaskEventFacts): string {
  let status = abendedStatuses.has(facts.status) ? (facts.remediated ? 'remediated' : 'failed') : facts.status;
  let event = `task_${status}`;
  if (conditional.has(status)) event += facts.anyActive ? '_workflow_active' : '_workflow_dormant';
  if (status === 'succeeded' || status === 'remediated') event += `_${facts.flag}`;
  status = onTaskEvent[current]?.[event] ?? current;
  return status;
}

/** Workflow status on a request (pause, resume, cancel, fail); undefined when the request does not apply. */
export function workflowStatusOnRequest(current: string, request: 'pausing' | 'resuming' | 'canceling' | 'failed' | 'running', facts: { anyActive: boolean; finished: boolean }): string | undefined {
  if (request === 'failed') return ['null', 'running', 'pausing', 'paused', 'resuming', 'canceling'].includes(current) ? 'failed' : undefined;
  if (request === 'pausing') {
    if (!['running', 'pausing', 'resuming'].includes(current)) return undefined;
    return facts.anyActive ? 'pausing' : 'paused';
  }
  if (request === 'canceling') {
    if (['running', 'pausing', 'resuming', 'canceling'].includes(current)) return facts.anyActive ? 'canceling' : 'canceled';
    if (current === 'paused') return facts.anyActive ? undefined : 'canceled';
    return undefined;
  }
  if (request === 'resuming') {
    if (current === 'paused') return facts.finished ? 'succeeded' : 'resuming';
    if (current === 'pausing') return 'resuming';
    return undefined;
  }
  if (current === 'null' || current === 'pausing' || current === 'resuming') return 'running';
  if (current === 'paused') return facts.finished ? 'succeeded' : 'running';
  return undefined;
}
