import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/** The spool database in a data directory. */
export const dbPath = (dataDir: string): string => join(dataDir, 'switchpost.db');

export interface OpenOptions {
  synchronous?: 'full' | 'normal';
  readonly?: boolean;
}

/** Open (creating if needed) the spool database with the pragmas the daemon relies on. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // Another process (the CLI, a second reader) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

export const schemaVersion = (db: Db): number => db.pragma('user_version', { simple: true }) as number;

/** Apply every migration newer than the database, each in its own transaction. Returns the ones applied. */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): Migration[] {
  const applied: Migration[] = [];
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new Error(`database schema is version ${current}, newer than this switchpost (${latest}); refusing to run`);
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m);
  }
  return applied;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement, prepared once per database: better-sqlite3 does not cache them, and preparing
 * costs more than running a keyed SELECT (read paths under load use this).
 */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map<string, Database.Statement>()));
  let s = m.get(sql);
  if (!s) {
    if (m.size > 2000) m.clear();
    m.set(sql, (s = db.prepare(sql)));
  }
  return s;
}
