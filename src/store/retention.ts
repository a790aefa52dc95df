import { documentKey, MAX_RETENTION_HOURS } from '../core/documents.js';
import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';

/** The user's v1 setting as the sweep reads it from the profile: a whole number of hours in range, else none. */
const HOURS = `CAST(u.profile ->> '$.maximum_document_retention_hours' AS INTEGER)`;

/**
 * Finished jobs whose user keeps documents `maximum_document_retention_hours` and whose time is up:
 * the users that have the setting, then each one's range of the partial index of jobs that keep
 * documents (CROSS JOIN keeps SQLite to that order, rather than a scan of every job that keeps documents).
 */
export const DUE = `SELECT j.id FROM users u CROSS JOIN jobs j ON j.user_id = u.id AND j.documents = 'kept'
  WHERE ${HOURS} BETWEEN 1 AND ${MAX_RETENTION_HOURS} AND j.status <> 'submitted' AND j.completed_at <= @now - 3600000 * ${HOURS}
  LIMIT @limit`;

/**
 * Document retention's SQL (the v1 user setting `maximum_document_retention_hours`): each step one
 * statement over a batch, its rows bound as one JSON array. Runs on the spool engine's thread
 * (spool/retention.ts drives it).
 */
export class RetentionStore {
  constructor(private readonly db: StoreDb) {}

  /**
   * Mark up to `limit` jobs whose documents' time is up as removed, drop their files from what jobs
   * keep, and queue for removal those of their files that no job keeps now and no ICTCore message
   * names (its converted fax or recording may be the same file). One transaction; the jobs marked.
   */
  expire(now: number, limit: number): number {
    return this.db.transaction(() => {
      const ids = (stmt(this.db, DUE).all({ now, limit }) as { id: number }[]).map((r) => r.id);
      if (ids.length === 0) return 0;
      const batch = JSON.stringify(ids);
      stmt(this.db, `UPDATE jobs SET documents = 'removed', documents_removed_at = ? WHERE id IN (SELECT value FROM json_each(?))`).run(now, batch);
      const files = (stmt(this.db, 'SELECT DISTINCT file FROM job_files WHERE job_id IN (SELECT value FROM json_each(?))').all(batch) as { file: string }[]).map((r) => r.file);
      stmt(this.db, 'DELETE FROM job_files WHERE job_id IN (SELECT value FROM json_each(?))').run(batch);
      const named = this.messageFiles();
      const free = files.filter((f) => !named.has(f));
      stmt(this.db, 'INSERT OR IGNORE INTO file_removals (file, queued_at) SELECT value, ? FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM job_files f WHERE f.file = value)').run(now, JSON.stringify(free));
      return ids.length;
    })();
  }

  /** Up to `limit` files queued for removal, oldest first. */
  pending(limit: number): string[] {
    return (stmt(this.db, 'SELECT file FROM file_removals ORDER BY queued_at, file LIMIT ?').all(limit) as { file: string }[]).map((r) => r.file);
  }

  /** Of `files`, those a job keeps or an ICTCore message names now (a job made since the queueing). */
  inUse(files: readonly string[]): Set<string> {
    const named = this.messageFiles();
    const kept = (stmt(this.db, 'SELECT DISTINCT file FROM job_files WHERE file IN (SELECT value FROM json_each(?))').all(JSON.stringify(files)) as { file: string }[]).map((r) => r.file);
    return new Set([...kept, ...files.filter((f) => named.has(f))]);
  }

  /** Take these files off the queue (unlinked, or kept by a job again). */
  done(files: readonly string[]): void {
    if (files.length) stmt(this.db, 'DELETE FROM file_removals WHERE file IN (SELECT value FROM json_each(?))').run(JSON.stringify(files));
  }

  /** The document files ICTCore's messages (documents, recordings) send: their converted fax TIFF or WAV. */
  private messageFiles(): Set<string> {
    // Parsed here, not by the engine: a media that is not JSON is skipped alike on SQLite and PostgreSQL
    // (whose cast to jsonb would refuse the whole statement).
    const rows = stmt(this.db, `SELECT media FROM messages WHERE media IS NOT NULL AND media LIKE '%"converted"%'`).all() as { media: string }[];
    return new Set(rows.flatMap((r) => documentKey(convertedOf(r.media) ?? '') ?? []));
  }
}

/** A message's converted file (`media.converted`), or null when its media is not JSON or names none. */
function convertedOf(media: string): string | null {
  try {
    const m = JSON.parse(media) as unknown;
    const c = m && typeof m === 'object' ? (m as Record<string, unknown>).converted : undefined;
    return typeof c === 'string' ? c : null;
  } catch {
    return null;
  }
}
