import type { StoreDb } from './store-db.js';
import type { RecipientState } from '../core/model.js';

/**
 * The spool's set-based statements: each takes a whole batch (a claim's rows, a flush's reports) as one
 * JSON array bound once and runs one statement for it, so that a batch costs a few statements, not a few
 * per recipient — what a store across a network (PostgreSQL) needs; in SQLite it costs what prepared
 * per-row statements do. Rows are arrays, read by position (`value->>0`), which keeps the bound text
 * small; `jsonb_each` parses the text once (`json_each` re-parses a row's text for each column read: up
 * to 1.8× slower with ten columns). The batch drives each statement (its array first, then each row by
 * its key): a guard on state is written `+recipients.state` so that the planner never scans the state
 * index instead.
 * Guarded writes return the moves they applied to, by `moveKey`.
 */

export interface AttemptRef {
  id: number;
  recipient_id: number;
  job_id: number;
  provider_id: number | null;
  /** The address the attempt went to (E.164 or e-mail). */
  destination: string;
  /** The parts the peer took (null: not taken yet, or not counted): what a final outcome's cost counts. */
  parts: number | null;
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

/** An attempt the claim creates: one per recipient it sends. */
export interface NewAttempt {
  recipientId: number;
  jobId: number;
  providerId: number;
  tryNo: number;
  destination: string;
  sender: string | null;
  /** A 2-way message: indexed for matching replies. */
  twoWay: boolean;
  /** Held back from the wire until its gateway confirms it went (a last try). */
  unsent: boolean;
}

/** What one flush changes on an attempt; a field left null keeps its stored value. */
export interface AttemptPatch {
  id: number;
  peerId: string | null;
  parts: number | null;
  encoding: string | null;
  connectedAt: number | null;
  /** Set with its response (which may be null): the attempt's outcome. */
  status: string | null;
  response: string | null;
  endedAt: number | null;
  cost: number | null;
  duration: number | null;
}

export interface PartRow {
  attemptId: number;
  part: number;
  providerId: number;
  peerId: string;
  at: number;
}

export interface PartStatusRow {
  attemptId: number;
  part: number;
  status: string;
  response: string | null;
  at: number;
}

/** A recipient's move, applied only while `attemptId` is its current attempt (and its state allows). */
export interface GuardedRow {
  id: number;
  attemptId: number;
}

export interface FinalRow extends GuardedRow {
  state: RecipientState;
  reason: string | null;
  sentAt: number | null;
  parts: number | null;
  cost: number | null;
}

export interface ResultRow {
  attemptId: number | null;
  recipientId: number;
  jobId: number;
  kind: string;
  value: string | null;
  data: string | null;
  at: number;
}

const MAX_DUE = Number.MAX_SAFE_INTEGER;
const rows = (xs: unknown[][]): string => JSON.stringify(xs);
const ids = (r: { id: number }[]): Set<number> => new Set(r.map((x) => x.id));
/** A guarded move's key: the recipient and the attempt it was about. */
export const moveKey = (recipientId: number, attemptId: number): string => `${recipientId}:${attemptId}`;
const keys = (r: { id: number; attempt_id: number }[]): Set<string> => new Set(r.map((x) => moveKey(x.id, x.attempt_id)));

export class SpoolBatch {
  private readonly s;

  /** `nodeId`: node.id of the daemon whose engine this is, written on every attempt it makes. */
  constructor(
    readonly db: StoreDb,
    private readonly nodeId: string | null = null,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      attempts: p(`SELECT a.id, a.recipient_id, a.job_id, a.provider_id, a.destination, a.parts FROM jsonb_each(?) v JOIN attempts a ON a.id = v.value`),
      // Peers reuse message ids (wrap-around, restarts): the newest attempt with the id is the one meant.
      attemptsByPeer: p(
        `SELECT v.value AS peer_id, a.id, a.recipient_id, a.job_id, a.provider_id, a.destination, a.parts FROM jsonb_each(?) v
           JOIN attempts a ON a.id = (SELECT MAX(id) FROM attempts WHERE provider_id = ? AND peer_id = v.value)`,
      ),
      partsByPeer: p(
        `SELECT v.value AS peer_id, a.id, a.recipient_id, a.job_id, a.provider_id, a.destination, a.parts, p.part FROM jsonb_each(@rows) v
           CROSS JOIN attempt_parts p ON p.provider_id = @provider AND p.peer_id = v.value
           AND p.attempt_id = (SELECT MAX(attempt_id) FROM attempt_parts WHERE provider_id = @provider AND peer_id = v.value)
           CROSS JOIN attempts a ON a.id = p.attempt_id`,
      ),
      currents: p(
        `SELECT r.id, r.job_id, r.state, r.reason, r.tries, r.attempt_id, r.destination, r.address, r.name, r.reference, r.cost, r.duration, r.keypress, r.voicemail
           FROM jsonb_each(?) v JOIN recipients r ON r.id = v.value`,
      ),
      partStatuses: p(`SELECT attempt_id, part, status FROM attempt_parts WHERE attempt_id IN (SELECT value FROM jsonb_each(?)) ORDER BY attempt_id, part`),

      insertAttempts: p(
        `INSERT INTO attempts (recipient_id, job_id, provider_id, try, destination, sender, queued_at, started_at, status, two_way, unsent, node_id)
         SELECT v.value->>0, v.value->>1, v.value->>2, v.value->>3, v.value->>4, v.value->>5, @at, @at, 'sending', v.value->>6, v.value->>7, @node
           FROM jsonb_each(@rows) v RETURNING id, recipient_id`,
      ),
      lease: p(
        `UPDATE recipients SET state = 'sending', due_at = @at, address = v.value->>1, tries = tries + 1, attempt_id = v.value->>2, reason = NULL
           FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0`,
      ),
      reschedule: p(`UPDATE recipients SET due_at = v.value->>1, reason = v.value->>2 FROM jsonb_each(?) v WHERE recipients.id = v.value->>0`),
      finalizeQueued: p(
        `UPDATE recipients SET state = v.value->>1, reason = v.value->>2, final_at = @at, due_at = ${MAX_DUE}
           FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND +recipients.state = 'queued' RETURNING recipients.id`,
      ),
      jobsSent: p(`UPDATE jobs SET first_sent_at = ? WHERE id IN (SELECT value FROM jsonb_each(?)) AND first_sent_at IS NULL`),
      setAddresses: p(`UPDATE recipients SET address = v.value->>1 FROM jsonb_each(?) v WHERE recipients.id = v.value->>0 AND +recipients.state = 'queued' AND +recipients.address IS NULL`),
      // Only while the row is still as its hold left it (queued, that due time): not one that moved on since.
      pullForward: p(`UPDATE recipients SET due_at = @at FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND +recipients.state = 'queued' AND +recipients.due_at = v.value->>1 AND +recipients.due_at > @at`),

      patchAttempts: p(
        `UPDATE attempts SET peer_id = COALESCE(v.value->>1, peer_id), parts = COALESCE(v.value->>2, parts), encoding = COALESCE(v.value->>3, encoding),
           connected_at = COALESCE(v.value->>4, connected_at), status = COALESCE(v.value->>5, status),
           response = CASE WHEN v.value->>5 IS NULL THEN response ELSE v.value->>6 END, ended_at = COALESCE(v.value->>7, ended_at),
           cost = COALESCE(v.value->>8, cost), duration = COALESCE(v.value->>9, duration)
           FROM jsonb_each(?) v WHERE attempts.id = v.value->>0`,
      ),
      insertParts: p(`INSERT OR REPLACE INTO attempt_parts (attempt_id, part, provider_id, peer_id, updated_at) SELECT v.value->>0, v.value->>1, v.value->>2, v.value->>3, v.value->>4 FROM jsonb_each(?) v`),
      partStatus: p(`UPDATE attempt_parts SET status = v.value->>2, response = v.value->>3, updated_at = v.value->>4 FROM jsonb_each(?) v WHERE attempt_parts.attempt_id = v.value->>0 AND attempt_parts.part = v.value->>1`),
      renewLeases: p(`UPDATE recipients SET due_at = @at FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state = 'sending'`),
      submit: p(
        `UPDATE recipients SET state = 'submitted', due_at = COALESCE(v.value->>4, @at), sent_at = COALESCE(sent_at, v.value->>2), parts = COALESCE(v.value->>3, parts)
           FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state = 'sending' RETURNING recipients.id, recipients.attempt_id`,
      ),
      finalize: p(
        `UPDATE recipients SET state = v.value->>2, reason = v.value->>3, final_at = @at, due_at = ${MAX_DUE}, sent_at = COALESCE(sent_at, v.value->>4),
           parts = COALESCE(v.value->>5, parts), cost = COALESCE(v.value->>6, cost)
           FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state IN ('sending', 'submitted')
           RETURNING recipients.id, recipients.attempt_id`,
      ),
      // A bounce after a success: the only move out of a final state (sent or delivered → undeliverable).
      bounce: p(
        `UPDATE recipients SET state = 'undeliverable', reason = v.value->>2, final_at = @at
           FROM jsonb_each(@rows) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state IN ('sent', 'delivered')
           RETURNING recipients.id, recipients.attempt_id`,
      ),
      requeue: p(
        `UPDATE recipients SET state = 'queued', due_at = v.value->>2, reason = v.value->>3
           FROM jsonb_each(?) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state IN ('sending', 'submitted')
           RETURNING recipients.id, recipients.attempt_id`,
      ),
      // A hold gives back the try the lease took: the attempt never reached the network.
      holdBack: p(
        `UPDATE recipients SET state = 'queued', due_at = v.value->>2, reason = v.value->>3, tries = MAX(0, tries - 1)
           FROM jsonb_each(?) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1 AND +recipients.state = 'sending'
           RETURNING recipients.id, recipients.attempt_id`,
      ),
      callResults: p(`UPDATE recipients SET duration = v.value->>2, keypress = v.value->>3, voicemail = v.value->>4 FROM jsonb_each(?) v WHERE recipients.id = v.value->>0 AND recipients.attempt_id = v.value->>1`),
      attemptDurations: p(`UPDATE attempts SET duration = v.value->>1 FROM jsonb_each(?) v WHERE attempts.id = v.value->>0`),
      insertResults: p(`INSERT INTO results (attempt_id, recipient_id, job_id, kind, value, data, created_at) SELECT v.value->>0, v.value->>1, v.value->>2, v.value->>3, v.value->>4, v.value->>5, v.value->>6 FROM jsonb_each(?) v`),
    };
  }

  // Reads a flush or a claim makes for its whole batch before deciding.

  attempts(attemptIds: readonly number[]): Map<number, AttemptRef> {
    if (attemptIds.length === 0) return new Map();
    return new Map((this.s.attempts.all(JSON.stringify(attemptIds)) as AttemptRef[]).map((a) => [a.id, a]));
  }

  /** The attempt (and, of a long message, the part) each peer message id belongs to, for one provider. */
  byPeer(providerId: number, peerIds: readonly string[]): Map<string, AttemptRef & { part: number | null }> {
    const out = new Map<string, AttemptRef & { part: number | null }>();
    if (peerIds.length === 0) return out;
    const list = JSON.stringify(peerIds);
    // A part's id first, as a single receipt would be matched: a part and a whole message never share an id.
    for (const r of this.s.partsByPeer.all({ rows: list, provider: providerId }) as (AttemptRef & { peer_id: string; part: number })[])
      out.set(r.peer_id, { id: r.id, recipient_id: r.recipient_id, job_id: r.job_id, provider_id: r.provider_id, destination: r.destination, parts: r.parts, part: r.part });
    for (const r of this.s.attemptsByPeer.all(list, providerId) as (AttemptRef & { peer_id: string })[])
      if (!out.has(r.peer_id)) out.set(r.peer_id, { id: r.id, recipient_id: r.recipient_id, job_id: r.job_id, provider_id: r.provider_id, destination: r.destination, parts: r.parts, part: null });
    return out;
  }

  currents(recipientIds: readonly number[]): Map<number, CurrentRow> {
    if (recipientIds.length === 0) return new Map();
    return new Map((this.s.currents.all(JSON.stringify(recipientIds)) as CurrentRow[]).map((c) => [c.id, c]));
  }

  /** Each attempt's parts' statuses in part order (null where no receipt came yet). */
  partStatuses(attemptIds: readonly number[]): Map<number, (string | null)[]> {
    const out = new Map<number, (string | null)[]>();
    if (attemptIds.length === 0) return out;
    for (const r of this.s.partStatuses.all(JSON.stringify(attemptIds)) as { attempt_id: number; part: number; status: string | null }[]) {
      const list = out.get(r.attempt_id) ?? [];
      list[r.part - 1] = r.status;
      out.set(r.attempt_id, list);
    }
    return out;
  }

  // The claim's writes.

  /** One attempt per row; returns each recipient's new attempt id. */
  insertAttempts(list: readonly NewAttempt[], now: number): Map<number, number> {
    if (list.length === 0) return new Map();
    const bound = rows(list.map((a) => [a.recipientId, a.jobId, a.providerId, a.tryNo, a.destination, a.sender, a.twoWay ? 1 : null, a.unsent ? 1 : 0]));
    return new Map((this.s.insertAttempts.all({ at: now, rows: bound, node: this.nodeId }) as { id: number; recipient_id: number }[]).map((r) => [r.recipient_id, r.id]));
  }

  /** Each row leased to its attempt until `leaseUntil`, its try counted. */
  lease(list: readonly { id: number; address: string; attemptId: number }[], leaseUntil: number): void {
    if (list.length) this.s.lease.run({ at: leaseUntil, rows: rows(list.map((l) => [l.id, l.address, l.attemptId])) });
  }

  reschedule(list: readonly { id: number; at: number; reason: string | null }[]): void {
    if (list.length) this.s.reschedule.run(rows(list.map((r) => [r.id, r.at, r.reason])));
  }

  /** Queued rows that never reached a gateway → final; the ids it applied to (a row taken meanwhile is left). */
  finalizeQueued(list: readonly { id: number; state: RecipientState; reason: string }[], now: number): Set<number> {
    if (list.length === 0) return new Set();
    return ids(this.s.finalizeQueued.all({ at: now, rows: rows(list.map((r) => [r.id, r.state, r.reason])) }) as { id: number }[]);
  }

  markJobsSent(jobIds: readonly number[], now: number): void {
    if (jobIds.length) this.s.jobsSent.run(now, JSON.stringify(jobIds));
  }

  /** Validated addresses, unless the dispatcher took the row meanwhile. */
  setAddresses(list: readonly (readonly [number, string])[]): void {
    if (list.length) this.s.setAddresses.run(JSON.stringify(list));
  }

  /** Held rows due now (their provider is back); rows taken, final or rescheduled meanwhile are left alone. */
  pullForward(held: readonly { id: number; dueAt: number }[], now: number): void {
    if (held.length) this.s.pullForward.run({ at: now, rows: rows(held.map((h) => [h.id, h.dueAt])) });
  }

  // A flush's writes.

  patchAttempts(list: readonly AttemptPatch[]): void {
    if (list.length) this.s.patchAttempts.run(rows(list.map((a) => [a.id, a.peerId, a.parts, a.encoding, a.connectedAt, a.status, a.response, a.endedAt, a.cost, a.duration])));
  }

  insertParts(list: readonly PartRow[]): void {
    if (list.length) this.s.insertParts.run(rows(list.map((p) => [p.attemptId, p.part, p.providerId, p.peerId, p.at])));
  }

  setPartStatuses(list: readonly PartStatusRow[]): void {
    if (list.length) this.s.partStatus.run(rows(list.map((p) => [p.attemptId, p.part, p.status, p.response, p.at])));
  }

  /** Calls still under way (dialled, ringing): their leases run from now again. */
  renewLeases(list: readonly GuardedRow[], leaseUntil: number): void {
    if (list.length) this.s.renewLeases.run({ at: leaseUntil, rows: rows(list.map((r) => [r.id, r.attemptId])) });
  }

  /** Sending → submitted, awaiting a receipt until `receiptDeadline`; the ids it applied to. */
  submit(list: readonly (GuardedRow & { sentAt: number; parts: number | null; deadline?: number | null })[], receiptDeadline: number): Set<string> {
    if (list.length === 0) return new Set();
    return keys(this.s.submit.all({ at: receiptDeadline, rows: rows(list.map((r) => [r.id, r.attemptId, r.sentAt, r.parts, r.deadline ?? null])) }) as { id: number; attempt_id: number }[]);
  }

  /** Sending/submitted → final; `sentAt` fills sent_at if unset. The ids it applied to. */
  finalize(list: readonly FinalRow[], now: number): Set<string> {
    if (list.length === 0) return new Set();
    return keys(this.s.finalize.all({ at: now, rows: rows(list.map((r) => [r.id, r.attemptId, r.state, r.reason, r.sentAt, r.parts, r.cost])) }) as { id: number; attempt_id: number }[]);
  }

  /** Sent/delivered → undeliverable (a bounce after the relay took the message); the ids it applied to. */
  bounce(list: readonly (GuardedRow & { reason: string })[], now: number): Set<string> {
    if (list.length === 0) return new Set();
    return keys(this.s.bounce.all({ at: now, rows: rows(list.map((r) => [r.id, r.attemptId, r.reason])) }) as { id: number; attempt_id: number }[]);
  }

  /** Sending/submitted → queued for another try; the ids it applied to. */
  requeue(list: readonly (GuardedRow & { dueAt: number; reason: string | null })[]): Set<string> {
    if (list.length === 0) return new Set();
    return keys(this.s.requeue.all(rows(list.map((r) => [r.id, r.attemptId, r.dueAt, r.reason]))) as { id: number; attempt_id: number }[]);
  }

  /** Sending → queued without using a try (it never left); the ids it applied to. */
  holdBack(list: readonly (GuardedRow & { dueAt: number; reason: string | null })[]): Set<string> {
    if (list.length === 0) return new Set();
    return keys(this.s.holdBack.all(rows(list.map((r) => [r.id, r.attemptId, r.dueAt, r.reason]))) as { id: number; attempt_id: number }[]);
  }

  /** What answered calls produced, on their recipients (while the attempt is current) and their attempts. */
  callResults(list: readonly (GuardedRow & { duration: number; keypress: string | null; voicemail: boolean })[]): void {
    if (list.length === 0) return;
    this.s.callResults.run(rows(list.map((c) => [c.id, c.attemptId, c.duration, c.keypress, c.voicemail ? 1 : 0])));
    this.s.attemptDurations.run(rows(list.map((c) => [c.attemptId, c.duration])));
  }

  insertResults(list: readonly ResultRow[]): void {
    if (list.length) this.s.insertResults.run(rows(list.map((r) => [r.attemptId, r.recipientId, r.jobId, r.kind, r.value, r.data, r.at])));
  }
}
