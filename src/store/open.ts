import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../config/schema.js';
import { dbPath, migrate, openDb, schemaVersion, type Db } from './db.js';
import { InstanceLock } from './instance.js';
import type { Migration } from './migrations.js';
import { PgDb } from './pg/db.js';
import { PgBridgeError } from './pg/errors.js';
import { migratePg } from './pg/migrate.js';
import { MigrationFailed, SchemaTooNew } from './schema-error.js';
import type { StoreDb } from './store-db.js';

/**
 * The one place a store is opened for a config (issue 15): store.driver sqlite, the file in data_dir
 * (`openDb`, as always); postgres, `store.url` through the synchronous facade (`PgDb`). Either is a
 * StoreDb the stores run on unchanged; `close` ends it.
 */
export type StoreConnection = StoreDb & { close(): void };

export type StoreOpenCode = 'STORE_UNREACHABLE' | 'STORE_AUTH_FAILED' | 'STORE_DATABASE_MISSING' | 'STORE_CANNOT_CREATE' | 'STORE_NODE_TAKEN' | 'STORE_FAILED';

/** The store could not be opened: one line for the operator (never the password), the driver's error as the cause. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
  constructor(
    readonly code: StoreOpenCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export const isPgDb = (db: StoreDb): db is PgDb => db instanceof PgDb;

/** What the store is, for logs and messages: the SQLite file, or PostgreSQL's host, port and database (no password). */
export function storeName(config: Config): string {
  if (config.store.driver === 'sqlite') return dbPath(config.data_dir);
  try {
    const u = new URL(config.store.url ?? '');
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'the PostgreSQL of store.url';
  }
}

/** node-postgres's error (or a bridge's, carrying it in its message) in the operator's words. */
export function storeOpenErrorOf(err: unknown, where: string): StoreOpenError | null {
  if (err instanceof StoreOpenError) return err;
  const inner = err instanceof MigrationFailed ? err.cause : err;
  const e = inner as { code?: string; message?: string } | null;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(inner);
  const says = (c: StoreOpenCode, what: string) => new StoreOpenError(c, `store ${where}: ${what}`, err);
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/.test(code) || /timeout expired|Connection terminated|ECONNREFUSED|ENOTFOUND|getaddrinfo/i.test(msg))
    return says('STORE_UNREACHABLE', `cannot reach the PostgreSQL server (${firstLine(msg)}); check store.url's host and port and that the server runs`);
  if (code === '28P01' || code === '28000' || /password authentication failed|no pg_hba\.conf entry|role ".*" does not exist/i.test(msg))
    return says('STORE_AUTH_FAILED', `PostgreSQL refused the login (${firstLine(msg)}); check store.url's user and password and pg_hba.conf`);
  if (code === '3D000' || /database ".*" does not exist/i.test(msg)) return says('STORE_DATABASE_MISSING', `${firstLine(msg)}; create it (CREATE DATABASE … OWNER <the daemon's role>)`);
  if (code === '42501' || /permission denied for (schema|database)/i.test(msg)) return says('STORE_CANNOT_CREATE', `the role may not create the tables (${firstLine(msg)}); make it the database's owner (ALTER DATABASE … OWNER TO <role>)`);
  if (err instanceof PgBridgeError || err instanceof MigrationFailed) return says('STORE_FAILED', firstLine(msg));
  return null;
}

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

/**
 * Open the store on this thread without migrating (the spool engine's thread: the main thread migrated
 * it). Synchronous on both drivers.
 */
export function openStore(config: Config): StoreConnection {
  if (config.store.driver === 'sqlite') return openDb(dbPath(config.data_dir), { synchronous: config.store.synchronous });
  try {
    return PgDb.open({ connectionString: pgUrl(config) });
  } catch (err) {
    throw storeOpenErrorOf(err, storeName(config)) ?? err;
  }
}

const pgUrl = (config: Config): string => {
  if (!config.store.url) throw new StoreOpenError('STORE_FAILED', 'store.driver postgres needs store.url, a postgres:// URL');
  return config.store.url;
};

/**
 * Open the store and apply the migrations it lacks (the daemon's start, the CLI): SQLite's in the
 * connection it returns; PostgreSQL's on a connection of their own (`migratePg`, daemons starting
 * together take turns), then the facade. The migrations applied, for the log.
 */
export async function openMigratedStore(config: Config, onStep?: (done: number, total: number, m: Migration) => void): Promise<{ db: StoreConnection; applied: Migration[] }> {
  if (config.store.driver === 'sqlite') {
    const db = openDb(dbPath(config.data_dir), { synchronous: config.store.synchronous });
    try {
      return { db, applied: migrate(db, undefined, onStep) };
    } catch (err) {
      db.close();
      throw err;
    }
  }
  const where = storeName(config);
  const client = new pg.Client({ connectionString: pgUrl(config), connectionTimeoutMillis: 15_000 });
  // A connection lost while idle is seen by the next query; an 'error' event unhandled would end the process.
  client.on('error', () => {});
  let applied: Migration[];
  try {
    await client.connect();
    applied = await migratePg(client);
  } catch (err) {
    if (err instanceof SchemaTooNew) throw err;
    throw storeOpenErrorOf(err, where) ?? err;
  } finally {
    await client.end().catch(() => undefined);
  }
  return { db: openStore(config), applied };
}

/** The store's schema version: SQLite's user_version, PostgreSQL's schema_migrations. A read, so a store that cannot answer throws. */
export function storeSchemaVersion(db: StoreDb): number {
  if (isPgDb(db)) return (db.bridge.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').rows[0]?.v as number | undefined) ?? 0;
  return schemaVersion(db as Db);
}

/** The advisory lock's first key: switchpost's node locks ("swpn"), the second the node id's hash. */
const NODE_LOCK = 0x73_77_70_6e;

/**
 * The guard against two daemons doing the same node's work. SQLite: one daemon per file (InstanceLock,
 * a lock file beside it). PostgreSQL: several daemons share the database, each under its own node.id,
 * never two under one: a session-level advisory lock on the node id, held by the main thread's
 * connection for the daemon's life (a try: a second daemon is refused at once). The server drops it
 * when the connection goes, so a daemon that dies frees its node; and a daemon whose connection goes
 * (the server restarted, the network lost) holds its node no longer: `onLost` is told (within
 * `checkMs`), and the daemon exits rather than run beside the next holder.
 */
export function lockStore(db: StoreConnection, config: Config, onLost: (err: Error) => void = () => {}, checkMs = 5000): { release(): void } {
  if (!isPgDb(db)) {
    const lock = new InstanceLock(db as Db, join(config.data_dir, 'switchpost.lock'));
    lock.acquire();
    return lock;
  }
  const node = config.node.id;
  const got = db.bridge.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [NODE_LOCK, node]).rows[0]?.ok;
  if (got !== true && got !== 1) throw new StoreOpenError('STORE_NODE_TAKEN', `another switchpost with node.id "${node}" is running on ${storeName(config)}; give each daemon its own node.id`);
  const check = setInterval(() => {
    try {
      db.bridge.query('SELECT 1');
    } catch (err) {
      // A bridge broken is broken for good (its session, and the lock, are gone); a refusal is not that.
      if (err instanceof PgBridgeError) {
        clearInterval(check);
        onLost(err);
      }
    }
  }, checkMs);
  check.unref();
  // The instance row names one daemon per database; here each daemon's pid is in its own data_dir (`switchpost log-level` reads it).
  const pidFile = daemonPidFile(config.data_dir);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
  return {
    release: () => {
      clearInterval(check);
      if (daemonPid(config.data_dir) === process.pid) rmSync(pidFile, { force: true });
      try {
        db.bridge.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NODE_LOCK, node]);
      } catch {
        // A connection already broken holds no lock.
      }
    },
  };
}

const daemonPidFile = (dataDir: string): string => join(dataDir, 'switchpost.pid');

/** The pid of the daemon on PostgreSQL whose data_dir this is (null: none wrote it). */
export function daemonPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(daemonPidFile(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
