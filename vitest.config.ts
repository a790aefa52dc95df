import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests import the built dist/: they exercise what ships, worker threads included. The global setup
    // builds it from the sources first, so `npx vitest run` never tests stale output.
    globalSetup: ['test/setup/build.ts'],
    // Daemon-level tests spawn real processes and servers; give them room, never time them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
