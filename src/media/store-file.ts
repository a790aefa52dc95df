import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { storageErrorOf } from '../store/storage-error.js';

/**
 * Write `bytes` to `tmp`, then rename it to `path`: readers never see half a file. A write the disk
 * refuses (full, read-only) leaves no partial temp file behind to hold the space, and is thrown as a
 * StorageError ("storage is read-only"), which the faces answer 503 and a job's report names.
 */
export function writeStored(tmp: string, path: string, bytes: Buffer): void {
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw storageErrorOf(err) ?? err;
  }
}
