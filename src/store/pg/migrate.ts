import { Pool, type ClientBase } from 'pg';
import { MIGRATIONS, type Migration } from '../migrations.js';
import { MigrationFailed, SchemaTooNew } from '../schema-error.js';

/**
 * Where a PostgreSQL database records its schema: one row per migration applied (SQLite keeps the
 * number alone, in PRAGMA user_version). Its version is the highest row's.
 */
const HISTORY = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)`;

/**
 * The advisory lock that makes migrating one daemon's job at a time: several daemons share a database
 * and may start together. Advisory locks are the database's own (another database on the server has
 * its own), held by the session until unlocked or disconnected.
 */
const MIGRATION_LOCK = 0x73_77_70_6d; // "swpm"

/** The database's schema version: 0 for one never migrated. */
export async function pgSchemaVersion(client: Pool | ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/**
 * Apply every migration newer than the database, in order, each in its own transaction with its row
 * in schema_migrations: the PostgreSQL side of store/db.ts's migrate, with the same history and the
 * same refusal of a database newer than `migrations` (SchemaTooNew, before anything is changed). A
 * migration the database refuses is rolled back whole and thrown as MigrationFailed; those before it
 * stay applied. Returns the ones applied (none when the database is current). `db` is a pool (one
 * of its clients is used and given back) or a connected client; concurrent callers on one database
 * take turns (an advisory lock), so the second finds the work done.
 */
export async function migratePg(db: Pool | ClientBase, migrations: Migration[] = MIGRATIONS, now: () => number = Date.now): Promise<Migration[]> {
  if (!(db instanceof Pool)) return migrateOn(db, migrations, now);
  const client = await db.connect();
  let failure: Error | undefined;
  try {
    return await migrateOn(client, migrations, now);
  } catch (err) {
    // A client whose session may still hold the lock or a transaction is not given back for reuse.
    failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(failure);
  }
}

async function migrateOn(client: ClientBase, migrations: Migration[], now: () => number): Promise<Migration[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  let failed = false;
  try {
    await client.query(HISTORY);
    const current = await pgSchemaVersion(client);
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) throw new SchemaTooNew(current, latest);
    const applied: Migration[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        // No parameters: the simple query protocol, which runs a text of several statements.
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationFailed(m, err);
      }
      applied.push(m);
    }
    return applied;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After a failure the unlock's own failure (a broken connection, which drops the lock) would hide
    // why; after success it is thrown: a session left holding the lock would stall every other daemon.
    const unlocked = client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    await (failed ? unlocked.catch(() => undefined) : unlocked);
  }
}
