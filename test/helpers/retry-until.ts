/** Polls `check` until it returns true (or a truthy promise), instead of sleeping a guessed time. */
export async function retryUntil(check: () => boolean | Promise<boolean>, options: { withinMs?: number; everyMs?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + (options.withinMs ?? 10_000);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not met within ${options.withinMs ?? 10_000} ms: ${options.what ?? 'condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 20));
  }
}
