import { afterAll } from 'vitest';
import { migrate, openDb } from '../../dist/store/db.js';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import type { NewUser } from '../../dist/store/users.js';
import type { NewRecipient } from '../../dist/core/jobs.js';
import { pgDatabases } from './pg-db.js';

/** One engine a store runs on in the tests: a fresh, migrated database on each `open`. */
export interface StoreEngine {
  name: string;
  open: () => Promise<StoreDb>;
}

/**
 * The two engines the stores are proven on (issue 15), for `describe.each`: SQLite as the daemon opens
 * it (in memory), and a fresh PostgreSQL database of the run's cluster through the bridge's facade
 * (src/store/pg/db.ts). Every database opened is closed after the file; `fresh` gives a bare
 * PostgreSQL database of the file's own and `closeAfter` closes what a test opened on it (the bridge's tests).
 */
export function storeEngines(): { engines: StoreEngine[]; fresh: ReturnType<typeof pgDatabases>['fresh']; closeAfter: (db: { close(): void }) => void } {
  const { fresh } = pgDatabases();
  const opened: { close(): void }[] = [];
  // Registered after pgDatabases' own: run before it (hooks stack), so connections end before the drop.
  afterAll(() => {
    for (const db of opened.splice(0)) db.close();
  });
  const engines: StoreEngine[] = [
    {
      name: 'SQLite',
      open: async () => {
        const db = openDb(':memory:');
        migrate(db);
        opened.push(db);
        return db;
      },
    },
    {
      name: 'PostgreSQL',
      open: async () => {
        const d = await fresh();
        await migratePg(d.pool);
        const db = PgDb.open({ connectionString: d.url });
        opened.push(db);
        return db;
      },
    },
  ];
  return { engines, fresh, closeAfter: (db) => void opened.push(db) };
}

/** A plain user's row as the stores take it. */
export const storeUser = (code: string, extra: Partial<NewUser> = {}): NewUser => ({ user_code: code, password: `${code}-secret-1`, password_hash: `hash-of-${code}`, role: 'user', timezone: 'UTC', country: 'AU', ...extra });

/** A recipient with nothing but its destination (and `extra`). */
export const storeRecipient = (destination: string, extra: Partial<NewRecipient> = {}): NewRecipient => ({ destination, name: null, reference: null, fields: null, blackouts: null, ...extra });
