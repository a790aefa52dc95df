import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';

/** A v1 user whose etob_email_address is a sender's address. */
export interface EtobSender {
  id: number;
  user_code: string;
  profile: string;
}

/** An ICTCore account with an emailtofax program (made on it or subscribed to it). */
export interface EmailToFaxAccount {
  account_id: number;
  owner: number;
  email: string | null;
  program_id: number;
  program_data: string;
}

/** Who may send e-mail to fax (issue 17): users by their etob_email_address, accounts by their emailtofax program. */
export class MailSenderStore {
  constructor(private readonly db: StoreDb) {}

  /** Active users whose etob_email_address is `address` (case aside). */
  etobUsers(address: string): EtobSender[] {
    return stmt(this.db, "SELECT id, user_code, profile FROM users WHERE active = 1 AND trim(profile ->> '$.etob_email_address') = ? COLLATE NOCASE ORDER BY id").all(address) as EtobSender[];
  }

  /** Active accounts with an emailtofax program whose address is `address`, or (with `owner`) any of that user's. */
  emailToFaxAccounts(by: { address: string } | { owner: number }): EmailToFaxAccount[] {
    const where = 'address' in by ? 'a.email = ? COLLATE NOCASE' : 'COALESCE(a.user_id, a.created_by) = ?';
    return stmt(
      this.db,
      `SELECT a.id AS account_id, COALESCE(a.user_id, a.created_by) AS owner, a.email, p.id AS program_id, p.data AS program_data
         FROM accounts a JOIN programs p ON p.type = 'emailtofax'
          AND (CAST(p.data ->> '$.account_id' AS INTEGER) = a.id OR p.id IN (SELECT program_id FROM account_programs WHERE account_id = a.id))
        WHERE a.active = 1 AND ${where} ORDER BY a.id, p.id`,
    ).all('address' in by ? by.address : by.owner) as EmailToFaxAccount[];
  }

  /** Whether an active account has this address (receiveemail's mail is taken only for one). */
  hasAccountAddress(address: string): boolean {
    return stmt(this.db, 'SELECT 1 FROM accounts WHERE email = ? COLLATE NOCASE AND active = 1 LIMIT 1').get(address) !== undefined;
  }
}
