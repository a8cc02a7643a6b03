/**
 * Frames of a zygote's own control channel (mirrored in
 * packages/core/python/packrun_runtime/zygote_protocol.py). A job forked from a zygote still
 * speaks the ordinary job protocol, on a channel of its own.
 */
export const ZygoteMessage = {
  fork: 'fork',
  ipcObjects: 'ipc_objects',
  start: 'start',
  ready: 'ready',
  forked: 'forked',
  forkFailed: 'fork_failed',
  exited: 'exited',
} as const;

/**
 * Forks a child that connects its streams, then waits for its execution's `start` frame on its
 * control stream: the fork can happen ahead of the execution.
 */
export interface ForkRequest {
  type: typeof ZygoteMessage.fork;
  id: number;
  /** The path socket the child connects to three times (stdout, stderr, control). */
  socket: string;
  /** Sent first on every connection, so nothing but this child can pose as its streams. */
  token: string;
  /** The runtime's uid: the child sends its token only to a listener with these credentials (SO_PEERCRED). */
  listenerUid: number;
  /** setrlimit values applied in the child before the action is loaded; null is unlimited. */
  rlimits: Partial<Record<'nofile' | 'fsize' | 'cpu' | 'nproc' | 'core', number | null>>;
  /** Sandboxed zygotes: the uid and gid the child drops to, with every capability, before it runs anything. */
  drop?: { uid: number; gid: number };
  /** Its job folder (entered after the drop): a slot inside a sandboxed zygote, else a new one under jobs/. */
  cwd?: string;
  /**
   * The child makes its job folder itself (0700), and removes it at its end when the action left
   * it empty: outside the sandbox, where the folder is not a slot.
   */
  ownCwd?: boolean;
  /**
   * A child forked ahead of its execution runs Packrun's job steps once on a built-in action while
   * it waits, so the memory pages they write are copied before the execution's clock starts.
   */
  rehearse?: boolean;
}

/**
 * Lists the System V IPC objects `uid` created or owns in the zygote's IPC namespace (the runtime
 * cannot see them from its own): what a finished child left for the ones after it.
 */
export interface IpcObjectsRequest {
  type: typeof ZygoteMessage.ipcObjects;
  id: number;
  uid: number;
}

/** First frame on a forked child's control stream: the execution it runs (its job frame follows). */
export interface StartFrame {
  type: typeof ZygoteMessage.start;
  env: Record<string, string>;
  /** Where the action runs, when not in its job folder (a shell-style `cwd` the action asked for). */
  cwd?: string;
}

export type ZygoteReply =
  | { type: typeof ZygoteMessage.ready; pid: number; preloaded: string[]; failed: Array<{ module: string; error: string }> }
  | { type: typeof ZygoteMessage.forked; id: number; pid: number }
  | { type: typeof ZygoteMessage.forkFailed; id: number; error: { type: string; message: string } }
  | { type: typeof ZygoteMessage.exited; pid: number; code: number | null; signal: number | null }
  | { type: typeof ZygoteMessage.ipcObjects; id: number; shm: unknown; sem: unknown; msg: unknown };

/** First bytes of each connection to the per-execution socket: the token, then one of these. */
export const StreamTag = { control: 'c', stdout: 'o', stderr: 'e' } as const;
