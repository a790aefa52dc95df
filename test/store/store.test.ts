import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openDb, migrate, schemaVersion } from '../../dist/store/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';
import { UserStore } from '../../dist/store/users.js';

describe('store', () => {
  it('migrates a new file to the latest version once, in WAL mode', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchpost-store-')), 'x.db');
    const db = openDb(file);
    expect(migrate(db).map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['users', 'companies', 'providers', 'jobs', 'recipients', 'attempts', 'results', 'callbacks', 'opt_outs', 'inbound']));
    // The spool finds due work by index, never by scanning.
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM recipients WHERE state = 'queued' AND due_at <= 5 ORDER BY due_at LIMIT 10").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX recipients_due/);
    // Prioritised rows (uContact) by their partial index, without a sort (the spool names the index:
    // the planner would otherwise take recipients_due and sort every due row).
    const urgent = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM recipients INDEXED BY recipients_priority WHERE state = 'queued' AND priority IS NOT NULL AND due_at <= 5 ORDER BY priority, due_at LIMIT 10").all() as { detail: string }[];
    expect(urgent.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX recipients_priority/);
    expect(urgent.map((p) => p.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
  it('deletes a user only if it owns nothing, checked in the delete itself (work made for it meanwhile keeps it)', () => {
    const db = openDb(':memory:');
    migrate(db);
    const users = new UserStore(db);
    const id = users.add({ user_code: 'gone', password: 'gone-secret-1', role: 'user', agent_id: null, timezone: 'UTC', country: 'AU' });
    const kept = users.add({ user_code: 'kept', password: 'kept-secret-1', role: 'user', agent_id: null, timezone: 'UTC', country: 'AU' });
    // A job written for `kept` after any earlier look at what it owns: the delete sees it.
    db.prepare(`INSERT INTO jobs (user_id, face, channel, content, options, total, remaining, created_at) VALUES (?, 'v1', 'sms', '{}', '{}', 0, 0, 0)`).run(kept);
    expect(users.delete(kept)).toEqual({ deleted: false, owns: 'jobs' });
    expect(users.byId(kept)).toMatchObject({ id: kept });
    expect(users.delete(id)).toEqual({ deleted: true, owns: null });
    expect(users.byId(id)).toBeUndefined();
    expect(users.delete(id)).toEqual({ deleted: false, owns: null });
    db.close();
  });
  it('refuses a database newer than the code', () => {
    const db = openDb(':memory:');
    db.pragma('user_version = 999');
    expect(() => migrate(db)).toThrow(/newer than this switchpost/);
  });
});

describe('systemd unit', () => {
  const analyze = spawnSync('systemd-analyze', ['--version']);
  it.skipIf(analyze.error !== undefined)('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', new URL('../../systemd/switchpost.service', import.meta.url).pathname], { encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => l.includes('switchpost.service') && !/No such file|Failed to resolve|not executable/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  });
});
