import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

const STALE_MS = 15_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One daemon per database: two would send the same recipients. The holder writes a heartbeat;
 * a holder whose heartbeat is stale or whose process is gone is taken over.
 */
export class InstanceLock {
  readonly token = randomUUID();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  acquire(now = Date.now()): void {
    this.db.transaction(() => {
      const held = this.db.prepare('SELECT token, pid, heartbeat_at FROM instance WHERE id = 1').get() as { token: string; pid: number; heartbeat_at: number } | undefined;
      if (held && held.pid !== process.pid && now - held.heartbeat_at < STALE_MS && alive(held.pid)) {
        throw new Error(`another switchpost (pid ${held.pid}) is running on this database`);
      }
      this.db.prepare('INSERT INTO instance (id, token, pid, heartbeat_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET token = excluded.token, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at').run(this.token, process.pid, now);
    }).immediate();
    this.timer = setInterval(() => this.db.prepare('UPDATE instance SET heartbeat_at = ? WHERE id = 1 AND token = ?').run(Date.now(), this.token), 5000);
    this.timer.unref();
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.db.prepare('DELETE FROM instance WHERE id = 1 AND token = ?').run(this.token);
  }
}
