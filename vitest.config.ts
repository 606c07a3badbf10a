import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The sources, not the compiled dist/ the package exports to Node (tests never run stale code).
  resolve: { alias: [{ find: /^@slipway\/contracts$/, replacement: fileURLToPath(new URL('packages/contracts/src/index.ts', import.meta.url)) }] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.{ts,mjs}', 'apps/server/src/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['apps/server/src/test-support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over them. Files still run in parallel.
    maxWorkers: 2,
  },
});
