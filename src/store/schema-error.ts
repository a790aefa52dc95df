import type { Migration } from './migrations.js';

/**
 * The database was migrated by a newer switchpost than this one: its schema may hold what this code
 * does not know, so the daemon refuses to run on it (SQLite's and PostgreSQL's migrators alike).
 */
export class SchemaTooNew extends Error {
  override name = 'SchemaTooNew';
  readonly code = 'SCHEMA_TOO_NEW';
  constructor(
    /** The database's schema version. */
    readonly found: number,
    /** The latest version this code knows. */
    readonly latest: number,
  ) {
    super(`database schema is version ${found}, newer than this switchpost (${latest}); refusing to run`);
  }
}

/** A migration the database refused (PostgreSQL's migrator): rolled back whole, the database left at the version before it. */
export class MigrationFailed extends Error {
  override name = 'MigrationFailed';
  readonly code = 'MIGRATION_FAILED';
  readonly version: number;
  constructor(
    migration: Pick<Migration, 'version' | 'name'>,
    override readonly cause: unknown,
  ) {
    super(`migration ${migration.version} (${migration.name}) failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.version = migration.version;
  }
}
