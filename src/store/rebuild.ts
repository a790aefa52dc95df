import type Database from 'better-sqlite3';

type Db = Database.Database;

/**
 * SQLite's table rebuild (https://www.sqlite.org/lang_altertable.html#otheralter, "Making Other Kinds
 * Of Table Schema Changes"), to make a table's `id INTEGER PRIMARY KEY` an AUTOINCREMENT one: without
 * it SQLite gives a new row the highest id + 1, so the id of the newest row deleted comes back.
 *
 * Read from the schema as it stands (so a column an earlier migration added is kept): the table is
 * made again under a new name from its own CREATE text, its rows copied, the old one dropped, the new
 * one renamed, its indexes and triggers made again from their own texts. The caller runs it in a
 * transaction with foreign keys off (the pragma is a no-op inside one) and checks them after.
 * `seen` are queries of the highest id other rows still hold for this table (a deleted row's id
 * kept in a reference); the next id is past them and past every row's.
 * Returns false (nothing done) for a table that is already AUTOINCREMENT.
 */
export function rebuildWithAutoincrement(db: Db, table: string, seen: readonly string[]): boolean {
  const create = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(table) as string | undefined;
  if (create === undefined) throw new Error(`rebuild: no table ${table}`);
  if (/\bAUTOINCREMENT\b/i.test(create)) return false;
  const idColumn = /(\bid\s+INTEGER\s+PRIMARY\s+KEY)\b(?!\s+AUTOINCREMENT)/i;
  if (!idColumn.test(create)) throw new Error(`rebuild: ${table} has no "id INTEGER PRIMARY KEY"`);
  const head = new RegExp(`^CREATE TABLE\\s+("?)${table}\\1\\s*\\(`, 'i');
  if (!head.test(create)) throw new Error(`rebuild: ${table}'s CREATE text is not of the expected form`);
  const temp = `${table}_autoincrement`;
  const others = db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`).pluck().all(table) as string[];
  db.exec(create.replace(head, `CREATE TABLE ${temp} (`).replace(idColumn, '$1 AUTOINCREMENT'));
  // The same CREATE text: the same columns in the same order.
  db.exec(`INSERT INTO ${temp} SELECT * FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${temp} RENAME TO ${table}`);
  for (const sql of others) db.exec(sql);
  const highest = Math.max(0, ...[`SELECT max(id) FROM ${table}`, ...seen].map((q) => Number(db.prepare(q).pluck().get() ?? 0)));
  db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
  db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, highest);
  return true;
}

/** Rows of PRAGMA foreign_key_check, per child table (a count): taken before and after a rebuild. */
export function foreignKeyViolations(db: Db): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of db.pragma('foreign_key_check') as { table: string }[]) out.set(r.table, (out.get(r.table) ?? 0) + 1);
  return out;
}
