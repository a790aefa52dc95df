/**
 * Statements whose PostgreSQL text is written by hand rather than translated (`translate.ts`): keyed
 * by the SQLite text as a store prepares it (whitespace runs read as one space), the value written
 * with the same placeholders (`?` in the same order, the same `@names`), which are the only thing
 * the translator still rewrites in it. Empty while every statement proved on PostgreSQL translates.
 */
export const PG_OVERRIDES: ReadonlyMap<string, string> = new Map<string, string>([]);

export const overrideKey = (sql: string): string => sql.replace(/\s+/g, ' ').trim();
