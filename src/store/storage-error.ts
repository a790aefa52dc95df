import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';

/** Why the disk refused a write: out of space, mounted read-only, not ours to write, or failing. */
export type StorageCode = 'full' | 'read_only' | 'denied' | 'io';

const SAYS: Record<StorageCode, string> = {
  full: 'storage is full',
  read_only: 'storage is read-only',
  denied: 'storage is not writable (permission denied)',
  io: 'storage failed (I/O error)',
};

/**
 * A write the disk refused (SQLite's or a media file's). The faces answer it 503 in their own
 * envelope: the request was sound, the server cannot keep it now, and nothing of it was stored.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly code: StorageCode,
    /** What failed, for the log and the operator (a path, "the database"); never sent to a client. */
    readonly where: string,
    override readonly cause?: unknown,
  ) {
    super(SAYS[code]);
  }

  /** The answer for a client: no paths, and a plain statement that nothing was kept. */
  get publicMessage(): string {
    return `${SAYS[this.code]}; nothing was stored, try again later`;
  }
}

// SQLite's primary result codes (better-sqlite3's SqliteError.code carries extended ones too: SQLITE_IOERR_WRITE…).
const SQLITE: [prefix: string, code: StorageCode][] = [
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_IOERR', 'io'],
  ['SQLITE_CANTOPEN', 'denied'],
  ['SQLITE_PERM', 'denied'],
];
const NOT_DISK = /^(spawn|connect|listen|bind|accept|getaddrinfo|kill|uv_)/;
const ERRNO: Record<string, StorageCode> = { ENOSPC: 'full', EDQUOT: 'full', EROFS: 'read_only', EACCES: 'denied', EPERM: 'denied', EIO: 'io' };

/** The StorageError an error stands for (SQLite's or a file system call's), or null for any other error. */
export function storageErrorOf(err: unknown): StorageError | null {
  if (err instanceof StorageError) return err;
  if (typeof err !== 'object' || err === null) return null;
  const { code, path, name } = err as { code?: unknown; path?: unknown; name?: unknown };
  if (typeof code !== 'string') return null;
  if (name === 'SqliteError') {
    const hit = SQLITE.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
    return hit ? new StorageError(hit[1], 'the database', err) : null;
  }
  // A system call's error, and not a socket's or a child's: listen EACCES (port 80) is not the disk's.
  const mapped = ERRNO[code];
  const syscall = (err as { syscall?: unknown }).syscall;
  if (!mapped || typeof syscall !== 'string' || NOT_DISK.test(syscall)) return null;
  return new StorageError(mapped, typeof path === 'string' ? path : 'a file', err);
}

/** What the data directory can take now: 'ok', or why it cannot (/health asks at every call: two syscalls). */
export function storageState(dir: string, minFreeBytes: number): { state: 'ok' | StorageCode; freeBytes: number | null } {
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

/** At start: the data directory exists and can take writes, else a StorageError naming it (and its free space). */
export function assertWritable(dir: string, minFreeMb: number): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StorageError(storageErrorOf(err)?.code ?? 'denied', `the data directory ${dir}`, err);
  }
  const { state, freeBytes } = storageState(dir, minFreeMb * 1024 * 1024);
  if (state === 'ok') return;
  const free = freeBytes === null ? '' : `, ${(freeBytes / 1024 / 1024).toFixed(1)} MB free, store.min_free_mb is ${minFreeMb}`;
  throw new StorageError(state, `the data directory ${dir}${free}`);
}
