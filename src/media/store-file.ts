import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Write `bytes` to `tmp`, then rename it to `path`: readers never see half a file. A write the disk
 * refuses (full, read-only) leaves no partial temp file behind to hold the space.
 */
export function writeStored(tmp: string, path: string, bytes: Buffer): void {
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
