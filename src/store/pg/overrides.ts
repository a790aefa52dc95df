import { MAX_RETENTION_HOURS } from '../../core/documents.js';
import { REFRESH_RECIPIENT_STATISTICS } from '../jobs.js';
import { FRESH_PLANS, KEPT_PLANS } from '../kept-plans.js';
import { DUE } from '../retention.js';
import { DUE_SQL } from '../spool.js';
import { CLAIM_DUE_SQL } from '../callbacks.js';

export function overrideKey(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/** A JSON value's text as SQLite's CAST(… AS INTEGER) reads a number (its whole part), or NULL for anything else (SQLite's 0, out of range too). */
// No `?` in it: the placeholders are numbered in an override's whole text.
const wholeNumber = (text: string) => `CASE WHEN ${text} ~ '^\\s*[+-]{0,1}[0-9]{1,9}(\\.[0-9]*){0,1}\\s*$' THEN trunc((${text})::numeric)::bigint END`;

/**
 * The claim's due-row reads on PostgreSQL: each locks what it returns, skipping rows another node's claim
 * holds (`FOR UPDATE OF recipients SKIP LOCKED`), so that claims running at once read disjoint rows;
 * the locks last until the claim's transaction, which writes the leases, commits. The jobs the `Except`
 * forms leave out are read, not locked.
 */
const locking = (sql: string): string => `${sql.replace(/\s+INDEXED BY recipients_priority/, '').replace('SELECT value FROM json_each(@except)', 'SELECT jsonb_array_elements_text(@except::jsonb)')} FOR UPDATE OF recipients SKIP LOCKED`;

/**
 * Statements whose PostgreSQL text is written by hand rather than translated (`translate.ts`): keyed
 * by the SQLite text as a store prepares it (whitespace runs read as one space), the value written
 * with the same placeholders (`?` in the same order, the same `@names`), which are the only thing
 * the translator still rewrites in it.
 */
export const PG_OVERRIDES: ReadonlyMap<string, string> = new Map<string, string>(
  [
    // Retention's due jobs: the hours a user's profile sets, read once per user (PostgreSQL types @now by
    // its context, an integer, in `@now - 3600000 * hours`; and its CAST of text that is not an integer's
    // is an error where SQLite's gives a number). Only the profiles that name the setting are cast to jsonb.
    [
      DUE,
      `SELECT j.id FROM users u
       CROSS JOIN LATERAL (SELECT ${wholeNumber(`(u.profile)::jsonb ->> 'maximum_document_retention_hours'`)} AS hours) h
       JOIN jobs j ON j.user_id = u.id AND j.documents = 'kept'
      WHERE u.profile LIKE '%maximum_document_retention_hours%' AND h.hours BETWEEN 1 AND ${MAX_RETENTION_HOURS}
        AND j.status <> 'submitted' AND j.completed_at <= CAST(@now AS bigint) - 3600000 * h.hours
      LIMIT @limit`,
    ],
    // A big job's recipients: the planner's figures for them (jobs.ts).
    [REFRESH_RECIPIENT_STATISTICS, 'ANALYZE recipients'],
    // Bulk rows' foreign-key checks on kept plans (kept-plans.ts); DEFAULT is the session's own
    // setting, the one its connection set, for the rest of the transaction.
    [KEPT_PLANS, 'SET LOCAL plan_cache_mode = auto'],
    [FRESH_PLANS, 'SET LOCAL plan_cache_mode TO DEFAULT'],
    // The claim's due-row reads, locking (above), from the spool store's own texts.
    ...Object.values(DUE_SQL).map((sql) => [sql, locking(sql)]),
    // The outbox's claim between nodes: each skips the rows another node's claim has locked (never waits
    // on them), and a row claimed and committed meanwhile is re-checked against the claim's condition.
    [
      CLAIM_DUE_SQL,
      `UPDATE callbacks SET claimed_by = @node, claimed_until = @until
        WHERE id IN (SELECT id FROM callbacks WHERE state = 'pending' AND next_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
                     ORDER BY next_at LIMIT @limit FOR UPDATE SKIP LOCKED)
          AND (claimed_until IS NULL OR claimed_until <= @now)
        RETURNING id, kind, url, content_type, body, tries, next_at`,
    ],
  ].map(([sqlite, postgres]) => [overrideKey(sqlite!), postgres!]),
);
