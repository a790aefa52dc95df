import type { Logger } from 'pino';
import type { StoreDb } from '../store/store-db.js';
import { PgDb } from '../store/pg/db.js';

/** The channel on which a node says "work is due" to the others (a new job, leases given back). */
export const DUE_CHANNEL = 'switchpost_due';

/**
 * How nodes sharing a store wake each other. On PostgreSQL, a node NOTIFYs after it spools work or
 * gives leases back, and every node LISTENs: a node that has nothing due sleeps until its next due
 * row (or its idle bound) instead of polling, and still starts on another node's job at once. A lone
 * node (SQLite) has nobody to tell: its own wake-ups are all there are.
 */
export interface Wakeups {
  /** Other nodes hear about work (sent at most once per turn of the event loop, however often asked). */
  announce(): void;
  /** Whether other nodes can wake this one: then an idle dispatcher may sleep long. */
  readonly shared: boolean;
}

export function storeWakeups(db: StoreDb, onWake: () => void, log: Logger): Wakeups {
  if (!(db instanceof PgDb)) return { announce: () => {}, shared: false };
  db.bridge.listen(DUE_CHANNEL, (n) => {
    if (!n.self) onWake();
  });
  let pending = false;
  return {
    shared: true,
    announce: () => {
      if (pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        try {
          db.bridge.notify(DUE_CHANNEL);
        } catch (err) {
          // The others still find the work at their idle bound.
          log.warn({ err }, 'could not tell the other nodes about new work');
        }
      });
    },
  };
}
