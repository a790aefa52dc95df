import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { SwitchpostError } from '../core/errors.js';

/** A number the daemon receives on and the user it is routed to (`switchpost numbers …`). */
export interface NumberRow {
  number: string;
  user_id: number;
  user_code: string;
  created_at: number;
}

/** The inbound numbers an administrator assigns to users (migration 17), kept in E.164. */
export class NumberStore {
  constructor(private readonly db: StoreDb) {}

  /** Assign `number` (E.164) to a user; a number already someone's is refused, never moved. */
  add(number: string, userId: number, now: number): void {
    const owner = this.ownerOf([number]);
    if (owner !== undefined) throw new SwitchpostError('conflict', `${number} is already assigned${owner === userId ? ' to this user' : ' to another user'}; remove it first`);
    stmt(this.db, 'INSERT INTO numbers (number, user_id, created_at) VALUES (?, ?, ?)').run(number, userId, now);
  }

  remove(number: string): boolean {
    return stmt(this.db, 'DELETE FROM numbers WHERE number = ?').run(number).changes === 1;
  }

  list(userId?: number): NumberRow[] {
    return stmt(this.db, 'SELECT n.number, n.user_id, u.user_code, n.created_at FROM numbers n JOIN users u ON u.id = n.user_id WHERE ? IS NULL OR n.user_id = ? ORDER BY n.number').all(userId ?? null, userId ?? null) as NumberRow[];
  }

  /** The owner of the first of `forms` (E.164 spellings, likeliest first) that is assigned. */
  ownerOf(forms: readonly string[]): number | undefined {
    for (const n of forms) {
      const r = stmt(this.db, 'SELECT user_id FROM numbers WHERE number = ?').get(n) as { user_id: number } | undefined;
      if (r) return r.user_id;
    }
    return undefined;
  }
}
