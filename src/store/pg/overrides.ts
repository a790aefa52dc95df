import { DUE_SQL } from '../spool.js';

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
 * the translator still rewrites in it: the claim's locking reads (above), taken from the store's own texts.
 */
export const PG_OVERRIDES: ReadonlyMap<string, string> = new Map<string, string>(Object.values(DUE_SQL).map((sql) => [overrideKey(sql), locking(sql)]));

export function overrideKey(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}
