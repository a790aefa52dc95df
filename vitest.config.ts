import { defineConfig } from 'vitest/config';

/**
 * Files that hold the daemon's event loop to a bound (a big list streamed, a disk frozen, a rate
 * learnt): they run one at a time after the rest, so that another file's load is not what they
 * measure. Everything else runs three files at a time: most of a daemon-level test is waiting on
 * processes, sockets and timers, and the suite ran 20 minutes one file at a time on 2 cores.
 */
const ALONE = [
  'test/api/list-stream.test.ts',
  'test/api/welcorp-report-stream.test.ts',
  'test/api/ictcore-user-list.test.ts',
  'test/api/ictcore-clone.test.ts',
  'test/spool/spool.test.ts',
  'test/gateways/smpp-rate.test.ts',
  'test/e2e/frozen-disk.test.ts',
  'test/ops/watchdog-frozen.test.ts',
];

/**
 * Daemon-level files run a second time with every test daemon on PostgreSQL (SWITCHPOST_TEST_STORE:
 * test/helpers/daemon.ts makes each a fresh database of the run's cluster): the same tests, no copy.
 * PG_ALONE are ALONE's, run one at a time after them.
 */
const PG = ['test/spool/costs.test.ts', 'test/spool/unreadable-content.test.ts', 'test/spool/claim-rollback.test.ts', 'test/api/welcorp-jobs.test.ts', 'test/api/welcorp-retention.test.ts', 'test/events/callbacks.test.ts'];
const PG_ALONE = ['test/spool/spool.test.ts'];
const onPostgres = { SWITCHPOST_TEST_STORE: 'postgres' };

// Each project repeats these rather than `extends: true`: an extending project would run the global
// setup again (a second build emptying dist/ under the first project's tests, a second PostgreSQL).
const common = {
  // Daemon-level tests spawn real processes and servers; give them room, never time them.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // Tests import the built dist/: they exercise what ships, worker threads included. The global setup
    // builds it from the sources first, so `npx vitest run` never tests stale output; then starts the
    // run's one throwaway PostgreSQL cluster (test/setup/postgres.ts), where each file that needs it
    // makes its own database (test/helpers/pg-db.ts). It runs once, for every project.
    globalSetup: ['test/setup/build.ts', 'test/setup/postgres.ts'],
    maxWorkers: 3,
    projects: [
      { test: { ...common, name: 'parallel', include: ['test/**/*.test.ts'], exclude: ALONE, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'pg', include: PG, env: onPostgres, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } },
      { test: { ...common, name: 'pg-alone', include: PG_ALONE, env: onPostgres, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
