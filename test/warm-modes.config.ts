import { defineConfig } from 'vitest/config';

/**
 * The runner's and the sandbox's suites, once with warm spawning off and once on (the same
 * tests: the fixtures pass PACKRUN_WARM_SPAWN through to the config they build):
 *   .tools/bin/pnpm exec vitest run -c test/warm-modes.config.ts
 */
const suites = ['packages/action-runner/src/**/*.test.ts', 'test/runner/**/*.test.ts', 'test/sandbox/**/*.test.ts'];

export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: (['off', 'on'] as const).map((mode) => ({
      extends: true,
      test: { name: `warm-${mode}`, include: suites, env: { PACKRUN_WARM_SPAWN: mode } },
    })),
  },
});
