import { chownSync, closeSync, existsSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/schema.js';
import { dbPath } from '../store/db.js';
import { MIGRATIONS } from '../store/migrations.js';
import { ProviderStore, type Provider } from '../store/providers.js';
import { PgDb } from '../store/pg/db.js';
import { storeName, storeOpenErrorOf } from '../store/open.js';
import { storageState } from '../store/storage-error.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/** The data directory: there, a file can be written and synced in it, and there is room (store.min_free_mb). */
export function checkDataDir(config: Config): CheckResult {
  const dir = config.data_dir;
  const name = 'data dir';
  const own = `chown -R switchpost:switchpost ${dir} (the daemon's user; systemd's StateDirectory= makes /var/lib/switchpost so)`;
  if (!existsSync(dir)) return fail(name, `${dir} does not exist`, `mkdir -p ${dir} && ${own}`);
  if (!statSync(dir).isDirectory()) return fail(name, `${dir} is not a directory`, 'set data_dir to a directory');
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'switchpost doctor\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(name, `${dir}: cannot write (${code ?? (err as Error).message})`, code === 'EROFS' ? `remount ${dir} read-write` : code === 'ENOSPC' ? `free space on ${dir}` : own);
  } finally {
    rmSync(probe, { force: true });
  }
  const minFree = config.store.min_free_mb * 1024 * 1024;
  const { state, freeBytes } = storageState(dir, minFree);
  const free = freeBytes === null ? '' : `${(freeBytes / 1024 / 1024).toFixed(0)} MB free`;
  if (state === 'full') return fail(name, `${dir}: ${free}, below store.min_free_mb (${config.store.min_free_mb})`, `free space on ${dir} (the daemon refuses work below store.min_free_mb)`);
  if (state !== 'ok') return fail(name, `${dir}: ${state}`, own);
  return ok(name, `${dir} writable, ${free}`);
}

/**
 * The store: the database opens (read-only: the doctor changes nothing), answers a query, and its schema
 * is the one this code migrates to. Its providers are handed back for the provider checks.
 */
export function checkStore(config: Config): { result: CheckResult; providers: Provider[] | null } {
  const name = 'store';
  const file = dbPath(config.data_dir);
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (!existsSync(file)) return { result: fail(name, `${file} does not exist yet`, 'run switchpost migrate (the daemon also creates it at its first start)'), providers: null };
  let db: Database.Database | null = null;
  // A read-only connection to a WAL database still makes its -wal and -shm files: made by root (the
  // doctor run with sudo), they would lock the daemon's user out. They are given the database's owner.
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    const version = db.pragma('user_version', { simple: true }) as number;
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const providers = version === latest ? new ProviderStore(db).list() : null;
    if (version < latest) return { result: fail(name, `${file} is at schema ${version}, this switchpost migrates to ${latest}`, 'run switchpost migrate, or start the daemon (it migrates at start)'), providers };
    if (version > latest) return { result: fail(name, `${file} is at schema ${version}, newer than this switchpost (${latest})`, 'install the switchpost that made it (or a newer one)'), providers };
    return { result: ok(name, `${file} opens, schema ${version} (current)`), providers };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      result: fail(
        name,
        `${file}: ${code ? `${code}: ` : ''}${(err as Error).message}`,
        code === 'SQLITE_CANTOPEN' || code === 'EACCES' ? `chown switchpost:switchpost ${file}* (the daemon's user)` : 'restore the database from a backup, or ask for help with the error',
      ),
      providers: null,
    };
  } finally {
    db?.close();
    const owner = statSync(file);
    for (const f of sidecars) if (existsSync(f) && statSync(f).uid !== owner.uid) chownSync(f, owner.uid, owner.gid);
  }
}

/**
 * The store on PostgreSQL (store.driver postgres): the server answers, the role logs in, the database
 * exists, and its schema (schema_migrations) is the one this code migrates to. Read only.
 */
export function checkPgStore(config: Config, timeoutMs: number): { result: CheckResult; providers: Provider[] | null } {
  const name = 'store';
  const where = storeName(config);
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  let db: PgDb | null = null;
  try {
    db = PgDb.open({ connectionString: config.store.url ?? '', connectTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs });
    const made = db.bridge.query(`SELECT to_regclass('schema_migrations')::text AS t`).rows[0]?.t != null;
    const version = made ? ((db.bridge.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').rows[0]?.v as number | undefined) ?? 0) : 0;
    const providers = version === latest ? new ProviderStore(db).list() : null;
    if (version < latest) return { result: fail(name, `${where} is at schema ${version}, this switchpost migrates to ${latest}`, 'run switchpost migrate, or start the daemon (it migrates at start)'), providers };
    if (version > latest) return { result: fail(name, `${where} is at schema ${version}, newer than this switchpost (${latest})`, 'install the switchpost that made it (or a newer one)'), providers };
    return { result: ok(name, `${where} answers, schema ${version} (current)`), providers };
  } catch (err) {
    const known = storeOpenErrorOf(err, where);
    const fix: Record<string, string> = {
      STORE_UNREACHABLE: "start PostgreSQL, or fix store.url's host and port",
      STORE_AUTH_FAILED: "fix store.url's user and password, or pg_hba.conf",
      STORE_DATABASE_MISSING: "create the database, owned by the daemon's role",
      STORE_CANNOT_CREATE: "make the daemon's role the database's owner",
    };
    return { result: fail(name, known?.message ?? `${where}: ${(err as Error).message}`, fix[known?.code ?? ''] ?? 'ask for help with the error'), providers: null };
  } finally {
    db?.close();
  }
}
