import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.js';
import { MigrationFailed, SchemaTooNew } from './schema-error.js';
import { foreignKeyViolations, rebuildWithAutoincrement } from './rebuild.js';
import type { StoreDb, StoreStatement } from './store-db.js';

export type Db = Database.Database;
// SQLite's connection is a StoreDb (the interface PostgreSQL's facade, pg/db.ts, also meets).
const _isStoreDb = (db: Db): StoreDb => db;
void _isStoreDb;

/** The spool database in a data directory. */
export const dbPath = (dataDir: string): string => join(dataDir, 'switchpost.db');

export interface OpenOptions {
  synchronous?: 'full' | 'normal';
  readonly?: boolean;
}

/**
 * Every transaction begins IMMEDIATE (the write lock taken at BEGIN, waiting out busy_timeout for it)
 * rather than DEFERRED. With another process writing beside the daemon (`switchpost import`, `send`,
 * `user add`), a deferred transaction that read before that commit fails at its first write with
 * SQLITE_BUSY_SNAPSHOT at once (or SQLITE_BUSY), whatever the busy timeout: the daemon answered such
 * a job submission 500 and put off a claim by a minute. The store's transactions all write, so
 * taking the lock first costs them nothing. A nested call is a savepoint, as before.
 */
function immediateTransactions(db: Db): void {
  const deferred = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const t = deferred(fn);
    return Object.assign((...args: never[]) => t.immediate(...args), t);
  }) as Db['transaction'];
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
  if (!(opts.readonly ?? false)) immediateTransactions(db);
  return db;
}

export const schemaVersion = (db: Db): number => db.pragma('user_version', { simple: true }) as number;

/** Apply every migration newer than the database, each in its own transaction. Returns the ones applied; a database newer than `migrations` is a SchemaTooNew. */
/** `onStep`: told before each migration is applied (the CLI's progress line on a large store). */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS, onStep?: (done: number, total: number, m: Migration) => void): Migration[] {
  const applied: Migration[] = [];
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new SchemaTooNew(current, latest);
  const pending = migrations.filter((m) => m.version > current).length;
  for (const m of migrations) {
    if (m.version <= current) continue;
    onStep?.(applied.length, pending, m);
    if (m.autoincrement) rebuilding(db, m, m.autoincrement);
    else
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    applied.push(m);
  }
  return applied;
}

/**
 * A migration that rebuilds tables, as SQLite documents it: foreign keys off (outside the
 * transaction: the pragma does nothing inside one), the rebuilds in one transaction, then
 * foreign_key_check; a violation the rebuild made rolls it all back (MigrationFailed).
 */
function rebuilding(db: Db, m: Migration, tables: Readonly<Record<string, readonly string[]>>): void {
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      const before = foreignKeyViolations(db);
      db.exec(m.sql);
      for (const [table, seen] of Object.entries(tables)) rebuildWithAutoincrement(db, table, seen);
      for (const [table, n] of foreignKeyViolations(db)) if (n > (before.get(table) ?? 0)) throw new MigrationFailed(m, new Error(`foreign_key_check: ${table} has ${n - (before.get(table) ?? 0)} new violations`));
      db.pragma(`user_version = ${m.version}`);
    })();
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
}

const statements = new WeakMap<StoreDb, Map<string, StoreStatement>>();

/**
 * A prepared statement, prepared once per database: better-sqlite3 does not cache them, and preparing
 * costs more than running a keyed SELECT (read paths under load use this). On a StoreDb (PostgreSQL's
 * facade too) it is the interface's statement.
 */
export function stmt(db: Db, sql: string): Database.Statement;
export function stmt(db: StoreDb, sql: string): StoreStatement;
export function stmt(db: StoreDb, sql: string): Database.Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map<string, StoreStatement>()));
  let s = m.get(sql);
  if (!s) {
    if (m.size > 2000) m.clear();
    m.set(sql, (s = db.prepare(sql)));
  }
  // A Db's statements are better-sqlite3's (the first overload); another StoreDb's are only read as StoreStatement.
  return s as Database.Statement;
}

/**
 * How many rows one set-based write carries: a store writing many rows (a job's recipients, an
 * import) sends them as a few statements of this many each, never one statement per row. Inserting
 * 100,000 recipients alone, 2,000 to 5,000 a statement were the fastest; 10,000 and more slower.
 */
export const ROWS_PER_STATEMENT = 5000;

/**
 * `items` as JSON arrays of row arrays, `size` rows each, for a statement that reads its rows with
 * `FROM jsonb_each(?)` and its columns with `value->>0`, `value->>1`, …: `->>` gives SQL values
 * (a JSON integer an INTEGER, a string TEXT, null NULL), so the stored row is what binding the same
 * values one row at a time stores. A column holding JSON text goes in as a string of it, kept
 * verbatim. jsonb_each, not json_each: its `value` is JSONB, which `->>` indexes without parsing
 * each row's text again (inserting 100,000 recipients alone, json_each was 10-25% slower than one
 * INSERT a row, jsonb_each 15-20% faster).
 */
export function* jsonRows<T>(items: readonly T[], row: (item: T, index: number) => unknown[], size = ROWS_PER_STATEMENT): Generator<string> {
  for (let start = 0; start < items.length; start += size) {
    const end = Math.min(items.length, start + size);
    const rows: unknown[][] = [];
    for (let i = start; i < end; i++) rows.push(row(items[i]!, i));
    yield JSON.stringify(rows);
  }
}
