import { jsonRows, stmt } from './db.js';
import { onKeptPlans } from './kept-plans.js';
import type { StoreDb } from './store-db.js';
import { OwnedRows, type Row } from './owned.js';
import { keysetPages, LIST_PAGE_SIZE } from './pages.js';
import { CONTACT_LIMITS, contactRecipient, listDestination, type ContactField, type ListPick } from '../core/contact.js';
import type { NewRecipient } from '../core/jobs.js';
import type { ContactValues } from '../core/contact-csv.js';

export type { ContactValues };

const MEMBER_PAGE = 'SELECT c.* FROM group_members m JOIN contacts c ON c.id = m.contact_id WHERE m.group_id = ? AND m.contact_id > ? ORDER BY m.contact_id LIMIT ?';
const CONTACT_FIELDS = Object.keys(CONTACT_LIMITS) as ContactField[];
/** An import's contacts, a chunk of jsonRows() at a time, each row its CONTACT_FIELDS in order. */
const IMPORT_CONTACTS = `INSERT INTO contacts (user_id, ${CONTACT_FIELDS.join(', ')}, created_at, updated_at)
  SELECT ?, ${CONTACT_FIELDS.map((_, i) => `value->>${i}`).join(', ')}, ?, ? FROM jsonb_each(?) RETURNING id`;

/** The address book: contacts, groups and who is in which group. */
export class ContactStore {
  readonly contacts: OwnedRows;
  readonly groups: OwnedRows;

  constructor(private readonly db: StoreDb) {
    this.contacts = new OwnedRows(db, { table: 'contacts', columns: CONTACT_FIELDS });
    this.groups = new OwnedRows(db, { table: 'contact_groups', columns: ['name', 'description'] });
  }

  link(groupId: number, contactId: number): void {
    stmt(this.db, 'INSERT OR IGNORE INTO group_members (group_id, contact_id) VALUES (?, ?)').run(groupId, contactId);
  }

  unlink(groupId: number, contactId: number): boolean {
    return stmt(this.db, 'DELETE FROM group_members WHERE group_id = ? AND contact_id = ?').run(groupId, contactId).changes === 1;
  }

  /** A contact and its group memberships go together. */
  deleteContact(id: number): boolean {
    return this.db.transaction(() => {
      stmt(this.db, 'DELETE FROM group_members WHERE contact_id = ?').run(id);
      return this.contacts.delete(id);
    })();
  }

  /** A group goes; its contacts stay in the address book. */
  deleteGroup(id: number): boolean {
    return this.db.transaction(() => {
      stmt(this.db, 'DELETE FROM group_members WHERE group_id = ?').run(id);
      return this.groups.delete(id);
    })();
  }

  groupSize(groupId: number): number {
    return (stmt(this.db, 'SELECT COUNT(*) AS n FROM group_members WHERE group_id = ?').get(groupId) as { n: number }).n;
  }

  /** The group's contacts, in id order, `limit` at a time after `afterId` (exports and campaigns stream them). */
  members(groupId: number, afterId = 0, limit = 10_000): Row[] {
    return stmt(this.db, MEMBER_PAGE).all(groupId, afterId, limit) as Row[];
  }

  /** One page of members(), by the group_members key (async, as a store on a worker thread will be). */
  async memberPage(groupId: number, afterId: number, limit: number): Promise<Row[]> {
    return stmt(this.db, MEMBER_PAGE).all(groupId, afterId, limit) as Row[];
  }

  /** The group's contacts in id order, at most `max`, page by page. */
  memberPages(groupId: number, max = Infinity, pageSize = LIST_PAGE_SIZE): AsyncGenerator<Row[]> {
    return keysetPages(
      (after, limit) => this.memberPage(groupId, after, limit),
      (r) => r.id,
      pageSize,
      0,
      max,
    );
  }

  /**
   * The group's contacts as recipients (name, reference, merge fields, contact id), in id order: those
   * with a destination for `to` (core/contact.ts listDestination; without it, the phone, as ICTCore
   * sends to it). Data, not a function: the call may cross to the store's thread.
   */
  recipientsOf(groupId: number, to: ListPick | null = null): NewRecipient[] {
    return this.members(groupId, 0, Number.MAX_SAFE_INTEGER).flatMap((c) => {
      const destination = to ? listDestination(c, to) : c.phone ? String(c.phone) : null;
      return destination ? [{ destination, blackouts: null, ...contactRecipient(c) }] : [];
    });
  }

  /**
   * Contacts from an import, all or none: each becomes a contact of `userId` linked to the group, in one
   * transaction, set-based: per ROWS_PER_STATEMENT rows one INSERT of the contacts and one of their links.
   */
  importInto(userId: number, groupId: number, rows: ContactValues[], now = Date.now()): number {
    const insert = stmt(this.db, IMPORT_CONTACTS);
    const link = stmt(this.db, 'INSERT INTO group_members (group_id, contact_id) SELECT ?, value FROM jsonb_each(?)');
    return this.db.transaction(() =>
      // Each contact's user and each link's group and contact are foreign keys: checked on kept plans (many rows).
      onKeptPlans(this.db, rows.length, () => {
        for (const chunk of jsonRows(rows, (r) => CONTACT_FIELDS.map((f) => r[f] ?? null))) {
          // The new ids, whatever rowids SQLite chose (RETURNING's order is unspecified; links have none).
          const ids = (insert.all(userId, now, now, chunk) as { id: number }[]).map((c) => c.id);
          link.run(groupId, JSON.stringify(ids));
        }
        return rows.length;
      }),
    )();
  }
}
