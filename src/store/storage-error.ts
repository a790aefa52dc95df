import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';
import type { Catalogued, ErrorCode } from '../core/errors.js';

/** Why the disk refused a write: out of space, mounted read-only, or failing. Each passes (space freed, remounted, disk replaced). */
export type StorageCode = 'full' | 'read_only' | 'io';

const SAYS: Record<StorageCode, string> = {
  full: 'storage is full',
  read_only: 'storage is read-only',
  io: 'storage failed (I/O error)',
};

/** Each reason's code in the catalogue (src/core/errors.ts). */
const CATALOGUE: Record<StorageCode, ErrorCode> = { full: 'storage_full', read_only: 'storage_read_only', io: 'storage_failed' };

/**
 * A write the disk refused (SQLite's or a media file's). The faces answer it 503 in their own
 * envelope: the request was sound, the server cannot keep it now, and nothing of it was stored.
 */
export class StorageError extends Error implements Catalogued {
  override name = 'StorageError';
  constructor(
    readonly code: StorageCode,
    /** What failed, for the log and the operator (a path, "the database"); never sent to a client. */
    readonly where: string,
    override readonly cause?: unknown,
  ) {
    super(SAYS[code]);
  }

  get errorCode(): ErrorCode {
    return CATALOGUE[this.code];
  }

  /** The answer for a client: no paths, and a plain statement that nothing was kept. */
  get publicMessage(): string {
    return `${SAYS[this.code]}; nothing was stored, try again later`;
  }
}

/**
 * The daemon's own user may not open a path (EACCES, EPERM, SQLITE_PERM): the owner or mode is wrong.
 * Our misconfiguration, not the client's input and not a passing condition: the faces answer it 500
 * (no Retry-After), the log names the path.
 */
export class PermissionDenied extends Error implements Catalogued {
  override name = 'PermissionDenied';
  readonly code = 'denied';
  readonly errorCode = 'permission_denied';
  constructor(
    /** What could not be opened (a path, "the database"); for the log and the operator only, never a client. */
    readonly where: string,
    override readonly cause?: unknown,
  ) {
    super('permission denied: the server may not use a file it needs (its owner or mode is wrong)');
  }

  /** For the log and the CLI: names the path. */
  get forOperator(): string {
    return `permission denied: the daemon's user may not use ${this.where}; fix its owner or mode`;
  }
}

/**
 * SQLite's codes that mean the disk (better-sqlite3's SqliteError.code carries the extended ones).
 * Not CANTOPEN (also EMFILE, a missing directory, a bad path), READONLY_DBMOVED (the file was
 * replaced under us) or IOERR_NOMEM (memory): none of those passes by waiting.
 */
const SQLITE: [prefix: string, code: StorageCode][] = [
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_IOERR', 'io'],
];
const SQLITE_NOT_DISK = new Set(['SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR_NOMEM']);
const NOT_DISK = /^(spawn|connect|listen|bind|accept|getaddrinfo|kill|uv_)/;
const ERRNO: Record<string, StorageCode> = { ENOSPC: 'full', EDQUOT: 'full', EROFS: 'read_only', EIO: 'io' };
const DENIED = new Set(['EACCES', 'EPERM']);

/** An error's code, syscall and path when it is SQLite's or a file system call's (not a socket's or a child's: listen EACCES on port 80 is not the disk's). */
function diskCall(err: unknown): { sqlite: boolean; code: string; path: string | null } | null {
  if (typeof err !== 'object' || err === null) return null;
  const { code, path, name, syscall } = err as { code?: unknown; path?: unknown; name?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return null;
  if (name === 'SqliteError') return { sqlite: true, code, path: null };
  if (typeof syscall !== 'string' || NOT_DISK.test(syscall)) return null;
  return { sqlite: false, code, path: typeof path === 'string' ? path : null };
}

/** The StorageError an error stands for (SQLite's or a file system call's), or null for any other error. */
export function storageErrorOf(err: unknown): StorageError | null {
  if (err instanceof StorageError) return err;
  const call = diskCall(err);
  if (!call) return null;
  if (call.sqlite) {
    if (SQLITE_NOT_DISK.has(call.code)) return null;
    const hit = SQLITE.find(([prefix]) => call.code === prefix || call.code.startsWith(`${prefix}_`));
    return hit ? new StorageError(hit[1], 'the database', err) : null;
  }
  const mapped = ERRNO[call.code];
  return mapped ? new StorageError(mapped, call.path ?? 'a file', err) : null;
}

/** The PermissionDenied an error stands for (a file system call's EACCES/EPERM, SQLite's SQLITE_PERM), or null. */
export function permissionDeniedOf(err: unknown): PermissionDenied | null {
  if (err instanceof PermissionDenied) return err;
  const call = diskCall(err);
  if (!call) return null;
  if (call.sqlite) return call.code === 'SQLITE_PERM' ? new PermissionDenied('the database', err) : null;
  return DENIED.has(call.code) ? new PermissionDenied(call.path ?? 'a file', err) : null;
}

/** What the data directory can take now: 'ok', or why it cannot (/health asks at every call: two syscalls). */
export function storageState(dir: string, minFreeBytes: number): { state: 'ok' | StorageCode | 'denied'; freeBytes: number | null } {
  try {
    // access(2) reports a read-only mount even to root.
    accessSync(dir, constants.W_OK);
    const fs = statfsSync(dir);
    const freeBytes = fs.bavail * fs.bsize;
    return { state: freeBytes < minFreeBytes ? 'full' : 'ok', freeBytes };
  } catch (err) {
    return { state: storageErrorOf(err)?.code ?? 'denied', freeBytes: null };
  }
}

/**
 * At start: the data directory exists and can take writes, and so can `files` of it that exist (the
 * database: SQLite opens a file it may not write read-only, and a write then says "read-only"); else
 * a StorageError (full, read-only: with its free space) or a PermissionDenied naming the directory or
 * file. The CLI prints either as one line.
 */
export function assertWritable(dir: string, minFreeMb: number, files: readonly string[] = []): void {
  const where = `the data directory ${dir}`;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const storage = storageErrorOf(err);
    if (storage) throw new StorageError(storage.code, where, err);
    throw permissionDeniedOf(err) ? new PermissionDenied(where, err) : err;
  }
  const { state, freeBytes } = storageState(dir, minFreeMb * 1024 * 1024);
  if (state === 'denied') throw new PermissionDenied(where);
  if (state !== 'ok') {
    const free = freeBytes === null ? '' : `, ${(freeBytes / 1024 / 1024).toFixed(1)} MB free, store.min_free_mb is ${minFreeMb}`;
    throw new StorageError(state, `${where}${free}`);
  }
  for (const file of files) {
    try {
      accessSync(file, constants.W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw storageErrorOf(err) ?? permissionDeniedOf(err) ?? err;
    }
  }
}
