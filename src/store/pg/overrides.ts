import { CLAIM_DUE_SQL } from '../callbacks.js';

/**
 * Statements whose PostgreSQL text is written by hand rather than translated (`translate.ts`): keyed
 * by the SQLite text as a store prepares it (whitespace runs read as one space), the value written
 * with the same placeholders (`?` in the same order, the same `@names`), which are the only thing
 * the translator still rewrites in it. Only where PostgreSQL's own text says more than the translation
 * could: a claim between nodes that locks the rows it picks.
 */
export const overrideKey = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

export const PG_OVERRIDES: ReadonlyMap<string, string> = new Map<string, string>([
  // Two nodes claiming at once: each skips the rows the other's statement has locked (never waits
  // on them), and a row claimed and committed meanwhile is re-checked against the claim's condition.
  [
    overrideKey(CLAIM_DUE_SQL),
    `UPDATE callbacks SET claimed_by = @node, claimed_until = @until
      WHERE id IN (SELECT id FROM callbacks WHERE state = 'pending' AND next_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
                   ORDER BY next_at LIMIT @limit FOR UPDATE SKIP LOCKED)
        AND (claimed_until IS NULL OR claimed_until <= @now)
      RETURNING id, kind, url, content_type, body, tries, next_at`,
  ],
]);
