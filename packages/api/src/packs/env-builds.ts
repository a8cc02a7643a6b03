import { isPackrunError, nowIso, type PackEnvironmentBuild, type Store } from '@packrun/core';

/**
 * Marks, on the store records of installed packs, that one install (a packs.install execution)
 * is building a new env for them and how that ended, so a reader sees a build under way or
 * failed beside the env the active version runs with. A first install has no record to mark:
 * the pack is not installed until it activates. The activation itself clears the mark
 * (registerPack), so only the ends without one are written here.
 */
export function trackEnvBuilds(store: Store, execution: string) {
  const marked = new Set<string>();
  // Writes in the order the progress came, each finished before the next and before an activation.
  let writes: Promise<void> = Promise.resolve();

  function mark(ref: string, build: PackEnvironmentBuild | undefined): void {
    writes = writes.then(async () => {
      const pack = await store.packs.get(ref);
      if (!pack?.environment) return;
      const { build: current, ...environment } = pack.environment;
      // Another install's mark is not this one's to clear.
      if (build === undefined && current?.execution !== execution) return;
      await store.packs.updateOne({ id: ref }, { set: { environment: build ? { ...environment, build } : environment } });
    });
  }

  return {
    /** An env build of `ref` starts (its building-env stage). */
    building(ref: string): void {
      if (marked.has(ref)) return;
      marked.add(ref);
      mark(ref, { state: 'building', execution, at: nowIso() });
    },
    /** Every mark written; before an activation registers the pack afresh. */
    settled(): Promise<void> {
      return writes;
    },
    /**
     * The install failed: the pack whose env build failed says so with the error's code and
     * message (its details hold the tool's output and host paths: they stay in the execution);
     * the others go back to their active env alone.
     */
    async failed(error: unknown): Promise<void> {
      const failedRef = isPackrunError(error) && error.code === 'PACK_ENV_BUILD_FAILED' ? error.details['pack'] : undefined;
      for (const ref of marked) {
        mark(ref, ref === failedRef && isPackrunError(error) ? { state: 'failed', execution, at: nowIso(), error: { code: error.code, message: error.message } } : undefined);
      }
      await writes;
    },
  };
}
