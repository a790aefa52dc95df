import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { permissionDeniedOf, storageErrorOf } from '../store/storage-error.js';

/**
 * Write `bytes` to `tmp`, then rename it to `path`: readers never see half a file. A write the disk
 * refuses (full, read-only) leaves no partial temp file behind to hold the space, and is thrown as a
 * StorageError ("storage is read-only"), which the faces answer 503 and a job's report names; a
 * directory the daemon's user may not write, as a PermissionDenied (500: a misconfiguration).
 */
export function writeStored(tmp: string, path: string, bytes: Buffer): void {
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw storageErrorOf(err) ?? permissionDeniedOf(err) ?? err;
  }
}

/**
 * A stored file named by its content, taken again for a new job: its modification time set to now, so
 * that a retention sweep (spool/retention.ts) that no job's row keeps it from yet — the job is made
 * after this returns — leaves it alone. False when it is not there (never made, or removed): make it.
 */
export function reuseStored(path: string): boolean {
  try {
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  } catch {
    return false;
  }
}
