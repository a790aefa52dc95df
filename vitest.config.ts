import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests import the built dist/ (npm test builds first): they exercise what ships, worker threads included.
    // Daemon-level tests spawn real processes and servers; give them room, never time them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
