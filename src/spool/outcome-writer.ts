import type { Logger } from 'pino';
import type { SpoolStore, AttemptRef, JobCounterDelta } from '../store/spool.js';
import type { GatewayReport } from '../gateways/gateway.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import { attemptStatus, canApply, responseOf, transition, type ReceiptStatus, type Transition } from '../core/outcomes.js';
import { combinePartReceipts } from '../core/parts.js';
import { isSuccess, type Service } from '../core/model.js';
import type { JobCache, SpoolJob } from './job-cache.js';
import type { Awaiting, ReceiptMatcher, Unmatched } from './receipt-matcher.js';
import type { Finalizer } from './finalizer.js';
import { queueUpdated } from './recipient-updates.js';

export interface OutcomeOptions {
  /** How long a submitted message waits for its receipt before it is final as "sent". */
  receiptTimeoutMs: number;
  /** The spool's lease: a `dialing` report (a call dialled or ringing) renews it for this long. */
  leaseMs?: number;
}

/** Accepted in this batch, not yet written: a receipt in the same batch finalizes the row in one write. */
interface PendingSubmit {
  job: SpoolJob | undefined;
  attempt: AttemptRef;
  at: number;
  peerId: string | null;
  parts: number | null;
  encoding: string | null;
}

/** What one flush collects while it applies reports, inside its transaction. */
export interface Batch {
  now: number;
  events: SpoolEvent[];
  /** Attempts whose first outcome this batch records: their in-flight slots are free once it commits. */
  released: number[];
  counters: Map<number, JobCounterDelta>;
  /** Receipts that matched no attempt, kept for a later flush once this one commits. */
  unmatched: Unmatched[];
  submits: Map<number, PendingSubmit>;
}

export const newBatch = (now: number): Batch => ({ now, events: [], released: [], counters: new Map(), unmatched: [], submits: new Map() });

/** A recipient its gateway handed back unsent (link down), now held until `dueAt`. */
export type HeldListener = (recipientId: number, service: Service, dueAt: number) => void;

/**
 * Writes one report inside the batch's transaction: the attempt's own record (status, response, its
 * parts' receipts), then its recipient's move by `core/outcomes` — submitted, requeued for a retry,
 * held back without using a try, or final through the finalizer.
 */
export class OutcomeWriter {
  constructor(
    private readonly spool: SpoolStore,
    private readonly jobs: JobCache,
    private readonly receipts: ReceiptMatcher,
    private readonly finalizer: Finalizer,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly opts: OutcomeOptions,
    private readonly rand: () => number,
    /** Told inside the transaction, as the hold is written. */
    private readonly held: HeldListener,
  ) {}

  apply(r: GatewayReport, found: Awaiting, b: Batch): void {
    const { now, events } = b;
    const { attempt } = found;
    let o = r.outcome;
    if (o.kind === 'dialing') {
      // Only the attempt learns its peer id; the recipient stays leased and the in-flight slot held.
      this.spool.attemptPeer(attempt.id, o.peerId);
      this.renewLease(attempt, now);
      return;
    }
    let recipientSubmit: PendingSubmit | undefined;
    if ('attemptId' in r) b.released.push(attempt.id);
    if (o.kind === 'receipt' && 'peerId' in r) this.receipts.received(r.providerId, r.peerId);
    // A receipt is recorded on its attempt (status, response, ended_at) or, for a long message, on its part.
    if (o.kind === 'receipt' && found.part !== null) {
      // One part of a long message: the attempt ends when its parts together decide.
      const statuses = this.spool.partReceipt(attempt.id, found.part, o.status, responseOf(o), r.at) as (ReceiptStatus | null)[];
      const combined = combinePartReceipts(statuses);
      if (combined === null) return;
      o = { ...o, status: combined };
    }
    // The attempt's own record takes every report; the recipient only those of its current attempt.
    if (o.kind === 'accepted') {
      // Written with the receipt if that comes in this batch, else by writeSubmits at its end.
      b.submits.set(attempt.id, { job: undefined, attempt, at: r.at, peerId: o.peerId ?? null, parts: o.parts ?? null, encoding: o.encoding ?? null });
      const ids = o.partPeerIds && o.partPeerIds.length > 1 ? o.partPeerIds : null;
      if (ids && attempt.provider_id !== null) this.spool.insertParts(attempt.id, attempt.provider_id, ids, r.at);
      if (o.awaitReceipt && attempt.provider_id !== null) {
        if (ids) ids.forEach((id, i) => this.receipts.remember(attempt.provider_id!, id, { attempt, part: i + 1 }));
        else if (o.peerId) this.receipts.remember(attempt.provider_id, o.peerId, { attempt, part: null });
      }
    } else {
      const status = attemptStatus(o);
      const accepted = b.submits.get(attempt.id);
      if (accepted) {
        b.submits.delete(attempt.id);
        this.spool.attemptAcceptedAndEnded(attempt.id, accepted.peerId, accepted.parts, accepted.encoding, accepted.at, status, responseOf(o), r.at, o.kind === 'receipt' ? (o.cost ?? null) : null);
      } else {
        this.spool.attemptEnded(attempt.id, status, responseOf(o), r.at, o.kind === 'receipt' ? (o.cost ?? null) : null, o.kind === 'failed' ? (o.pages ?? null) : null);
      }
      if (accepted && o.kind !== 'receipt') this.log.warn({ attemptId: attempt.id, outcome: o.kind }, 'an accepted attempt was reported again as not sent');
      recipientSubmit = accepted;
    }
    const job = this.jobs.get(attempt.job_id);
    if (!job) return;

    let t: Transition;
    if (o.kind === 'failed' && o.retryable) {
      // Only a retry needs the tries made so far: read, then decide.
      const cur = this.spool.current(attempt.recipient_id);
      if (!cur || cur.attempt_id !== attempt.id || !canApply(cur.state)) return;
      t = transition(o, cur.tries, job.retry, now, this.rand());
      if (t.state === 'queued') {
        this.spool.requeue(cur.id, t.dueAt, t.reason);
        queueUpdated(this.bus, events, job, cur.id, attempt.destination, 'queued', t.reason, now);
        return;
      }
    } else {
      t = transition(o, 0, job.retry, now, this.rand());
    }
    if (t.state === 'queued') {
      if (this.spool.holdBack(attempt.recipient_id, attempt.id, t.dueAt, t.reason)) {
        this.held(attempt.recipient_id, job.service, t.dueAt);
        queueUpdated(this.bus, events, job, attempt.recipient_id, attempt.destination, 'queued', t.reason, now);
      }
      return;
    }
    if (t.state === 'submitted') {
      b.submits.get(attempt.id)!.job = job;
      return;
    }
    const reason = t.reason;
    const cost = o.kind === 'receipt' ? (o.cost ?? null) : null;
    if (o.kind === 'receipt' && o.call) {
      this.spool.setCallResult(attempt.recipient_id, attempt.id, o.call.duration, o.call.keypress, o.call.voicemail);
      if (o.call.keypress !== null) this.spool.insertResult(attempt.id, attempt.recipient_id, attempt.job_id, 'keypress', o.call.keypress, null, r.at);
      if (o.call.voicemail) this.spool.insertResult(attempt.id, attempt.recipient_id, attempt.job_id, 'voicemail', 'true', null, r.at);
      if (o.call.pages !== undefined) this.spool.insertResult(attempt.id, attempt.recipient_id, attempt.job_id, 'fax_pages', String(o.call.pages), null, r.at);
    }
    const submitted = recipientSubmit;
    const sentAt = submitted?.at ?? (isSuccess(t.state) ? now : null);
    if (this.spool.finalizeIfCurrent(attempt.recipient_id, attempt.id, t.state, reason, now, sentAt, submitted?.parts ?? null, cost)) {
      this.finalizer.recipientFinal(job, attempt.recipient_id, attempt.destination, t.state, reason, now, cost, events, b.counters);
    }
  }

  /** Accepted messages whose receipt did not come in the same batch: now submitted, awaiting it. */
  writeSubmits(b: Batch): void {
    for (const p of b.submits.values()) {
      this.spool.attemptAccepted(p.attempt.id, p.peerId, p.parts, p.encoding, p.at);
      if (p.job && this.spool.submitIfCurrent(p.attempt.recipient_id, p.attempt.id, b.now + this.opts.receiptTimeoutMs, p.at, p.parts)) {
        queueUpdated(this.bus, b.events, p.job, p.attempt.recipient_id, p.attempt.destination, 'submitted', null, b.now);
      }
    }
  }

  /** A call dialled or ringing is still under way: it must not be taken back (and dialled again) by the lease sweep. */
  private renewLease(attempt: AttemptRef, now: number): void {
    if (this.opts.leaseMs) this.spool.renewLease(attempt.recipient_id, attempt.id, now + this.opts.leaseMs);
  }
}
