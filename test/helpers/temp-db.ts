import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDb, type Db } from '../../dist/store/db.js';

/** A migrated SQLite file of its own for each test of the calling file; `db()` is the current one. */
export function tempDb(): () => Db {
  let dir = '';
  let db: Db | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchpost-db-'));
    db = openDb(join(dir, 'spool.db'));
    migrate(db);
  });
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => db!;
}

/** One user (id 1), one sandbox provider (id 1) and one SMS job of `n` queued recipients (ids 1..n); the job's id. */
export function seedJob(db: Db, n: number): number {
  db.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0)`).run();
  db.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES ('p', 'sandbox', '["sms"]', '{}', 0, 0)`).run();
  const job = Number(db.prepare(`INSERT INTO jobs (user_id, face, channel, name, content, options, total, remaining, created_at) VALUES (1, 'v1', 'sms', 'b', '{}', '{}', ?, ?, 0)`).run(n, n).lastInsertRowid);
  const add = db.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, ?, ?, 'queued', 0)`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) add.run(job, i, `+6149157${String(i).padStart(4, '0')}`);
  })();
  return job;
}
