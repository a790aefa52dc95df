import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';

/** An ICTCore account an inbound message may be for: its owner and where it says to send copies. */
export interface InboundAccount {
  id: number;
  owner: number;
  phone: string | null;
  email: string | null;
}

/** A receive program (receivesms, receivefax, receiveemail, faxtoemail) on an account. */
export interface ReceiveProgram {
  id: number;
  type: string;
  data: string;
}

/** What the inbound router reads of a user: whose it is, where its copies and callbacks go. */
export interface InboundUser {
  id: number;
  role: string;
  agent_id: number | null;
  email: string | null;
  timezone: string;
  country: string;
  profile: string;
}

/** The lookups that route an inbound message to its owner (issue 17): accounts, their programs, users. */
export class InboundOwners {
  constructor(private readonly db: StoreDb) {}

  /** Active accounts whose address is `address` (case aside): receiveemail's. */
  accountsByEmail(address: string): InboundAccount[] {
    return stmt(this.db, 'SELECT id, COALESCE(user_id, created_by) AS owner, phone, email FROM accounts WHERE email = ? COLLATE NOCASE AND active = 1 ORDER BY id').all(address) as InboundAccount[];
  }

  /**
   * Active accounts whose phone ends in the same last 6 digits as `e164`: the candidates, which the
   * caller compares in E.164 (an account's phone is stored as its user wrote it, national or not).
   */
  accountsByPhoneTail(e164: string): InboundAccount[] {
    const tail = e164.replace(/\D/g, '').slice(-6);
    return stmt(this.db, `SELECT id, COALESCE(user_id, created_by) AS owner, phone, email FROM accounts WHERE phone LIKE '%' || ? AND active = 1 ORDER BY id`).all(tail) as InboundAccount[];
  }

  /** The account's programs of these types: those made on it (data.account_id) or subscribed to it. */
  receivePrograms(accountId: number, types: readonly string[]): ReceiveProgram[] {
    return stmt(
      this.db,
      `SELECT id, type, data FROM programs WHERE type IN (SELECT value FROM json_each(?))
         AND (CAST(data ->> '$.account_id' AS INTEGER) = ? OR id IN (SELECT program_id FROM account_programs WHERE account_id = ?)) ORDER BY id`,
    ).all(JSON.stringify(types), accountId, accountId) as ReceiveProgram[];
  }

  user(id: number): InboundUser | undefined {
    return stmt(this.db, 'SELECT id, role, agent_id, email, timezone, country, profile FROM users WHERE id = ?').get(id) as InboundUser | undefined;
  }
}
