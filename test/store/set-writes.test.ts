import { describe, expect, it } from 'vitest';
import { openDb, migrate, ROWS_PER_STATEMENT, type Db } from '../../dist/store/db.js';
import { JobStore } from '../../dist/store/jobs.js';
import { ContactStore } from '../../dist/store/contacts.js';
import { TransmissionStore } from '../../dist/store/transmissions.js';
import { UserStore } from '../../dist/store/users.js';
import { HELD_UNTIL, plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { ODD_TEXT, oddRecipient } from '../helpers/odd-recipients.js';

// The stores write many rows a chunk per statement (jsonb_each): these check that what they store is,
// column by column and type by type, what one INSERT/UPDATE a row stored, across chunk boundaries.

const fresh = () => {
  const db = openDb(':memory:');
  migrate(db);
  const userId = new UserStore(db).add({ user_code: 'u', password: '', password_hash: 'x', role: 'user', timezone: 'UTC', country: 'AU' });
  return { db, userId };
};

/** Every stored value with its SQLite type, the bytes of text (so embedded NULs and odd characters compare). */
const typed = (db: Db, sql: string, ...params: unknown[]) => db.prepare(sql).all(...params);
const RECIPIENT_COLUMNS = [
  'seq',
  'destination',
  'name',
  'reference',
  'fields',
  'blackouts',
  'state',
  'due_at',
  'priority',
  'contact_id',
  'address',
  'reason',
  'tries',
  'attempt_id',
  'parts',
  'cost',
  'duration',
  'keypress',
  'voicemail',
  'sent_at',
  'final_at',
  'hidden',
];
const recipientsTyped = (db: Db, jobId: number) => typed(db, `SELECT ${RECIPIENT_COLUMNS.map((c) => `typeof(${c}) AS t_${c}, quote(${c}) AS ${c}`).join(', ')} FROM recipients WHERE job_id = ? ORDER BY id`, jobId);

const odd = ODD_TEXT;
const N = ROWS_PER_STATEMENT * 2 + 7;
const recipientAt = oddRecipient(odd);

describe('set-based writes', () => {
  it('JobStore.create stores every recipient as one INSERT a recipient did: values, types, seq and id order', () => {
    const { db, userId } = fresh();
    const recipients = Array.from({ length: N }, (_, i) => recipientAt(i));
    const now = 1_796_200_000_000;
    const job = plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients });
    const jobId = new JobStore(db).create(job, now);

    // The reference: the statement create() ran once per recipient before it was set-based.
    const refJob = Number(db.prepare(`INSERT INTO jobs (user_id, face, channel, content, options, total, remaining, created_at) VALUES (?, 'v1', 'sms', '{}', '{}', 0, 0, 0)`).run(userId).lastInsertRowid);
    const one = db.prepare(`INSERT INTO recipients (job_id, seq, destination, name, reference, fields, blackouts, state, due_at, priority, contact_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`);
    let seq = 0;
    for (const r of recipients) one.run(refJob, seq++, r.destination, r.name, r.reference, r.fields ? JSON.stringify(r.fields) : null, r.blackouts?.length ? JSON.stringify(r.blackouts) : null, r.dueAt ?? now, r.priority ?? null, r.contactId ?? null);

    const got = recipientsTyped(db, jobId);
    expect(got).toHaveLength(N);
    expect(got).toEqual(recipientsTyped(db, refJob));
    // ids in seq order, fields and blackouts the very text JSON.stringify made.
    const rows = db.prepare('SELECT id, seq, fields, blackouts FROM recipients WHERE job_id = ? ORDER BY id').all(jobId) as { id: number; seq: number; fields: string | null; blackouts: string | null }[];
    expect(rows.map((r) => r.seq)).toEqual(recipients.map((_, i) => i));
    expect(rows.map((r) => r.fields)).toEqual(recipients.map((r) => (r.fields ? JSON.stringify(r.fields) : null)));
    expect(rows.map((r) => r.blackouts)).toEqual(recipients.map((r) => (r.blackouts?.length ? JSON.stringify(r.blackouts) : null)));
    expect(db.prepare('SELECT total, remaining FROM jobs WHERE id = ?').get(jobId)).toEqual({ total: N, remaining: N });
  });

  it('JobStore.create of a job that fails in a later chunk stores nothing', () => {
    const { db, userId } = fresh();
    const recipients = Array.from({ length: N }, (_, i) => recipientAt(i));
    recipients[N - 1] = { ...recipients[N - 1]!, destination: null as unknown as string }; // NOT NULL
    expect(() => new JobStore(db).create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients }))).toThrow(/NOT NULL/);
    expect(db.prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get()).toEqual({ jobs: 0, recipients: 0 });
  });

  it('ContactStore.importInto stores and links every row, in order, across chunks', () => {
    const { db, userId } = fresh();
    const contacts = new ContactStore(db);
    const group = contacts.groups.insert(userId, { name: 'g' });
    const other = contacts.groups.insert(userId, { name: 'other' });
    contacts.link(other, 1);
    // (No lone surrogate here: it reads back as U+FFFD, however it was written.)
    const text = odd.filter((s) => !s.includes('\ud800'));
    const rows = Array.from({ length: N }, (_, i) => ({ first_name: text[i % text.length]!, last_name: i % 2 ? null : `L${i}`, phone: `+614915${String(i).padStart(5, '0')}`, ...(i % 3 ? { email: `c${i}@example.com` } : {}) }));
    expect(contacts.importInto(userId, group, rows, 1234)).toBe(N);
    const members = contacts.members(group, 0, N + 1);
    expect(members.map((c) => [c.first_name, c.last_name, c.phone, c.email, c.address, c.user_id, c.created_at, c.updated_at])).toEqual(rows.map((r) => [r.first_name, r.last_name, r.phone, r.email ?? null, null, userId, 1234, 1234]));
    expect(typed(db, 'SELECT DISTINCT typeof(first_name) t FROM contacts')).toEqual([{ t: 'text' }]);
    expect(contacts.groupSize(other)).toBe(1);
    expect(contacts.importInto(userId, group, [], 1)).toBe(0);
  });

  it('TransmissionStore.release moves held rows only, each to its due time, counting them; a repeated id keeps its first', () => {
    const { db, userId } = fresh();
    const recipients = Array.from({ length: N }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}`, name: null, reference: null, fields: null, blackouts: null }));
    const jobId = new JobStore(db).create(plainJob({ userId, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'hi' }), recipients, held: true }), 1);
    const ids = (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').all(jobId) as { id: number }[]).map((r) => r.id);
    db.prepare("UPDATE recipients SET state = 'delivered' WHERE id = ?").run(ids[5]);
    db.prepare('UPDATE recipients SET reason = ? WHERE job_id = ?').run('stopped', jobId);
    const store = new TransmissionStore(db);
    const asked = [...ids, ids[0]!, 999_999_999];
    const released = store.release(
      asked,
      asked.map((_, i) => 1000 + i),
    );
    expect(released).toBe(N - 1);
    const rows = db.prepare('SELECT id, state, due_at, reason FROM recipients WHERE job_id = ? ORDER BY seq').all(jobId) as { id: number; state: string; due_at: number; reason: string | null }[];
    expect(rows.map((r) => [r.due_at, r.reason])).toEqual(rows.map((r, i) => (i === 5 ? [HELD_UNTIL, 'stopped'] : [1000 + i, null])));
    expect(
      store.release(
        ids,
        ids.map(() => 5),
      ),
    ).toBe(0);
  });
});
