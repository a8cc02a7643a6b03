/**
 * What an install reports while it works. The CLI renders these as a progress line; the API
 * streams them as an execution's output. `tool` is set on the event emitted right before an
 * external tool (uv, pip, npm, git, venv) is started, so callers can see exactly what ran.
 */
export type InstallStage = 'resolving' | 'fetching' | 'building-env' | 'validating' | 'registering' | 'done';

export type InstallTool = 'uv' | 'pip' | 'venv' | 'npm' | 'git';

export interface InstallProgressEvent {
  stage: InstallStage;
  /** Pack ref (or the source, before the ref is known). */
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
