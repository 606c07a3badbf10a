import { defineConfig } from 'vitest/config';

// Merged by `ng test` (angular.json → test.options.runnerConfig) into Angular's own Vitest setup.
export default defineConfig({
  test: {
    // A real Slipway server (`slipway start`) for the realtime tests: real pusher-js against the embedded Pusher server.
    globalSetup: ['./src/testing/slipway-server.global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
