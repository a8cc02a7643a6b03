import type { InlineRunner } from './runner.ts';

/** noop: StackStorm's runner that starts nothing and succeeds, with its fixed result. */
export const noopRunner: InlineRunner = {
  inline: true,
  describe: () => ({ runs: 'nothing: the noop runner succeeds at once' }),
  run: async () => ({ status: 'succeeded', result: { failed: false, succeeded: true, return_code: 0 } }),
};
