import Database from 'better-sqlite3';
import type { Db } from './db.js';

/**
 * One daemon per database: two would send the same recipients. The guard is an exclusive SQLite lock
 * on a lock file beside the database, held for the daemon's life; the kernel drops it the moment the
 * process dies (SIGKILL included), so a restart after a crash never waits and a live daemon is never
 * taken over. The holder's pid is kept in the main database for the error message.
 */
export class InstanceLock {
  private lockDb: Database.Database | null = null;

  constructor(
    private readonly db: Db,
    private readonly lockFile: string,
  ) {}

  acquire(now = Date.now()): void {
    const lock = new Database(this.lockFile);
    try {
      lock.pragma('busy_timeout = 0');
      lock.pragma('locking_mode = EXCLUSIVE');
      // The first write takes the exclusive lock; with locking_mode EXCLUSIVE it is kept until close.
      lock.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; COMMIT;');
      lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    } catch (err) {
      lock.close();
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      const held = this.db.prepare('SELECT pid FROM instance WHERE id = 1').get() as { pid: number } | undefined;
      throw new Error(`another switchpost${held ? ` (pid ${held.pid})` : ''} is running on this database`, { cause: err });
    }
    this.lockDb = lock;
    this.db.prepare('INSERT INTO instance (id, token, pid, heartbeat_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET token = excluded.token, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at').run(String(process.pid), process.pid, now);
  }

  release(): void {
    this.db.prepare('DELETE FROM instance WHERE id = 1 AND pid = ?').run(process.pid);
    this.lockDb?.close();
    this.lockDb = null;
  }
}
