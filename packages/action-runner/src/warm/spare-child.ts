import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '@packrun/core';
import { discardWaitingChild, forkWaitingChild, NoFreeSlot, type ChildShape, type WaitingChild } from './waiting-child.ts';
import type { ZygoteProcess } from './zygote-process.ts';

/**
 * One child of a zygote forked ahead of the next execution, so that the fork, its set-up and the
 * connection of its streams (and under the sandbox its uid, cgroup and job folder) are off the
 * execution's critical path. It is still used once only: each execution that takes it leaves room
 * for the next one. A spare never keeps the runtime alive and never runs any pack code before an
 * execution takes it.
 */
/** True while the process exists and is not a zombie (one synchronous read of /proc). */
function processRuns(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export class SpareChild {
  private spare: { shape: string; child: Promise<WaitingChild | undefined> } | undefined;
  private closed = false;
  /** Executions of this zygote under way. */
  private running = 0;

  constructor(
    private readonly zygote: ZygoteProcess,
    private readonly logger?: Logger,
  ) {}

  /** The spare, when it was made for this shape and is still alive; otherwise undefined (and a spare of another shape is discarded). */
  async take(shape: ChildShape): Promise<WaitingChild | undefined> {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return undefined;
    if (spare.shape !== shape.key) {
      void spare.child.then((child) => child && this.discard(child));
      return undefined;
    }
    const child = await spare.child;
    if (!child) return undefined;
    // Its exit may not have been reported yet (killed a moment ago, or its zygote died): look.
    if (child.ended || !processRuns(child.hostPid)) {
      void this.discard(child);
      return undefined;
    }
    for (const socket of [child.sockets.stdout, child.sockets.stderr, child.sockets.control]) socket.ref();
    return child;
  }

  /** An execution of this zygote begins: it may take the spare. */
  begin(): void {
    this.running += 1;
  }

  /**
   * An execution of this zygote ended (or never got a child): the next spare is forked now, not
   * while it ran, since on a small machine the fork would take CPU from the running action. It
   * rehearses only when no other execution runs: under load the pages it would warm are copied
   * anyway, and the rehearsal's own work (~0.6 ms of CPU here) would only cost throughput.
   */
  end(shape: ChildShape): void {
    this.running -= 1;
    this.replenish(shape, this.running === 0);
  }

  /** Forks the next spare for executions of this shape, unless one is there or being made. */
  private replenish(shape: ChildShape, rehearse: boolean): void {
    if (this.closed || this.spare || !this.zygote.running) return;
    // The fork request goes out after this turn of the event loop, in which the execution that
    // just ended finishes its outcome: written at once, it wakes the zygote, whose fork then takes
    // the CPU from those last steps (about 0.5 ms of that execution's latency on 2 cores).
    const forking = new Promise<void>((resolve) => setImmediate(resolve)).then(() => forkWaitingChild(this.zygote, shape, { label: `spare-${randomBytes(6).toString('hex')}`, rehearse }));
    const child = forking.then(
      (forked) => {
        for (const socket of [forked.sockets.stdout, forked.sockets.stderr, forked.sockets.control]) socket.unref();
        if (this.closed) {
          void this.discard(forked);
          return undefined;
        }
        return forked;
      },
      (error: unknown) => {
        // No job folder free means every one is running an execution: nothing is wrong.
        if (!(error instanceof NoFreeSlot)) this.logger?.warn({ err: error, pack: this.zygote.spec.pack }, 'could not fork a spare zygote child');
        return undefined;
      },
    );
    const spare = { shape: shape.key, child };
    this.spare = spare;
    // A failed spare leaves room for the next attempt.
    void child.then((forked) => {
      if (!forked && this.spare === spare) this.spare = undefined;
    });
  }

  /** No more spares; the one waiting is discarded. */
  async close(): Promise<void> {
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    const child = await spare?.child;
    if (child) await this.discard(child);
  }

  /** Its exit comes on the zygote's channel, which must keep the event loop alive until it has. */
  private async discard(child: WaitingChild): Promise<void> {
    this.zygote.hold();
    try {
      await discardWaitingChild(child);
    } finally {
      this.zygote.letGo();
    }
  }
}
