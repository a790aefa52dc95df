import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';

/** What a job's timer sends: the batch of its replies (at its reply window's end), or its report. */
export type MailTimerKind = 'replies' | 'report';

export interface MailTimer {
  job_id: number;
  kind: MailTimerKind;
  due_at: number;
}

/**
 * The durable timers of the e-mails a job sends later (migration 16). A timer is set in the transaction
 * that decides it and removed in the one that makes its e-mail's job: a crash between the two runs it
 * again, never twice.
 */
export class MailTimerStore {
  constructor(private readonly db: StoreDb) {}

  /** Set a job's timer; one already set for the job and kind stays as it is. */
  set(jobId: number, kind: MailTimerKind, dueAt: number): void {
    stmt(this.db, 'INSERT INTO mail_timers (job_id, kind, due_at) VALUES (?, ?, ?) ON CONFLICT (job_id, kind) DO NOTHING').run(jobId, kind, dueAt);
  }

  /** The timers due by `now`, soonest first. */
  due(now: number, limit: number): MailTimer[] {
    return stmt(this.db, 'SELECT job_id, kind, due_at FROM mail_timers WHERE due_at <= ? ORDER BY due_at LIMIT ?').all(now, limit) as MailTimer[];
  }

  /** When the next timer is due, or null when none is set. */
  next(): number | null {
    return (stmt(this.db, 'SELECT MIN(due_at) AS at FROM mail_timers').get() as { at: number | null }).at;
  }

  /** Done: its e-mail's job is made (or it has nothing to send). */
  remove(jobId: number, kind: MailTimerKind): void {
    stmt(this.db, 'DELETE FROM mail_timers WHERE job_id = ? AND kind = ?').run(jobId, kind);
  }

  /** Try again later (its e-mail could not be made now). */
  postpone(jobId: number, kind: MailTimerKind, dueAt: number): void {
    stmt(this.db, 'UPDATE mail_timers SET due_at = ? WHERE job_id = ? AND kind = ?').run(dueAt, jobId, kind);
  }
}
