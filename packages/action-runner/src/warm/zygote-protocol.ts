/**
 * Frames of a zygote's own control channel (mirrored in
 * packages/core/python/packrun_runtime/zygote_protocol.py). A job forked from a zygote still
 * speaks the ordinary job protocol, on a channel of its own.
 */
export const ZygoteMessage = {
  fork: 'fork',
  ready: 'ready',
  forked: 'forked',
  forkFailed: 'fork_failed',
  exited: 'exited',
} as const;

export interface ForkRequest {
  type: typeof ZygoteMessage.fork;
  id: number;
  /** The per-execution socket the child connects to three times (stdout, stderr, control). */
  socket: string;
  /** Sent first on every connection, so nothing but this child can pose as its streams. */
  token: string;
  cwd: string;
  env: Record<string, string>;
  /** setrlimit values applied in the child before the action is loaded; null is unlimited. */
  rlimits: Partial<Record<'nofile' | 'fsize' | 'cpu' | 'nproc' | 'core', number | null>>;
  /** Sandboxed zygotes: the uid and gid the child drops to, with every capability, before it runs anything. */
  drop?: { uid: number; gid: number };
}

export type ZygoteReply =
  | { type: typeof ZygoteMessage.ready; pid: number; preloaded: string[]; failed: Array<{ module: string; error: string }> }
  | { type: typeof ZygoteMessage.forked; id: number; pid: number }
  | { type: typeof ZygoteMessage.forkFailed; id: number; error: { type: string; message: string } }
  | { type: typeof ZygoteMessage.exited; pid: number; code: number | null; signal: number | null };

/** First bytes of each connection to the per-execution socket: the token, then one of these. */
export const StreamTag = { control: 'c', stdout: 'o', stderr: 'e' } as const;
