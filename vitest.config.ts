import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.{ts,mjs}', 'apps/server/src/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['apps/server/src/test-support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over them. Files still run in parallel.
    maxWorkers: 2,
  },
});
