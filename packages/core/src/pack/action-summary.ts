import { PackrunError } from '../errors.ts';
import type { ActionUnavailable, LoadedPack } from './types.ts';

/** An action of a pack that will not run: its runner is missing, or its metadata file is broken. */
export interface SkippedAction {
  /** `<pack>.<action>`, when the file got as far as naming it. */
  ref?: string;
  /** The metadata file, relative to the pack folder. */
  file: string;
  /** The field at fault: `runner_type` for a missing runner, the dotted field of a bad metadata file. */
  field?: string;
  /** ACTION_RUNNER_MISSING or ACTION_INVALID. */
  code: string;
  reason: string;
}

export interface ActionSummary {
  /** Refs of the actions that run (enabled, with a runner Packrun has). */
  runnable: string[];
  /** Refs of the actions with `enabled: false`. */
  disabled: string[];
  skipped: SkippedAction[];
}

/** What of a pack's actions will run, and what will not and why: shown by the installer and the API. */
export function summariseActions(pack: LoadedPack): ActionSummary {
  const summary: ActionSummary = { runnable: [], disabled: [], skipped: [] };
  for (const action of pack.actions) {
    if (action.unavailable) {
      summary.skipped.push({ ref: action.ref, file: action.file, field: action.unavailable.field ?? 'runner_type', code: action.unavailable.code, reason: action.unavailable.message });
    } else if (!action.enabled) {
      summary.disabled.push(action.ref);
    } else {
      summary.runnable.push(action.ref);
    }
  }
  for (const problem of pack.problems) {
    if (!problem.file.startsWith('actions/')) continue;
    summary.skipped.push({ file: problem.file, ...(problem.field ? { field: problem.field } : {}), code: problem.code, reason: problem.message });
  }
  return summary;
}

/** The reason without the `<file> field "<field>": ` it starts with, which the line says in its own words. */
function bareReason(skipped: SkippedAction): string {
  const prefix = `${skipped.file}${skipped.field ? ` field "${skipped.field}"` : ''}: `;
  if (skipped.reason.startsWith(prefix)) return skipped.reason.slice(prefix.length);
  return skipped.reason.startsWith(`${skipped.file}: `) ? skipped.reason.slice(skipped.file.length + 2) : skipped.reason;
}

/** One line per skipped action, naming the file and field, and a last line when none of the pack's actions runs. */
export function describeSkippedActions(pack: string, summary: ActionSummary): string[] {
  const lines = summary.skipped.map((skipped) => {
    const field = skipped.field ? `field "${skipped.field}", ` : '';
    // Without a ref the file leads the line, so it is not said again in the parenthesis.
    if (skipped.ref === undefined) return `action in ${skipped.file} skipped: ${bareReason(skipped)} (${field}${skipped.code})`;
    return `action ${skipped.ref} skipped: ${bareReason(skipped)} (${skipped.file}${skipped.field ? ` ${field.slice(0, -2)}` : ''}, ${skipped.code})`;
  });
  const declared = summary.runnable.length + summary.disabled.length + summary.skipped.length;
  if (declared > 0 && summary.runnable.length === 0) {
    lines.push(`pack ${pack} has no runnable action (${summary.skipped.length} skipped, ${summary.disabled.length} disabled)`);
  }
  return lines;
}

/**
 * A pack problem as one line naming its file once: most messages already start with the file (and
 * field); those that do not get it put in front.
 */
export function describeProblem(problem: { file: string; field?: string; message: string }): string {
  if (problem.message.startsWith(problem.file)) return problem.message;
  return `${problem.file}${problem.field ? ` field "${problem.field}"` : ''}: ${problem.message}`;
}

/** `3 of 5 actions runnable (2 skipped)`, or that the pack has none. */
export function describeActionCounts(summary: Pick<ActionSummary, 'runnable' | 'disabled' | 'skipped'>): string {
  const total = summary.runnable.length + summary.disabled.length + summary.skipped.length;
  if (total === 0) return 'no actions';
  const aside = [
    ...(summary.skipped.length > 0 ? [`${summary.skipped.length} skipped`] : []),
    ...(summary.disabled.length > 0 ? [`${summary.disabled.length} disabled`] : []),
  ];
  const counts = `${summary.runnable.length} of ${total} actions runnable${aside.length > 0 ? ` (${aside.join(', ')})` : ''}`;
  return summary.runnable.length === 0 ? `no runnable action: ${counts}` : counts;
}

/** What running an action whose runner is missing fails with (never ACTION_NOT_FOUND: the action exists). */
export function unavailableActionError(ref: string, unavailable: ActionUnavailable): PackrunError {
  if (unavailable.code === 'WORKFLOW_INVALID') {
    return new PackrunError(unavailable.code, `action ${ref} cannot run: ${unavailable.message}`, {
      hint: 'fix the workflow file at the places named and install the pack again',
      details: { action: ref, runner: unavailable.runner, field: unavailable.field ?? 'entry_point', problems: unavailable.problems ?? [] },
    });
  }
  return new PackrunError(unavailable.code, `action ${ref} cannot run: ${unavailable.message}`, {
    hint: 'docs/stackstorm-compatibility.md lists the runners Packrun has; the rest of the pack runs',
    details: { action: ref, runner: unavailable.runner, field: 'runner_type' },
  });
}
