import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';

/**
 * Bulk rows with foreign keys (a job's recipients, an import's contacts) on PostgreSQL: the bridge's
 * session plans every execution afresh (pg/bridge-worker.ts), and PostgreSQL's foreign-key check of
 * each row is a prepared plan that follows the same setting, so it is planned again for every row:
 * 15 µs a row instead of 3.5 (100,000 recipients: 2.1 s, not 0.9). Around such rows the session plans
 * by the server's default; after them, afresh again (pg/overrides.ts: `SET LOCAL plan_cache_mode`).
 * On SQLite these statements do nothing.
 */
export const KEPT_PLANS = `SELECT 'kept plans' AS plans`;
export const FRESH_PLANS = `SELECT 'fresh plans' AS plans`;

/** Fewer rows than this cost less planned afresh than the two statements' trips. */
const KEPT_PLANS_AT = 1000;

/**
 * `write` of `rows` rows, on kept plans when they are many, inside the caller's transaction (a SET
 * LOCAL outside one is PostgreSQL's warning and no effect). No `finally`: a statement that failed has
 * aborted the transaction, which ends the setting with it, and another statement there would only
 * hide the failure.
 */
export function onKeptPlans<T>(db: StoreDb, rows: number, write: () => T): T {
  if (rows < KEPT_PLANS_AT) return write();
  stmt(db, KEPT_PLANS).get();
  const result = write();
  stmt(db, FRESH_PLANS).get();
  return result;
}
