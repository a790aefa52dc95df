import { afterAll, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The run's PostgreSQL (test/setup/postgres.ts): its superuser URL, or the reason it has none, thrown. */
export function pgClusterUrl(): string {
  const why = inject('pgError');
  if (why) throw new Error(`PostgreSQL is not available to the tests: ${why}`);
  const url = inject('pgUrl');
  if (!url) throw new Error('PostgreSQL is not available to the tests: no test/setup/postgres.ts in vitest.config.ts globalSetup?');
  return url;
}

/** One database of the run's cluster, made for the caller: its URL and a pool on it. */
export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgClusterUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Fresh, empty databases on the run's cluster for the calling test file: `fresh()` makes one (CREATE
 * DATABASE, from template1) with a pool on it; all of them are closed and dropped after the file.
 * Each file has its own, so files run in parallel without sharing state.
 */
export function pgDatabases(): { fresh: () => Promise<TestDatabase> } {
  const made: TestDatabase[] = [];
  afterAll(async () => {
    if (!made.length) return;
    await Promise.all(made.map((d) => d.pool.end()));
    await admin(async (c) => {
      for (const d of made) await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(d.name)} WITH (FORCE)`);
    });
  });
  return {
    fresh: async () => {
      const name = `switchpost_test_${randomBytes(6).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
      const url = new URL(pgClusterUrl());
      url.pathname = `/${name}`;
      const d = { name, url: url.href, pool: new pg.Pool({ connectionString: url.href, max: 4 }) };
      // An idle client's connection lost (the server stopping at the run's end) is not a test's failure;
      // a query's error still rejects that query.
      d.pool.on('error', () => {});
      made.push(d);
      return d;
    },
  };
}

/**
 * A fresh database of the run's cluster outside a file's `pgDatabases()` (a test daemon's store, made
 * inside a test): its name and URL. `dropTestDatabase` drops it; one left behind goes with the cluster.
 */
export async function freshTestDatabase(): Promise<{ name: string; url: string }> {
  const name = `switchpost_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(pgClusterUrl());
  url.pathname = `/${name}`;
  return { name, url: url.href };
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
}
