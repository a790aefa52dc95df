import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Daemon-level tests spawn real processes and servers; give them room, never time them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
