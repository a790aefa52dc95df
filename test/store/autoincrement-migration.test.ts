import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDb, schemaVersion, type Db } from '../../dist/store/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';

// Issue 18: ids are never reused after a delete. Migration 14 rebuilds every table whose id numbers
// new rows with AUTOINCREMENT (SQLite's 12-step rebuild), keeping every row, index and foreign key.
const BEFORE = MIGRATIONS.filter((m) => m.version < 14);
// Through 14 only: later migrations are not this file's subject.
const THROUGH_14 = MIGRATIONS.filter((m) => m.version <= 14);

let dir = '';
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-autoinc-'));
  db = openDb(join(dir, 'switchpost.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const tables = () => db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
/** Everything a rebuild must keep: each table's rows, columns, foreign keys, indexes and triggers. */
const snapshot = () =>
  Object.fromEntries(
    tables().map((t) => [
      t,
      {
        rows: (db.prepare(`SELECT * FROM ${t}`).all() as object[]).map((r) => JSON.stringify(r)).sort(),
        columns: db.prepare('SELECT * FROM pragma_table_info(?)').all(t),
        foreignKeys: db.prepare('SELECT * FROM pragma_foreign_key_list(?)').all(t),
        indexes: db.prepare(`SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? ORDER BY name`).all(t),
      },
    ]),
  );
const rowidTables = () => tables().filter((t) => (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(t) as string).match(/\bid INTEGER PRIMARY KEY\b(?! CHECK)/));
const seq = (t: string) => db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(t) as number | undefined;

/** Rows in every table a face exposes by id, as the daemon stores them at version 13. */
function fill(): void {
  const run = (sql: string, ...p: unknown[]) => Number(db.prepare(sql).run(...p).lastInsertRowid);
  const company = run(`INSERT INTO companies (name, created_at) VALUES ('c', 0)`);
  const admin = run(`INSERT INTO users (user_code, password_hash, role, company_id, timezone, country, created_at, updated_at) VALUES ('admin', 'x', 'admin', ?, 'UTC', 'AU', 0, 0)`, company);
  const agent = run(`INSERT INTO users (user_code, password_hash, role, agent_id, timezone, country, created_at, updated_at) VALUES ('agent', 'x', 'agent', ?, 'UTC', 'AU', 0, 0)`, admin);
  const provider = run(`INSERT INTO providers (name, driver, services, owner_user_id, created_at, updated_at) VALUES ('p', 'sandbox', '["sms"]', ?, 0, 0)`, agent);
  const contacts = [1, 2, 3].map((i) => run(`INSERT INTO contacts (user_id, phone, created_at, updated_at) VALUES (?, ?, 0, 0)`, agent, `+6149157000${i}`));
  const group = run(`INSERT INTO contact_groups (user_id, name, created_at, updated_at) VALUES (?, 'g', 0, 0)`, agent);
  for (const c of contacts) run('INSERT INTO group_members (group_id, contact_id) VALUES (?, ?)', group, c);
  const text = run(`INSERT INTO messages (user_id, kind, name, data, created_at, updated_at) VALUES (?, 'text', 't', '{"data":"hi"}', 0, 0)`, agent);
  const program = run(`INSERT INTO programs (user_id, type, name, data, created_at, updated_at) VALUES (?, 'sendsms', 'p', ?, 0, 0)`, agent, JSON.stringify({ text_id: text }));
  const account = run(`INSERT INTO accounts (user_id, username, created_by, created_at, updated_at) VALUES (?, 'acc', ?, 0, 0)`, agent, agent);
  run('INSERT INTO account_programs (account_id, program_id) VALUES (?, ?)', account, program);
  run(`INSERT INTO account_settings (account_id, name, value) VALUES (?, 'k', 'v')`, account);
  const campaign = run(`INSERT INTO campaigns (user_id, program_id, group_id, account_id, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)`, agent, program, group, account);
  const job = run(`INSERT INTO jobs (user_id, face, channel, program_id, account_id, campaign_id, created_at) VALUES (?, 'ictcore', 'sms', ?, ?, ?, 0)`, agent, program, account, campaign);
  db.prepare('UPDATE campaigns SET job_id = ? WHERE id = ?').run(job, campaign);
  const recipient = run(`INSERT INTO recipients (job_id, seq, destination, state, due_at, contact_id) VALUES (?, 0, '+61491570001', 'delivered', 0, ?)`, job, contacts[0]);
  const attempt = run(`INSERT INTO attempts (recipient_id, job_id, provider_id, try, destination, queued_at, status) VALUES (?, ?, ?, 1, '+61491570001', 0, 'delivered')`, recipient, job, provider);
  db.prepare('UPDATE recipients SET attempt_id = ? WHERE id = ?').run(attempt, recipient);
  run(`INSERT INTO attempt_parts (attempt_id, part, provider_id, peer_id, updated_at) VALUES (?, 1, ?, 'peer-1', 0)`, attempt, provider);
  run(`INSERT INTO results (attempt_id, recipient_id, job_id, kind, value, created_at) VALUES (?, ?, ?, 'keypress', '1', 0)`, attempt, recipient, job);
  run(`INSERT INTO inbound (provider_id, channel, sender, body, job_id, recipient_id, received_at, user_id) VALUES (?, 'sms', '+61491570001', 'yes', ?, ?, 0, ?)`, provider, job, recipient, agent);
  run(`INSERT INTO callbacks (user_id, job_id, recipient_id, kind, url, content_type, body, next_at, created_at) VALUES (?, ?, ?, 'status', 'http://x', 'application/json', '{}', 0, 0)`, agent, job, recipient);
  run(`INSERT INTO schedules (user_id, target, target_id, action, at, timezone, created_at) VALUES (?, 'campaign', ?, 'start', 5, 'UTC', 0)`, agent, campaign);
  run(`INSERT INTO sessions (token_hash, user_id, face, created_at, expires_at) VALUES ('h', ?, 'ucontact', 0, 1)`, agent);
  run(`INSERT INTO user_permissions (user_id, permission, granted) VALUES (?, 'user_create', 1)`, agent);
  run(`INSERT INTO verification_codes (user_id, client_ref, code_hash, channel, destination, job_id, sent_at) VALUES (?, 'r', 'h', 'sms', '+61491570001', ?, 0)`, agent, job);
}

describe('migration 14: AUTOINCREMENT ids', () => {
  it('makes every id that numbers new rows AUTOINCREMENT on a new database', () => {
    migrate(db, THROUGH_14);
    const rowids = rowidTables();
    expect(rowids.length).toBeGreaterThanOrEqual(17);
    for (const t of rowids) expect(db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(t), t).toMatch(/\bid INTEGER PRIMARY KEY AUTOINCREMENT\b/);
    // The instance row is pinned to id 1: no sequence.
    expect(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'instance'`).pluck().get()).not.toMatch(/AUTOINCREMENT/);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('keeps every row, column, index and foreign key of a version-13 database, and no id comes back', () => {
    migrate(db, BEFORE);
    fill();
    // The newest contact deleted before the upgrade: its id is still held by its group's membership.
    const contacts = db.prepare('SELECT id FROM contacts ORDER BY id').pluck().all() as number[];
    const newest = contacts.at(-1)!;
    db.prepare('DELETE FROM contacts WHERE id = ?').run(newest);
    // And the newest text: its id is held only by a program's data.
    db.prepare(`INSERT INTO messages (user_id, kind, name, created_at, updated_at) VALUES (2, 'text', 'gone', 0, 0)`).run();
    const textHeld = db.prepare(`SELECT max(id) FROM messages`).pluck().get() as number;
    db.prepare('UPDATE programs SET data = ?').run(JSON.stringify({ text_id: textHeld }));
    db.prepare('DELETE FROM messages WHERE id = ?').run(textHeld);
    const before = snapshot();
    expect(Object.values(before).reduce((n, t) => n + t.rows.length, 0)).toBeGreaterThan(25);

    expect(migrate(db, THROUGH_14).map((m) => m.version)).toEqual([14]);
    expect(schemaVersion(db)).toBe(14);
    expect(snapshot()).toEqual(before);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);

    // Sequences start at the highest id anything holds.
    expect(seq('contacts')).toBe(newest);
    expect(seq('messages')).toBe(textHeld);
    expect(seq('users')).toBe(db.prepare('SELECT max(id) FROM users').pluck().get());
    for (const t of rowidTables()) expect(seq(t), t).toBeGreaterThanOrEqual((db.prepare(`SELECT coalesce(max(id), 0) FROM ${t}`).pluck().get() as number) ?? 0);

    // A new row never takes a deleted one's id, the deleted newest included.
    const add = () => Number(db.prepare(`INSERT INTO contacts (user_id, phone, created_at, updated_at) VALUES (2, '+61491570009', 0, 0)`).run().lastInsertRowid);
    const next = add();
    expect(next).toBe(newest + 1);
    db.prepare('DELETE FROM contacts WHERE id = ?').run(next);
    expect(add()).toBe(next + 1);
    expect(Number(db.prepare(`INSERT INTO messages (user_id, kind, name, created_at, updated_at) VALUES (2, 'text', 'n', 0, 0)`).run().lastInsertRowid)).toBe(textHeld + 1);

    // The foreign keys still hold: a row naming a user that does not exist is refused.
    expect(() => db.prepare(`INSERT INTO contacts (user_id, created_at, updated_at) VALUES (999, 0, 0)`).run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare('DELETE FROM users WHERE id = 2').run()).toThrow(/FOREIGN KEY/);
  });

  it('leaves a violation the database already had as it was, and adds none', () => {
    migrate(db, BEFORE);
    fill();
    db.pragma('foreign_keys = OFF');
    db.prepare(`INSERT INTO contacts (user_id, created_at, updated_at) VALUES (777, 0, 0)`).run();
    db.pragma('foreign_keys = ON');
    const violations = db.pragma('foreign_key_check');
    expect(violations).toHaveLength(1);
    migrate(db, THROUGH_14);
    expect(schemaVersion(db)).toBe(14);
    expect(db.pragma('foreign_key_check')).toEqual(violations);
  });

  it('runs again on a database already rebuilt without changing it (a copy restored at 13 by hand)', () => {
    migrate(db, THROUGH_14);
    fill();
    const before = snapshot();
    db.pragma('user_version = 13');
    migrate(db, THROUGH_14);
    expect(snapshot()).toEqual(before);
    expect(schemaVersion(db)).toBe(14);
  });
});
