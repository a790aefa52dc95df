import type { StoreDb } from './store-db.js';

/** A callback ready for the outbox: the face decides its format, the outbox only delivers it. */
export interface CallbackRequest {
  kind: string;
  url: string;
  contentType: string;
  body: string;
}

export interface CallbackRow {
  id: number;
  kind: string;
  url: string;
  content_type: string;
  body: string;
  tries: number;
}

/** How a recipient's callbacks went: failed if one failed for good, else pending while one waits. */
export interface CallbackStatus {
  state: 'pending' | 'delivered' | 'failed';
  /** The last error (of the failed one, or of a pending one being retried). */
  error: string | null;
}

/** A callback and whose change it reports, as a batch writes it. */
export interface QueuedCallback {
  req: CallbackRequest;
  owner: { userId: number; jobId: number | null; recipientId: number | null };
}

const RANK = { delivered: 0, pending: 1, failed: 2 } as const;

export class CallbackStore {
  private readonly s;
  constructor(private readonly db: StoreDb) {
    this.s = {
      insert: db.prepare(`INSERT INTO callbacks (user_id, job_id, recipient_id, kind, url, content_type, body, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertMany: db.prepare(
        `INSERT INTO callbacks (user_id, job_id, recipient_id, kind, url, content_type, body, next_at, created_at)
         SELECT v.value->>0, v.value->>1, v.value->>2, v.value->>3, v.value->>4, v.value->>5, v.value->>6, @at, @at FROM jsonb_each(@rows) v`,
      ),
      due: db.prepare(`SELECT id, kind, url, content_type, body, tries FROM callbacks WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`),
      nextAt: db.prepare(`SELECT MIN(next_at) AS t FROM callbacks WHERE state = 'pending'`),
      delivered: db.prepare(`UPDATE callbacks SET state = 'delivered', tries = tries + 1, done_at = ?, last_error = NULL WHERE id = ?`),
      retry: db.prepare(`UPDATE callbacks SET tries = tries + 1, next_at = ?, last_error = ? WHERE id = ?`),
      failed: db.prepare(`UPDATE callbacks SET state = 'failed', tries = tries + 1, done_at = ?, last_error = ? WHERE id = ?`),
      ofJob: db.prepare(`SELECT recipient_id, state, last_error FROM callbacks WHERE job_id = ? AND recipient_id IS NOT NULL ORDER BY recipient_id, id`),
    };
  }

  /** Called inside the transaction that records the change being reported. */
  enqueue(req: CallbackRequest, owner: { userId: number; jobId: number | null; recipientId: number | null }, now: number): void {
    this.s.insert.run(owner.userId, owner.jobId, owner.recipientId, req.kind, req.url, req.contentType, req.body, now, now);
  }

  /** A batch's callbacks in one statement, in order; inside the transaction that records the changes. */
  enqueueMany(list: readonly QueuedCallback[], now: number): void {
    if (list.length === 0) return;
    this.s.insertMany.run({ at: now, rows: JSON.stringify(list.map(({ req, owner }) => [owner.userId, owner.jobId, owner.recipientId, req.kind, req.url, req.contentType, req.body])) });
  }

  due(now: number, limit: number): CallbackRow[] {
    return this.s.due.all(now, limit) as CallbackRow[];
  }

  nextAt(): number | null {
    return (this.s.nextAt.get() as { t: number | null }).t;
  }

  delivered(id: number, now: number): void {
    this.s.delivered.run(now, id);
  }

  retry(id: number, nextAt: number, error: string): void {
    this.s.retry.run(nextAt, error.slice(0, 500), id);
  }

  failed(id: number, now: number, error: string): void {
    this.s.failed.run(now, error.slice(0, 500), id);
  }

  /** Each recipient's callback status in a job (recipients without callbacks are absent). */
  statusByRecipient(jobId: number): Map<number, CallbackStatus> {
    const out = new Map<number, CallbackStatus>();
    for (const r of this.s.ofJob.all(jobId) as { recipient_id: number; state: CallbackStatus['state']; last_error: string | null }[]) {
      const seen = out.get(r.recipient_id);
      if (!seen || RANK[r.state] >= RANK[seen.state]) out.set(r.recipient_id, { state: r.state, error: r.last_error });
    }
    return out;
  }
}
