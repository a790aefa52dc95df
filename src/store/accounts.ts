import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { OwnedRows, type Row } from './owned.js';

/** Sending identities (ICTCore accounts): a DID or caller id, an e-mail address; with settings and programs. */
export class AccountStore {
  readonly rows: OwnedRows;
  constructor(private readonly db: StoreDb) {
    // An account set free (no user) stays visible to whoever made it.
    this.rows = new OwnedRows(db, { table: 'accounts', columns: ['type', 'username', 'password_hash', 'pin_hash', 'first_name', 'last_name', 'phone', 'email', 'address', 'active', 'created_by', 'user_id'], owner: 'COALESCE(user_id, created_by)' });
  }
  programs(accountId: number): number[] {
    return (stmt(this.db, 'SELECT program_id FROM account_programs WHERE account_id = ? ORDER BY program_id').all(accountId) as { program_id: number }[]).map((r) => r.program_id);
  }
  subscribe(accountId: number, programId: number): void {
    stmt(this.db, 'INSERT OR IGNORE INTO account_programs (account_id, program_id) VALUES (?, ?)').run(accountId, programId);
  }
  unsubscribe(accountId: number, programId?: number): number {
    return programId === undefined ? stmt(this.db, 'DELETE FROM account_programs WHERE account_id = ?').run(accountId).changes : stmt(this.db, 'DELETE FROM account_programs WHERE account_id = ? AND program_id = ?').run(accountId, programId).changes;
  }
  setting(accountId: number, name: string): string | null | undefined {
    const r = stmt(this.db, 'SELECT value FROM account_settings WHERE account_id = ? AND name = ?').get(accountId, name) as { value: string | null } | undefined;
    return r?.value;
  }
  setSetting(accountId: number, name: string, value: string | null): void {
    stmt(this.db, 'INSERT INTO account_settings (account_id, name, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value').run(accountId, name, value);
  }
  deleteSetting(accountId: number, name: string): boolean {
    return stmt(this.db, 'DELETE FROM account_settings WHERE account_id = ? AND name = ?').run(accountId, name).changes === 1;
  }
  usernameTaken(username: string, except: number | null): boolean {
    return stmt(this.db, 'SELECT 1 FROM accounts WHERE username = ? AND id IS NOT ?').get(username, except) !== undefined;
  }
  delete(id: number): boolean {
    return this.db.transaction(() => {
      stmt(this.db, 'DELETE FROM account_settings WHERE account_id = ?').run(id);
      stmt(this.db, 'DELETE FROM account_programs WHERE account_id = ?').run(id);
      return this.rows.delete(id);
    })();
  }
}

/** An account set free (no user) belongs to whoever made it. */
export const accountOwner = (r: Row): number => (r.user_id as number | null) ?? (r.created_by as number);
