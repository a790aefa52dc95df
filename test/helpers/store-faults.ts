import type { StoreDb } from '../../dist/store/store-db.js';
import { PgDb } from '../../dist/store/pg/db.js';

/**
 * Make the store refuse an INSERT into `table` where `column` is `value` (a trigger raising `message`),
 * on either engine: SQLite's RAISE(ABORT) or PostgreSQL's RAISE EXCEPTION. Returns its removal.
 */
export function refuseInsert(db: StoreDb, table: string, column: string, value: string, message: string): () => void {
  const name = `refuse_${table}`;
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  if (db instanceof PgDb) {
    db.bridge.exec(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.${column} = ${literal(value)} THEN RAISE EXCEPTION ${literal(message)}; END IF; RETURN NEW; END $$;
      CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return () => db.bridge.exec(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}()`);
  }
  db.exec(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN NEW.${column} = ${literal(value)} BEGIN SELECT RAISE(ABORT, ${literal(message)}); END`);
  return () => void db.exec(`DROP TRIGGER ${name}`);
}
