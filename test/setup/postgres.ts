import type { TestProject } from 'vitest/node';
import { startPgCluster } from '../helpers/pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL (superuser, database `postgres`); '' when it could not start. */
    pgUrl: string;
    /** Why the run has no PostgreSQL, '' when it has one: each test that needs it fails with this. */
    pgError: string;
  }
}

/**
 * Vitest's global setup: one throwaway PostgreSQL cluster for the whole run (test/helpers/pg-cluster.ts),
 * stopped and removed at its end. Each test file that needs it makes its own database there
 * (test/helpers/pg-db.ts), so files run in parallel without sharing state. A cluster that cannot start
 * does not stop the run: every test that needs it fails with the reason, the others run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const cluster = await startPgCluster();
    project.provide('pgUrl', cluster.url);
    project.provide('pgError', '');
    return () => cluster.stop();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(`test PostgreSQL did not start; the tests that need it will fail: ${why}`);
    project.provide('pgUrl', '');
    project.provide('pgError', why);
    return async () => {};
  }
}
