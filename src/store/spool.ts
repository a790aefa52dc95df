import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { SpoolBatch, type CurrentRow } from './spool-batch.js';
import type { OpenAttempt } from '../core/jobs.js';
import { PUSH_EXPIRED_FALLBACK } from '../core/mms/push-outcomes.js';

export type { AttemptRef, CurrentRow } from './spool-batch.js';

export interface DueRow {
  id: number;
  job_id: number;
  /** The last attempt (a retry avoids its provider when another can take it). */
  attempt_id: number | null;
  destination: string;
  address: string | null;
  name: string | null;
  reference: string | null;
  fields: string | null;
  blackouts: string | null;
  tries: number;
}

const DUE_COLUMNS = 'id, job_id, attempt_id, destination, address, name, reference, fields, blackouts, tries';
/**
 * The claim's reads of due rows, exported for their PostgreSQL texts (`pg/overrides.ts`): there each
 * locks the rows it returns (`FOR UPDATE OF recipients SKIP LOCKED`) in the claim's transaction, so two
 * nodes claiming at once read disjoint rows. SQLite has one writer: its texts lock nothing.
 * The `Except` forms leave out the jobs of channels other live nodes carry and this one does not.
 */
const NOT_CHANNELS = `AND job_id NOT IN (SELECT id FROM jobs WHERE channel IN (SELECT value FROM json_each(@except)))`;
export const DUE_SQL = {
  due: `SELECT ${DUE_COLUMNS} FROM recipients
         WHERE state = 'queued' AND due_at <= ? ORDER BY due_at LIMIT ?`,
  duePrioritised: `SELECT ${DUE_COLUMNS} FROM recipients INDEXED BY recipients_priority
         WHERE state = 'queued' AND priority IS NOT NULL AND due_at <= ? ORDER BY priority, due_at LIMIT ?`,
  dueExcept: `SELECT ${DUE_COLUMNS} FROM recipients
         WHERE state = 'queued' AND due_at <= @now ${NOT_CHANNELS} ORDER BY due_at LIMIT @limit`,
  duePrioritisedExcept: `SELECT ${DUE_COLUMNS} FROM recipients INDEXED BY recipients_priority
         WHERE state = 'queued' AND priority IS NOT NULL AND due_at <= @now ${NOT_CHANNELS} ORDER BY priority, due_at LIMIT @limit`,
  /** One row again, for a claim of its own (after a batch's failed): still queued and due, and free. */
  dueOne: `SELECT ${DUE_COLUMNS} FROM recipients WHERE id = ? AND state = 'queued' AND due_at <= ?`,
} as const;

/**
 * Whose leases a statement touches: a node's (`node`, its attempts' node_id) and, when `legacy`, the
 * rows whose attempt names no node (made before migration 13, or by a store given no node id). In SQL
 * `(a.node_id = @node OR a.node_id IS @orNull)`: @orNull is NULL for legacy rows too, else the node again.
 */
export interface LeaseScope {
  node: string | null;
  legacy: boolean;
}
const scopeParams = (scope: LeaseScope) => ({ node: scope.node, orNull: scope.legacy ? null : scope.node });
const OWNED = `(a.node_id = @node OR a.node_id IS @orNull)`;

const CURRENT_COLUMNS = 'id, job_id, state, reason, tries, attempt_id, destination, address, name, reference, cost, duration, keypress, voicemail';

export interface JobCounterDelta {
  done: number;
  succeeded: number;
  failed: number;
  cost: number;
}

/** The spool's statements, prepared once; callers group them into transactions. */
/** A recipient past its due_at, with its current attempt's encoding (an MMS's path) and status. */
export interface OverdueRow {
  id: number;
  job_id: number;
  attempt_id: number | null;
  tries: number;
  encoding: string | null;
  attempt_status: string | null;
  provider_id: number | null;
}

export class SpoolStore {
  readonly tx: <T>(fn: () => T) => T;
  /** The set-based statements of claims and flushes, prepared once for this connection. */
  readonly batch: SpoolBatch;
  /** This node's leases and the legacy rows: what a restart of it recovers. */
  readonly own: LeaseScope;
  private readonly s;

  /** `nodeId`: node.id of the daemon whose engine this is (its attempts carry it). */
  constructor(
    readonly db: StoreDb,
    nodeId: string | null = null,
  ) {
    this.tx = <T>(fn: () => T): T => db.transaction(fn)();
    this.batch = new SpoolBatch(db, nodeId);
    this.own = { node: nodeId, legacy: true };
    this.s = {
      due: db.prepare(DUE_SQL.due),
      duePrioritised: db.prepare(DUE_SQL.duePrioritised),
      dueOne: db.prepare(DUE_SQL.dueOne),
      nextDueAt: db.prepare(`SELECT MIN(due_at) AS t FROM recipients WHERE state = 'queued'`),
      overdue: db.prepare(
        `SELECT r.id, r.job_id, r.attempt_id, r.tries, a.encoding, a.status AS attempt_status, a.provider_id FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state = ? AND r.due_at <= ? ORDER BY r.due_at LIMIT ?`,
      ),
      // A node's own leases past their due time (the sweep never takes another live node's).
      overdueLeases: db.prepare(
        `SELECT r.id, r.job_id, r.attempt_id, r.tries, a.encoding, a.status AS attempt_status, a.provider_id FROM recipients r JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state = 'sending' AND r.due_at <= @now AND ${OWNED} ORDER BY r.due_at LIMIT @limit`,
      ),
      reschedule: db.prepare(`UPDATE recipients SET due_at = ?, reason = ? WHERE id = ?`),
      current: db.prepare(`SELECT ${CURRENT_COLUMNS} FROM recipients WHERE id = ?`),
      unvalidated: db.prepare(`SELECT id, seq, destination FROM recipients WHERE job_id = ? AND seq > ? AND state = 'queued' AND address IS NULL ORDER BY seq LIMIT ?`),
      openJobs: db.prepare(`SELECT id FROM jobs WHERE status = 'submitted' ORDER BY id`),
      openWithPeer: db.prepare(
        `SELECT a.id AS attemptId, r.id AS recipientId, a.destination, a.peer_id AS peerId, r.state AS state FROM recipients r JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state IN ('sending', 'submitted') AND a.provider_id = @provider AND a.peer_id IS NOT NULL AND ${OWNED}`,
      ),
      // A fax's pages that arrived in failed tries since its last success, and T.38 failures to its number.
      faxPagesSent: db.prepare(
        `SELECT COALESCE(SUM(parts), 0) AS pages FROM attempts WHERE recipient_id = ? AND status = 'failed_retryable' AND parts > 0
           AND id > COALESCE((SELECT MAX(id) FROM attempts WHERE recipient_id = ? AND status = 'delivered'), 0)`,
      ),
      // A T.38 failure is an attempt stored under core/fax.ts's T38_FAILURE_CODE (read from mod_spandsp's fax_t38_status).
      faxT38Failed: db.prepare(
        `SELECT 1 FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.destination = ? AND j.channel = 'fax' AND a.ended_at > ?
           AND a.response LIKE 'fax!_t38!_%' ESCAPE '!' LIMIT 1`,
      ),
      insertResult: db.prepare(`INSERT INTO results (attempt_id, recipient_id, job_id, kind, value, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      jobCounters: db.prepare(
        `UPDATE jobs SET remaining = remaining - @done, succeeded = succeeded + @succeeded, failed = failed + @failed, cost = cost + @cost,
           status = CASE WHEN status = 'submitted' AND remaining - @done <= 0 THEN 'complete' ELSE status END,
           completed_at = CASE WHEN completed_at IS NULL AND remaining - @done <= 0 THEN @now ELSE completed_at END
         WHERE id = @id RETURNING status, remaining, succeeded, failed, user_id`,
      ),
      interruptAttempts: db.prepare(
        `UPDATE attempts SET status = 'interrupted', ended_at = @now WHERE id IN (SELECT r.attempt_id FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.state = 'sending' AND ${OWNED})
           AND id NOT IN (SELECT value FROM json_each(@keep))`,
      ),
      requeueLeased: db.prepare(
        `UPDATE recipients SET state = 'queued', due_at = @now, reason = @reason WHERE state = 'sending' AND attempt_id NOT IN (SELECT value FROM json_each(@keep))
           AND attempt_id IN (SELECT a.id FROM attempts a WHERE ${OWNED})`,
      ),
      leasedWithPeer: db.prepare(`SELECT a.id FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.state = 'sending' AND a.peer_id IS NOT NULL AND ${OWNED}`),
      leasedBy: db.prepare(
        `SELECT r.id, r.job_id, r.tries, r.attempt_id, a.unsent FROM recipients r JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state = 'sending' AND r.attempt_id NOT IN (SELECT value FROM json_each(@keep)) AND ${OWNED}`,
      ),
      markOnWire: db.prepare(`UPDATE attempts SET unsent = 0 WHERE id IN (SELECT value FROM json_each(?))`),
      // The attempts of the given ids that never left give their recipients' tries back: one statement each.
      giveBackTries: db.prepare(`UPDATE recipients SET tries = MAX(0, tries - 1) WHERE state = 'sending'
         AND attempt_id IN (SELECT a.id FROM attempts a WHERE a.id IN (SELECT value FROM json_each(?)) AND a.unsent = 1)`),
      extendLease: db.prepare(`UPDATE recipients SET due_at = ? WHERE state = 'sending' AND attempt_id IN (SELECT value FROM json_each(?))`),
    };
  }

  /**
   * Due rows: prioritised ones first, lowest priority number first (up to half the batch when others
   * wait too), then the rest by due time.
   */
  due(now: number, limit: number, exceptChannels: readonly string[] = []): DueRow[] {
    // Leaving channels out is a node's among others: a lone node (SQLite's) reads as it always has.
    const read = (prioritised: boolean): DueRow[] => {
      if (exceptChannels.length === 0) return (prioritised ? this.s.duePrioritised : this.s.due).all(now, limit) as DueRow[];
      return stmt(this.db, prioritised ? DUE_SQL.duePrioritisedExcept : DUE_SQL.dueExcept).all({ now, limit, except: JSON.stringify(exceptChannels) }) as DueRow[];
    };
    const urgent = read(true);
    if (urgent.length === 0) return read(false);
    const taken = new Set(urgent.map((u) => u.id));
    const rest = read(false).filter((r) => !taken.has(r.id));
    const share = rest.length ? Math.max(1, Math.ceil(limit / 2)) : limit;
    const first = urgent.slice(0, share);
    return [...first, ...rest.slice(0, limit - first.length)];
  }

  /** When the next queued row falls due (null: none queued), for a dispatcher that sleeps until then. */
  nextDueAt(): number | null {
    return (this.s.nextDueAt.get() as { t: number | null }).t;
  }

  /** The row, if it is still queued and due (and, on PostgreSQL, not locked by another node's claim: then locked by this one's). */
  dueOne(id: number, now: number): DueRow | undefined {
    return this.s.dueOne.get(id, now) as DueRow | undefined;
  }

  /**
   * Rows in `state` whose due_at (lease or receipt deadline) has passed, with their current attempt's
   * encoding (an MMS's path) and status. Leases ('sending') only of `scope` (by default this node's and
   * legacy rows): another live node's are its own to sweep. Receipt deadlines are anyone's.
   */
  overdue(state: 'sending' | 'submitted', now: number, limit: number, scope: LeaseScope = this.own): OverdueRow[] {
    if (state === 'sending') return this.s.overdueLeases.all({ now, limit, ...scopeParams(scope) }) as OverdueRow[];
    return this.s.overdue.all(state, now, limit) as OverdueRow[];
  }

  reschedule(id: number, dueAt: number, reason: string | null): void {
    this.s.reschedule.run(dueAt, reason, id);
  }

  current(id: number): CurrentRow | undefined {
    return this.s.current.get(id) as CurrentRow | undefined;
  }

  /** Each attempt's provider, for a claim's retries: one query for the batch. */
  providersOf(attemptIds: readonly number[]): Map<number, number | null> {
    if (attemptIds.length === 0) return new Map();
    const rows = stmt(this.db, 'SELECT id, provider_id FROM attempts WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(attemptIds)) as { id: number; provider_id: number | null }[];
    return new Map(rows.map((r) => [r.id, r.provider_id]));
  }

  /** Queued recipients of a job whose number is not validated yet, after `afterSeq`, in order. */
  unvalidated(jobId: number, afterSeq: number, limit: number): { id: number; seq: number; destination: string }[] {
    return this.s.unvalidated.all(jobId, afterSeq, limit) as { id: number; seq: number; destination: string }[];
  }

  openJobs(): number[] {
    return (this.s.openJobs.all() as { id: number }[]).map((r) => r.id);
  }

  /** Leased attempts the peer already knows by id (calls placed), of `scope`: left leased at shutdown for the node's next run to adopt. */
  leasedWithPeer(scope: LeaseScope = this.own): number[] {
    return (this.s.leasedWithPeer.all(scopeParams(scope)) as { id: number }[]).map((r) => r.id);
  }

  /** A provider's attempts this node left open with a peer id (calls placed or up), for reconciling after a restart; other nodes' are theirs. */
  openWithPeer(providerId: number): OpenAttempt[] {
    return this.s.openWithPeer.all({ provider: providerId, ...scopeParams(this.own) }) as OpenAttempt[];
  }

  /**
   * What earlier tries tell a fax's next one, from the attempts table (so it survives restarts): the
   * pages already received (the next try starts after them) and whether T.38 failed to this number
   * within `audioDays` (then it goes in audio mode).
   */
  faxHistory(recipientId: number, destination: string, now: number, audioDays = 30): { startPage: number; audio: boolean } {
    const { pages } = this.s.faxPagesSent.get(recipientId, recipientId) as { pages: number };
    return { startPage: pages, audio: this.s.faxT38Failed.get(destination, now - audioDays * 86_400_000) !== undefined };
  }

  /** Whether an earlier try of this recipient was a WAP Push that expired for its link fallback (from the attempts: it survives restarts). */
  pushExpired(recipientId: number): boolean {
    return stmt(this.db, "SELECT 1 FROM attempts WHERE recipient_id = ? AND encoding = 'wap_push' AND response LIKE ? LIMIT 1").get(recipientId, `${PUSH_EXPIRED_FALLBACK} %`) !== undefined;
  }

  insertResult(attemptId: number | null, recipientId: number, jobId: number, kind: string, value: string | null, data: unknown, now: number): void {
    this.s.insertResult.run(attemptId, recipientId, jobId, kind, value, data === undefined ? null : JSON.stringify(data), now);
  }

  applyJobCounters(jobId: number, d: JobCounterDelta, now: number): { status: string; remaining: number; succeeded: number; failed: number; user_id: number } | undefined {
    return this.s.jobCounters.get({ id: jobId, ...d, now }) as { status: string; remaining: number; succeeded: number; failed: number; user_id: number } | undefined;
  }

  /** Rows leased by `scope` (this node's previous run, at start; a dead node's), but for `keep`: what a crash left in flight. */
  leasedBy(keep: readonly number[], scope: LeaseScope = this.own): { id: number; job_id: number; tries: number; attempt_id: number; unsent: number }[] {
    return this.s.leasedBy.all({ keep: JSON.stringify(keep), ...scopeParams(scope) }) as { id: number; job_id: number; tries: number; attempt_id: number; unsent: number }[];
  }

  /** These attempts go on the wire now: from here a crash counts their try. */
  markOnWire(attemptIds: readonly number[]): void {
    this.s.markOnWire.run(JSON.stringify(attemptIds));
  }

  /**
   * Leased attempts that never left: their tries are given back (before their leases are recovered), once —
   * the mark goes with them, so a start-up interrupted before the leases are recovered cannot give them
   * back twice. Set-based: two statements however many a previous run left.
   */
  giveBackTries(attemptIds: readonly number[]): void {
    if (attemptIds.length === 0) return;
    const ids = JSON.stringify(attemptIds);
    this.tx(() => {
      this.s.giveBackTries.run(ids);
      this.s.markOnWire.run(ids);
    });
  }

  /**
   * After a crash or restart: every row `scope` leased (by default this node's and legacy rows) belonged
   * to a dead process; its attempt is interrupted — except attempts a gateway adopts (`keep`: calls it
   * can still find), whose leases are renewed (not a dead node's: `leaseUntil` null leaves them as they are).
   * Other nodes' leases are never touched.
   */
  recoverLeases(now: number, keep: readonly number[] = [], leaseUntil: number | null = now, scope: LeaseScope = this.own): number {
    const kept = JSON.stringify(keep);
    const whose = scopeParams(scope);
    const reason = scope.legacy ? 'requeued after restart' : `requeued: its node ${scope.node ?? ''} stopped answering`;
    return this.tx(() => {
      this.s.interruptAttempts.run({ now, keep: kept, ...whose });
      if (keep.length && leaseUntil !== null) this.s.extendLease.run(leaseUntil, kept);
      return this.s.requeueLeased.run({ now, keep: kept, reason, ...whose }).changes;
    });
  }
}
