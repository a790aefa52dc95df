import { moveKey, type AttemptPatch, type FinalRow, type GuardedRow, type PartRow, type PartStatusRow, type ResultRow, type SpoolBatch } from '../store/spool-batch.js';
import type { SpoolJob } from './job-cache.js';

/** Who a recipient's move is about, for what follows once it applied (events, callbacks, counters). */
interface MoveOf {
  job: SpoolJob;
  destination: string;
}

export type Move =
  | ({ kind: 'renew' } & GuardedRow)
  /** `deadline`: its own receipt deadline (an MMS notification's expiry); null: the spool's receipt timeout. */
  | ({ kind: 'submit'; sentAt: number; parts: number | null; deadline: number | null } & GuardedRow & MoveOf)
  | ({ kind: 'final' } & FinalRow & MoveOf)
  /** Queued for another try. */
  | ({ kind: 'requeue'; dueAt: number; reason: string } & GuardedRow & MoveOf)
  /** Held back without using a try (its link is down). */
  | ({ kind: 'hold'; dueAt: number; reason: string } & GuardedRow & MoveOf)
  /** A success undone by a bounce: sent or delivered → undeliverable. */
  | ({ kind: 'bounce'; reason: string } & GuardedRow & MoveOf);

/** The moves that applied (their guard held), by kind. */
export interface Applied {
  submitted: Extract<Move, { kind: 'submit' }>[];
  finals: Extract<Move, { kind: 'final' }>[];
  requeued: Extract<Move, { kind: 'requeue' }>[];
  held: Extract<Move, { kind: 'hold' }>[];
  bounced: Extract<Move, { kind: 'bounce' }>[];
}

const EMPTY_PATCH: Omit<AttemptPatch, 'id'> = { peerId: null, parts: null, encoding: null, connectedAt: null, status: null, response: null, endedAt: null, cost: null, duration: null };

/**
 * What one flush writes, gathered while its reports are decided in memory and written at its end in a
 * few set-based statements (`store/spool-batch.ts`). Several reports on one attempt merge into one patch.
 * A recipient's moves keep the order they were decided in: each is guarded by its attempt and state, so,
 * of two moves on one attempt, the first that changes the state is the one the store would have applied.
 */
export class RecordWrites {
  private readonly attempts = new Map<number, AttemptPatch>();
  private readonly parts: PartRow[] = [];
  private readonly partStatuses = new Map<string, PartStatusRow>();
  private readonly moves = new Map<string, Move>();
  private readonly calls: (GuardedRow & { duration: number; keypress: string | null; voicemail: boolean })[] = [];
  private readonly results: ResultRow[] = [];

  patchAttempt(id: number, patch: Partial<Omit<AttemptPatch, 'id'>>): void {
    const cur = this.attempts.get(id) ?? { id, ...EMPTY_PATCH };
    // A field this report leaves unset keeps what an earlier report of the batch set.
    const merged: AttemptPatch = {
      id,
      peerId: patch.peerId ?? cur.peerId,
      parts: patch.parts ?? cur.parts,
      encoding: patch.encoding ?? cur.encoding,
      connectedAt: patch.connectedAt ?? cur.connectedAt,
      status: patch.status ?? cur.status,
      // An outcome comes with its response, even none: a later outcome replaces both.
      response: patch.status ? (patch.response ?? null) : cur.response,
      endedAt: patch.endedAt ?? cur.endedAt,
      cost: patch.cost ?? cur.cost,
      duration: patch.duration ?? cur.duration,
    };
    this.attempts.set(id, merged);
  }

  insertParts(rows: PartRow[]): void {
    this.parts.push(...rows);
  }

  partStatus(row: PartStatusRow): void {
    this.partStatuses.set(`${row.attemptId}:${row.part}`, row);
  }

  /** A recipient's move: renewals give way to a later move; a move that changes the state is not undone by a later one. */
  move(m: Move): void {
    const key = moveKey(m.id, m.attemptId);
    const before = this.moves.get(key);
    if (before && before.kind !== 'renew') return;
    this.moves.set(key, m);
  }

  /** Whether this flush already moved the recipient on this attempt. */
  moved(recipientId: number, attemptId: number): boolean {
    const m = this.moves.get(moveKey(recipientId, attemptId));
    return m !== undefined && m.kind !== 'renew';
  }

  /**
   * A bounce decided in the same flush as the success it undoes (a relay's 250 and its DSN read together):
   * that success is written as undeliverable instead, keeping what the peer took (sent at, parts, cost).
   * False when this flush moved the recipient otherwise (a failure stays as it is).
   */
  undoSuccess(recipientId: number, attemptId: number, reason: string): boolean {
    const key = moveKey(recipientId, attemptId);
    const m = this.moves.get(key);
    if (m === undefined) return false;
    if (m.kind === 'submit') {
      this.moves.set(key, { kind: 'final', id: m.id, attemptId: m.attemptId, job: m.job, destination: m.destination, state: 'undeliverable', reason, sentAt: m.sentAt, parts: m.parts, cost: null });
      return true;
    }
    if (m.kind !== 'final' || (m.state !== 'sent' && m.state !== 'delivered')) return false;
    this.moves.set(key, { ...m, state: 'undeliverable', reason });
    return true;
  }

  callResult(row: GuardedRow & { duration: number; keypress: string | null; voicemail: boolean }): void {
    this.calls.push(row);
  }

  result(row: ResultRow): void {
    this.results.push(row);
  }

  /** Write it all (inside the flush's transaction); the moves whose guard held. */
  write(store: SpoolBatch, now: number, leaseUntil: number, receiptDeadline: number): Applied {
    store.patchAttempts([...this.attempts.values()]);
    store.insertParts(this.parts);
    store.setPartStatuses([...this.partStatuses.values()]);
    const by = { renew: [] as Extract<Move, { kind: 'renew' }>[], submit: [] as Applied['submitted'], final: [] as Applied['finals'], requeue: [] as Applied['requeued'], hold: [] as Applied['held'], bounce: [] as Applied['bounced'] };
    for (const m of this.moves.values()) (by[m.kind] as Move[]).push(m);
    store.renewLeases(by.renew, leaseUntil);
    const submitted = store.submit(by.submit, receiptDeadline);
    const finals = store.finalize(by.final, now);
    const requeued = store.requeue(by.requeue);
    const held = store.holdBack(by.hold);
    const bounced = store.bounce(by.bounce, now);
    store.callResults(this.calls);
    store.insertResults(this.results);
    return {
      submitted: by.submit.filter((m) => submitted.has(moveKey(m.id, m.attemptId))),
      finals: by.final.filter((m) => finals.has(moveKey(m.id, m.attemptId))),
      requeued: by.requeue.filter((m) => requeued.has(moveKey(m.id, m.attemptId))),
      held: by.hold.filter((m) => held.has(moveKey(m.id, m.attemptId))),
      bounced: by.bounce.filter((m) => bounced.has(moveKey(m.id, m.attemptId))),
    };
  }
}
