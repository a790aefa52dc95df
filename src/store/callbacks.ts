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

/** A node's claim on a callback it delivers: its node.id and the claim's end, as the claim wrote them. */
export interface CallbackClaim {
  node: string;
  until: number;
}

const RANK = { delivered: 0, pending: 1, failed: 2 } as const;

/**
 * The due callbacks, claimed in the one statement that picks them: a node's claim keeps every other
 * node off a row until it ends. PostgreSQL's text (`pg/overrides.ts`) locks the picked rows with
 * FOR UPDATE SKIP LOCKED, so two nodes claiming at once take different rows instead of waiting.
 */
export const CLAIM_DUE_SQL = `UPDATE callbacks SET claimed_by = @node, claimed_until = @until
 WHERE id IN (SELECT id FROM callbacks WHERE state = 'pending' AND next_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now) ORDER BY next_at LIMIT @limit)
 RETURNING id, kind, url, content_type, body, tries, next_at`;

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
      claim: db.prepare(CLAIM_DUE_SQL),
      // A claimed row is next due when its claim ends (if its holder has not written its result by then).
      nextAt: db.prepare(`SELECT MIN(CASE WHEN claimed_until > next_at THEN claimed_until ELSE next_at END) AS t FROM callbacks WHERE state = 'pending'`),
      releaseNode: db.prepare(`UPDATE callbacks SET claimed_by = NULL, claimed_until = NULL WHERE state = 'pending' AND claimed_by = ?`),
      claimedDelivered: db.prepare(`UPDATE callbacks SET state = 'delivered', tries = tries + 1, done_at = ?, last_error = NULL, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ? AND claimed_until = ?`),
      claimedRetry: db.prepare(`UPDATE callbacks SET tries = tries + 1, next_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ? AND claimed_until = ?`),
      claimedFailed: db.prepare(`UPDATE callbacks SET state = 'failed', tries = tries + 1, done_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ? AND claimed_until = ?`),
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

  /**
   * Up to `limit` due callbacks nobody holds (or whose claim has ended), claimed for `claim.node` until
   * `claim.until`, oldest due first. What it returns is this node's to deliver; the result is written
   * with the same claim (`delivered`, `retry`, `failed`), and only while nobody has claimed it since.
   */
  claim(now: number, limit: number, claim: CallbackClaim): CallbackRow[] {
    const rows = this.s.claim.all({ node: claim.node, until: claim.until, now, limit }) as (CallbackRow & { next_at: number })[];
    // RETURNING's order is the engine's: the oldest first, as `due` gives them.
    return rows.sort((a, b) => a.next_at - b.next_at || a.id - b.id).map(({ next_at: _, ...row }) => row);
  }

  /**
   * The claims a node's earlier run left (it stopped or died mid-delivery): due again at once. Only a
   * node's own: a node.id is one daemon's, so its new run knows the old one is gone.
   */
  releaseClaims(node: string): number {
    return this.s.releaseNode.run(node).changes;
  }

  nextAt(): number | null {
    return (this.s.nextAt.get() as { t: number | null }).t;
  }

  /** Delivered; with a claim, only while it is still that claim's (false: another node took it since). */
  delivered(id: number, now: number, claim?: CallbackClaim): boolean {
    return (claim ? this.s.claimedDelivered.run(now, id, claim.node, claim.until) : this.s.delivered.run(now, id)).changes === 1;
  }

  /** Due again at `nextAt` (its claim given up); with a claim, only while it is still that claim's. */
  retry(id: number, nextAt: number, error: string, claim?: CallbackClaim): boolean {
    return (claim ? this.s.claimedRetry.run(nextAt, error.slice(0, 500), id, claim.node, claim.until) : this.s.retry.run(nextAt, error.slice(0, 500), id)).changes === 1;
  }

  /** Failed for good; with a claim, only while it is still that claim's. */
  failed(id: number, now: number, error: string, claim?: CallbackClaim): boolean {
    return (claim ? this.s.claimedFailed.run(now, error.slice(0, 500), id, claim.node, claim.until) : this.s.failed.run(now, error.slice(0, 500), id)).changes === 1;
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
