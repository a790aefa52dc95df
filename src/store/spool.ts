import { stmt, type Db } from './db.js';
import type { RecipientState } from '../core/model.js';
import type { OpenAttempt } from '../core/jobs.js';

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

export interface CurrentRow {
  id: number;
  job_id: number;
  state: RecipientState;
  reason: string | null;
  tries: number;
  attempt_id: number | null;
  destination: string;
  address: string | null;
  name: string | null;
  reference: string | null;
  cost: number | null;
  duration: number | null;
  keypress: string | null;
  voicemail: number | null;
}

const CURRENT_COLUMNS = 'id, job_id, state, reason, tries, attempt_id, destination, address, name, reference, cost, duration, keypress, voicemail';

export interface AttemptRef {
  id: number;
  recipient_id: number;
  job_id: number;
  provider_id: number | null;
  /** The address the attempt went to (E.164 or e-mail). */
  destination: string;
}

export interface JobCounterDelta {
  done: number;
  succeeded: number;
  failed: number;
  cost: number;
}

/** The spool's statements, prepared once; callers group them into transactions. */
export class SpoolStore {
  readonly tx: <T>(fn: () => T) => T;
  private readonly s;

  constructor(readonly db: Db) {
    this.tx = <T>(fn: () => T): T => db.transaction(fn)();
    this.s = {
      due: db.prepare(
        `SELECT id, job_id, attempt_id, destination, address, name, reference, fields, blackouts, tries FROM recipients
         WHERE state = 'queued' AND due_at <= ? ORDER BY due_at LIMIT ?`,
      ),
      duePrioritised: db.prepare(
        `SELECT id, job_id, attempt_id, destination, address, name, reference, fields, blackouts, tries FROM recipients INDEXED BY recipients_priority
         WHERE state = 'queued' AND priority IS NOT NULL AND due_at <= ? ORDER BY priority, due_at LIMIT ?`,
      ),
      overdue: db.prepare(`SELECT id, job_id, attempt_id, tries FROM recipients WHERE state = ? AND due_at <= ? ORDER BY due_at LIMIT ?`),
      reschedule: db.prepare(`UPDATE recipients SET due_at = ?, reason = ? WHERE id = ?`),
      lease: db.prepare(`UPDATE recipients SET state = 'sending', due_at = ?, address = ?, tries = tries + 1, attempt_id = ?, reason = NULL WHERE id = ?`),
      insertAttempt: db.prepare(
        // two_way puts a 2-way message in the index replies are matched by (one primary-key read of a cached page).
        `INSERT INTO attempts (recipient_id, job_id, provider_id, try, destination, sender, queued_at, started_at, status, two_way)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sending', (SELECT 1 FROM jobs WHERE id = ? AND channel IN ('sms2way', 'mms')))`,
      ),
      current: db.prepare(`SELECT ${CURRENT_COLUMNS} FROM recipients WHERE id = ?`),
      // Guarded updates: they apply only while the report's attempt is the recipient's current one and
      // the recipient is still open; no read before the write. (RETURNING would cost ~5 µs more each.)
      submitIfCurrent: db.prepare(
        `UPDATE recipients SET state = 'submitted', due_at = ?, sent_at = COALESCE(sent_at, ?), parts = COALESCE(?, parts)
         WHERE id = ? AND attempt_id = ? AND state = 'sending'`,
      ),
      finalizeIfCurrent: db.prepare(
        `UPDATE recipients SET state = ?, reason = ?, final_at = ?, due_at = ${Number.MAX_SAFE_INTEGER}, sent_at = COALESCE(sent_at, ?),
           parts = COALESCE(?, parts), cost = COALESCE(?, cost) WHERE id = ? AND attempt_id = ? AND state IN ('sending', 'submitted')`,
      ),
      attemptOf: db.prepare(`SELECT id, recipient_id, job_id, provider_id, destination FROM attempts WHERE id = ?`),
      // Peers reuse message ids (wrap-around, restarts): the newest attempt with the id is the one meant.
      attemptByPeer: db.prepare(`SELECT id, recipient_id, job_id, provider_id, destination FROM attempts WHERE provider_id = ? AND peer_id = ? ORDER BY id DESC LIMIT 1`),
      // A hold gives back the try the lease took: the attempt never reached the network.
      holdBack: db.prepare(`UPDATE recipients SET state = 'queued', due_at = ?, reason = ?, tries = MAX(0, tries - 1) WHERE id = ? AND attempt_id = ? AND state = 'sending'`),
      insertPart: db.prepare(`INSERT OR REPLACE INTO attempt_parts (attempt_id, part, provider_id, peer_id, updated_at) VALUES (?, ?, ?, ?, ?)`),
      partByPeer: db.prepare(
        `SELECT a.id, a.recipient_id, a.job_id, a.provider_id, a.destination, p.part FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id
         WHERE p.provider_id = ? AND p.peer_id = ? ORDER BY p.attempt_id DESC LIMIT 1`,
      ),
      setPartStatus: db.prepare(`UPDATE attempt_parts SET status = ?, response = ?, updated_at = ? WHERE attempt_id = ? AND part = ?`),
      partStatuses: db.prepare(`SELECT status FROM attempt_parts WHERE attempt_id = ? ORDER BY part`),
      callResult: db.prepare(`UPDATE recipients SET duration = ?, keypress = ?, voicemail = ? WHERE id = ? AND attempt_id = ?`),
      attemptDuration: db.prepare(`UPDATE attempts SET duration = ? WHERE id = ?`),
      requeue: db.prepare(`UPDATE recipients SET state = 'queued', due_at = ?, reason = ? WHERE id = ?`),
      finalizeQueued: db.prepare(`UPDATE recipients SET state = ?, reason = ?, final_at = ?, due_at = ${Number.MAX_SAFE_INTEGER} WHERE id = ? AND state = 'queued'`),
      unvalidated: db.prepare(`SELECT id, seq, destination FROM recipients WHERE job_id = ? AND seq > ? AND state = 'queued' AND address IS NULL ORDER BY seq LIMIT ?`),
      setAddress: db.prepare(`UPDATE recipients SET address = ? WHERE id = ? AND state = 'queued' AND address IS NULL`),
      openJobs: db.prepare(`SELECT id FROM jobs WHERE status = 'submitted' ORDER BY id`),
      attemptAccepted: db.prepare(`UPDATE attempts SET status = 'submitted', peer_id = ?, parts = ?, encoding = ?, connected_at = ? WHERE id = ?`),
      attemptAcceptedAndEnded: db.prepare(`UPDATE attempts SET peer_id = ?, parts = ?, encoding = ?, connected_at = ?, status = ?, response = ?, ended_at = ?, cost = COALESCE(?, cost) WHERE id = ?`),
      attemptPeer: db.prepare(`UPDATE attempts SET peer_id = ? WHERE id = ?`),
      renewLease: db.prepare(`UPDATE recipients SET due_at = ? WHERE id = ? AND attempt_id = ? AND state = 'sending'`),
      openWithPeer: db.prepare(
        `SELECT a.id AS attemptId, r.id AS recipientId, a.destination, a.peer_id AS peerId, r.state AS state FROM recipients r JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state IN ('sending', 'submitted') AND a.provider_id = ? AND a.peer_id IS NOT NULL`,
      ),
      attemptEnded: db.prepare(`UPDATE attempts SET status = ?, response = ?, ended_at = ?, cost = COALESCE(?, cost), parts = COALESCE(?, parts) WHERE id = ?`),
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
      jobFirstSent: db.prepare(`UPDATE jobs SET first_sent_at = ? WHERE id = ? AND first_sent_at IS NULL`),
      interruptAttempts: db.prepare(
        `UPDATE attempts SET status = 'interrupted', ended_at = ? WHERE id IN (SELECT attempt_id FROM recipients WHERE state = 'sending')
           AND id NOT IN (SELECT value FROM json_each(?))`,
      ),
      requeueLeased: db.prepare(`UPDATE recipients SET state = 'queued', due_at = ?, reason = 'requeued after restart' WHERE state = 'sending' AND attempt_id NOT IN (SELECT value FROM json_each(?))`),
      leasedWithPeer: db.prepare(`SELECT a.id FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.state = 'sending' AND a.peer_id IS NOT NULL`),
      // Only while the row is still as its hold left it (queued, that due time): not one that moved on since.
      pullForward: db.prepare(`UPDATE recipients SET due_at = ? WHERE id = ? AND state = 'queued' AND due_at = ? AND due_at > ?`),
      leasedBy: db.prepare(
        `SELECT r.id, r.job_id, r.tries, r.attempt_id, a.unsent FROM recipients r JOIN attempts a ON a.id = r.attempt_id
         WHERE r.state = 'sending' AND r.attempt_id NOT IN (SELECT value FROM json_each(?))`,
      ),
      markUnsent: db.prepare(`UPDATE attempts SET unsent = 1 WHERE id = ?`),
      markOnWire: db.prepare(`UPDATE attempts SET unsent = 0 WHERE id IN (SELECT value FROM json_each(?))`),
      giveBackTry: db.prepare(`UPDATE recipients SET tries = MAX(0, tries - 1) WHERE id = ? AND attempt_id = ? AND state = 'sending'
         AND EXISTS (SELECT 1 FROM attempts WHERE id = ? AND unsent = 1)`),
      clearUnsent: db.prepare(`UPDATE attempts SET unsent = 0 WHERE id = ?`),
      extendLease: db.prepare(`UPDATE recipients SET due_at = ? WHERE state = 'sending' AND attempt_id IN (SELECT value FROM json_each(?))`),
    };
  }

  /**
   * Due rows: prioritised ones first, lowest priority number first (up to half the batch when others
   * wait too), then the rest by due time.
   */
  due(now: number, limit: number): DueRow[] {
    const urgent = this.s.duePrioritised.all(now, limit) as DueRow[];
    if (urgent.length === 0) return this.s.due.all(now, limit) as DueRow[];
    const taken = new Set(urgent.map((u) => u.id));
    const rest = (this.s.due.all(now, limit) as DueRow[]).filter((r) => !taken.has(r.id));
    const share = rest.length ? Math.max(1, Math.ceil(limit / 2)) : limit;
    const first = urgent.slice(0, share);
    return [...first, ...rest.slice(0, limit - first.length)];
  }

  /** Rows in `state` whose due_at (lease or receipt deadline) has passed. */
  overdue(state: 'sending' | 'submitted', now: number, limit: number): { id: number; job_id: number; attempt_id: number | null; tries: number }[] {
    return this.s.overdue.all(state, now, limit) as { id: number; job_id: number; attempt_id: number | null; tries: number }[];
  }

  reschedule(id: number, dueAt: number, reason: string | null): void {
    this.s.reschedule.run(dueAt, reason, id);
  }

  insertAttempt(recipientId: number, jobId: number, providerId: number, tryNo: number, destination: string, sender: string | null, now: number): number {
    return Number(this.s.insertAttempt.run(recipientId, jobId, providerId, tryNo, destination, sender, now, now, jobId).lastInsertRowid);
  }

  lease(id: number, leaseUntil: number, address: string, attemptId: number): void {
    this.s.lease.run(leaseUntil, address, attemptId, id);
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

  attempt(id: number): AttemptRef | undefined {
    return this.s.attemptOf.get(id) as AttemptRef | undefined;
  }

  attemptByPeer(providerId: number, peerId: string): AttemptRef | undefined {
    return this.s.attemptByPeer.get(providerId, peerId) as AttemptRef | undefined;
  }

  /** Sending → submitted, if `attemptId` is still the recipient's current attempt; whether it applied. */
  submitIfCurrent(id: number, attemptId: number, receiptDeadline: number, now: number, parts: number | null): boolean {
    return this.s.submitIfCurrent.run(receiptDeadline, now, parts, id, attemptId).changes === 1;
  }

  /** Sending/submitted → a final state, if `attemptId` is still current; whether it applied. `sentAt` fills sent_at if unset. */
  finalizeIfCurrent(id: number, attemptId: number, state: RecipientState, reason: string | null, now: number, sentAt: number | null, parts: number | null, cost: number | null): boolean {
    return this.s.finalizeIfCurrent.run(state, reason, now, sentAt, parts, cost, id, attemptId).changes === 1;
  }

  requeue(id: number, dueAt: number, reason: string): void {
    this.s.requeue.run(dueAt, reason, id);
  }

  /** What an answered call produced, on its recipient (while the attempt is current) and its attempt. */
  setCallResult(recipientId: number, attemptId: number, duration: number, keypress: string | null, voicemail: boolean): void {
    this.s.callResult.run(duration, keypress, voicemail ? 1 : 0, recipientId, attemptId);
    this.s.attemptDuration.run(duration, attemptId);
  }

  /** Sending → queued without using a try, if `attemptId` is still current; whether it applied. */
  holdBack(id: number, attemptId: number, dueAt: number, reason: string): boolean {
    return this.s.holdBack.run(dueAt, reason, id, attemptId).changes === 1;
  }

  insertParts(attemptId: number, providerId: number, peerIds: readonly string[], now: number): void {
    peerIds.forEach((peerId, i) => this.s.insertPart.run(attemptId, i + 1, providerId, peerId, now));
  }

  /** The attempt (and which of its parts) a peer id of a multi-part message belongs to. */
  partByPeer(providerId: number, peerId: string): (AttemptRef & { part: number }) | undefined {
    return this.s.partByPeer.get(providerId, peerId) as (AttemptRef & { part: number }) | undefined;
  }

  /** Record one part's receipt; returns every part's status in order (null where none came yet). */
  partReceipt(attemptId: number, part: number, status: string, response: string | null, now: number): (string | null)[] {
    this.s.setPartStatus.run(status, response, now, attemptId, part);
    return (this.s.partStatuses.all(attemptId) as { status: string | null }[]).map((r) => r.status);
  }

  /** A queued recipient that never reached a gateway → final; whether it applied. A final row's due_at is far away so no sweep finds it. */
  finalizeQueued(id: number, state: RecipientState, reason: string, now: number): boolean {
    return this.s.finalizeQueued.run(state, reason, now, id).changes === 1;
  }

  /** Queued recipients of a job whose number is not validated yet, after `afterSeq`, in order. */
  unvalidated(jobId: number, afterSeq: number, limit: number): { id: number; seq: number; destination: string }[] {
    return this.s.unvalidated.all(jobId, afterSeq, limit) as { id: number; seq: number; destination: string }[];
  }

  /** Store a validated address, unless the dispatcher took the row meanwhile. */
  setAddress(id: number, address: string): void {
    this.s.setAddress.run(address, id);
  }

  openJobs(): number[] {
    return (this.s.openJobs.all() as { id: number }[]).map((r) => r.id);
  }

  attemptAccepted(attemptId: number, peerId: string | null, parts: number | null, encoding: string | null, now: number): void {
    this.s.attemptAccepted.run(peerId, parts, encoding, now, attemptId);
  }

  /** A leased attempt still under way (a call dialled, ringing): its lease runs from now again. */
  renewLease(recipientId: number, attemptId: number, leaseUntil: number): void {
    this.s.renewLease.run(leaseUntil, recipientId, attemptId);
  }

  attemptPeer(attemptId: number, peerId: string): void {
    this.s.attemptPeer.run(peerId, attemptId);
  }

  /** Leased attempts the peer already knows by id (calls placed): left leased at shutdown for the next run to adopt. */
  leasedWithPeer(): number[] {
    return (this.s.leasedWithPeer.all() as { id: number }[]).map((r) => r.id);
  }

  /** A provider's attempts still open with a peer id (calls placed or up), for reconciling after a restart. */
  openWithPeer(providerId: number): OpenAttempt[] {
    return this.s.openWithPeer.all(providerId) as OpenAttempt[];
  }

  /** Accepted and answered in one batch: one write. */
  attemptAcceptedAndEnded(attemptId: number, peerId: string | null, parts: number | null, encoding: string | null, acceptedAt: number, status: string, response: string | null, now: number, cost: number | null): void {
    this.s.attemptAcceptedAndEnded.run(peerId, parts, encoding, acceptedAt, status, response, now, cost, attemptId);
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

  attemptEnded(attemptId: number, status: string, response: string | null, now: number, cost: number | null = null, parts: number | null = null): void {
    this.s.attemptEnded.run(status, response, now, cost, parts, attemptId);
  }

  insertResult(attemptId: number | null, recipientId: number, jobId: number, kind: string, value: string | null, data: unknown, now: number): void {
    this.s.insertResult.run(attemptId, recipientId, jobId, kind, value, data === undefined ? null : JSON.stringify(data), now);
  }

  applyJobCounters(jobId: number, d: JobCounterDelta, now: number): { status: string; remaining: number; succeeded: number; failed: number; user_id: number } | undefined {
    return this.s.jobCounters.get({ id: jobId, ...d, now }) as { status: string; remaining: number; succeeded: number; failed: number; user_id: number } | undefined;
  }

  markJobSent(jobId: number, now: number): void {
    this.s.jobFirstSent.run(now, jobId);
  }

  /** Rows leased (by a previous run, at start), but for `keep`: what a crash left in flight. */
  leasedBy(keep: readonly number[]): { id: number; job_id: number; tries: number; attempt_id: number; unsent: number }[] {
    return this.s.leasedBy.all(JSON.stringify(keep)) as { id: number; job_id: number; tries: number; attempt_id: number; unsent: number }[];
  }

  /** The attempt is held back from the wire until `markOnWire`. */
  markUnsent(attemptId: number): void {
    this.s.markUnsent.run(attemptId);
  }

  /** These attempts go on the wire now: from here a crash counts their try. */
  markOnWire(attemptIds: readonly number[]): void {
    this.s.markOnWire.run(JSON.stringify(attemptIds));
  }

  /**
   * A leased attempt that never left: its try is given back (before its lease is recovered), once — the
   * mark goes with it, so a start-up interrupted before the lease is recovered cannot give it back twice.
   */
  giveBackTry(id: number, attemptId: number): void {
    this.tx(() => {
      this.s.giveBackTry.run(id, attemptId, attemptId);
      this.s.clearUnsent.run(attemptId);
    });
  }

  /** Held rows due now (their provider is back); rows taken, final or rescheduled meanwhile are left alone. */
  pullForward(held: readonly { id: number; dueAt: number }[], now: number): void {
    this.tx(() => {
      for (const h of held) this.s.pullForward.run(now, h.id, h.dueAt, now);
    });
  }

  /**
   * After a crash or restart: every leased row belonged to a dead process; its attempt is interrupted —
   * except attempts a gateway adopts (`keep`: calls it can still find), whose leases are renewed.
   */
  recoverLeases(now: number, keep: readonly number[] = [], leaseUntil = now): number {
    const kept = JSON.stringify(keep);
    return this.tx(() => {
      this.s.interruptAttempts.run(now, kept);
      if (keep.length) this.s.extendLease.run(leaseUntil, kept);
      return this.s.requeueLeased.run(now, kept).changes;
    });
  }
}
