import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests import the built dist/: they exercise what ships, worker threads included. The global setup
    // builds it from the sources first, so `npx vitest run` never tests stale output; then starts the
    // run's one throwaway PostgreSQL cluster (test/setup/postgres.ts), where each file that needs it
    // makes its own database (test/helpers/pg-db.ts).
    globalSetup: ['test/setup/build.ts', 'test/setup/postgres.ts'],
    // Daemon-level tests spawn real processes and servers; give them room, never time them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
