/**
 * What an install reports while it works. The CLI renders these as a progress line; the API
 * streams them as an execution's output. `tool` is set on the event emitted right before an
 * external tool (uv, pip, npm, git, venv) is started, so callers can see exactly what ran.
 */
export type InstallStage = 'resolving' | 'fetching' | 'building-env' | 'validating' | 'registering' | 'done';

export type InstallTool = 'uv' | 'pip' | 'venv' | 'npm' | 'git';

export interface InstallProgressEvent {
  stage: InstallStage;
  /** Pack ref, once known (the message names the source before that). */
  pack?: string;
  message: string;
  /** Set when this event announces the start of an external tool. */
  tool?: InstallTool;
  /** One line of the tool's own output. */
  output?: string;
  /** Set on the building-env event of an env found ready and reused as is. */
  envReused?: boolean;
  /** Set on warnings (e.g. a broken action file in an otherwise valid pack). */
  warning?: boolean;
}

export type ProgressListener = (event: InstallProgressEvent) => void;

/**
 * One progress event as a line, the same in the CLI and in the API's execution output: the stage
 * and the pack once, then the message (which names the source itself before the ref is known);
 * a tool's own output line indented under the event that started the tool.
 */
export function describeProgress(event: InstallProgressEvent): string {
  if (event.output !== undefined) return `  ${event.output}`;
  return event.pack === undefined ? event.message : `${event.stage} ${event.pack}: ${event.message}`;
}
