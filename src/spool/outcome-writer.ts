import type { Logger } from 'pino';
import type { AttemptRef, CurrentRow, JobCounterDelta } from '../store/spool.js';
import type { SpoolBatch } from '../store/spool-batch.js';
import type { GatewayReport } from '../gateways/gateway.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import { attemptStatus, bounceMove, canApply, responseOf, transition, type ReceiptStatus, type Transition } from '../core/outcomes.js';
import { combinePartReceipts } from '../core/parts.js';
import { submitCost, type Rates } from '../core/costs.js';
import { isSuccess, type Service } from '../core/model.js';
import type { JobCache, SpoolJob } from './job-cache.js';
import type { Awaiting, ReceiptMatcher, Unmatched } from './receipt-matcher.js';
import type { Finalizer } from './finalizer.js';
import { queueUpdated } from './recipient-updates.js';
import { RecordWrites } from './record-writes.js';
import { Tally } from './tally.js';

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
  /** The accepted outcome's own receipt deadline, if any. */
  deadline: number | null;
}

type ById = Extract<GatewayReport, { attemptId: number }>;

/** What one flush collects while it decides its reports in memory, and writes at its end. */
export interface Batch {
  now: number;
  events: SpoolEvent[];
  /** Attempts whose first outcome this batch records: their in-flight slots are free once it commits. */
  released: number[];
  counters: Map<number, JobCounterDelta>;
  /** Receipts that matched no attempt, kept for a later flush once this one commits. */
  unmatched: Unmatched[];
  submits: Map<number, PendingSubmit>;
  writes: RecordWrites;
  /** Read for the batch before its decisions: the recipients whose retries need their tries so far. */
  currents: Map<number, CurrentRow>;
  /** Long messages' part statuses: as stored, then as this batch's receipts set them. */
  parts: Map<number, (string | null)[]>;
  /** The metrics this batch's decisions count; added to the engine's once it commits. */
  tally: Tally;
  /** Attempts of MMS recipients made final: their hosted media is removed once this commits. */
  mmsFinal: number[];
}

export const newBatch = (now: number): Batch => ({ now, events: [], released: [], counters: new Map(), unmatched: [], submits: new Map(), writes: new RecordWrites(), currents: new Map(), parts: new Map(), tally: new Tally(), mmsFinal: [] });

/** A recipient its gateway handed back unsent (link down), now held until `dueAt`. */
export type HeldListener = (recipientId: number, service: Service, dueAt: number) => void;

/**
 * A flush's reports, set-based: read what their decisions need for the whole batch (attempts not in
 * flight, tries of retries, part statuses, receipts not in memory), decide each report in memory by
 * `core/outcomes` — the attempt's record, its recipient submitted, requeued for a retry, held back
 * without using a try, or final — then write the batch in a few statements and, for the moves that
 * applied, tell the finalizer and the bus.
 */
export class OutcomeWriter {
  /** A provider's rates, for the cost of what it took (set by the engine, which holds the providers). */
  ratesOf: (providerId: number) => Rates | null = () => null;

  constructor(
    private readonly store: SpoolBatch,
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

  /**
   * Everything one flush records, inside its transaction: reports by attempt id first, then receipts (a
   * receipt often comes in the same read as its submit response, and is reported before the code handling
   * that response has run), then `retried` receipts that beat their submit response earlier.
   */
  applyAll(reports: readonly GatewayReport[], retried: readonly Unmatched[], b: Batch): void {
    const byId = reports.filter((r): r is ById => 'attemptId' in r);
    const found = this.receipts.attemptsOf(byId.map((r) => r.attemptId));
    // Retries need their tries so far, bounces their recipient's state: read for the batch.
    const retries = byId.flatMap((r, i) => (((r.outcome.kind === 'failed' && r.outcome.retryable) || r.outcome.kind === 'bounced' || r.outcome.kind === 'stage') && found[i] ? [found[i].attempt.recipient_id] : []));
    b.currents = this.store.currents([...new Set(retries)]);
    byId.forEach((r, i) => {
      const f = found[i];
      if (f) this.apply(r, f, b);
      else this.log.warn({ attemptId: r.attemptId }, 'report for an unknown attempt');
    });
    const byPeer: Unmatched[] = [...reports.flatMap((r) => ('peerId' in r ? [{ report: r, firstSeen: b.now }] : [])), ...retried];
    const matched = this.receipts.matchAll(byPeer.map((u) => u.report));
    this.readParts(matched, b);
    byPeer.forEach((u, i) => {
      const m = matched[i];
      if (m) this.apply(u.report, m, b);
      else b.unmatched.push(u);
    });
    this.queueSubmits(b);
    this.write(b);
  }

  /** The stored part statuses of the long messages this batch's receipts are about (not those it inserted). */
  private readParts(matched: readonly (Awaiting | undefined)[], b: Batch): void {
    const wanted = new Set<number>();
    for (const m of matched) if (m && m.part !== null && !b.parts.has(m.attempt.id)) wanted.add(m.attempt.id);
    for (const [id, statuses] of this.store.partStatuses([...wanted])) b.parts.set(id, statuses);
  }

  private apply(r: GatewayReport, found: Awaiting, b: Batch): void {
    const { now, writes } = b;
    const { attempt } = found;
    let o = r.outcome;
    if (o.kind === 'dialing') {
      // Only the attempt learns its peer id; the recipient stays leased (its lease renewed) and the in-flight slot held.
      writes.patchAttempt(attempt.id, { peerId: o.peerId });
      if (this.opts.leaseMs) writes.move({ kind: 'renew', id: attempt.recipient_id, attemptId: attempt.id });
      return;
    }
    if (o.kind === 'bounced') return this.applyBounce(o, found, r.at, b);
    if (o.kind === 'stage') {
      // Only while the attempt is its recipient's open one: a late fetch never overwrites a final status.
      const cur = b.currents.get(attempt.recipient_id);
      if (cur && cur.attempt_id === attempt.id && cur.state === 'submitted' && !writes.moved(attempt.recipient_id, attempt.id)) writes.patchAttempt(attempt.id, { status: o.status, response: o.text ?? null });
      return;
    }
    let recipientSubmit: PendingSubmit | undefined;
    if ('attemptId' in r) b.released.push(attempt.id);
    if (o.kind === 'receipt' && 'peerId' in r) this.receipts.received(r.providerId, r.peerId);
    // A receipt is recorded on its attempt (status, response, ended_at) or, for a long message, on its part.
    if (o.kind === 'receipt' && found.part !== null) {
      // One part of a long message: the attempt ends when its parts together decide.
      const statuses = b.parts.get(attempt.id) ?? [];
      statuses[found.part - 1] = o.status;
      b.parts.set(attempt.id, statuses);
      writes.partStatus({ attemptId: attempt.id, part: found.part, status: o.status, response: responseOf(o), at: r.at });
      const combined = combinePartReceipts(Array.from(statuses, (s) => (s ?? null) as ReceiptStatus | null));
      if (combined === null) return;
      o = { ...o, status: combined };
    }
    // The attempt's own record takes every report; the recipient only those of its current attempt.
    if (o.kind === 'accepted') {
      // Written with the receipt if that comes in this batch, else by queueSubmits at its end.
      b.submits.set(attempt.id, { job: undefined, attempt, at: r.at, peerId: o.peerId ?? null, parts: o.parts ?? null, encoding: o.encoding ?? null, deadline: o.deadline ?? null });
      const ids = o.partPeerIds && o.partPeerIds.length > 1 ? o.partPeerIds : null;
      const providerId = attempt.provider_id;
      if (o.parts !== undefined) b.tally.partsSubmitted(providerId, o.parts);
      if (!o.awaitReceipt) {
        // No receipt will end it (an SMTP 250, a Kannel send without DLR): the attempt ends here, as sent.
        writes.patchAttempt(attempt.id, { status: 'sent', endedAt: r.at });
        b.tally.attemptEnded(providerId, 'sent');
      }
      if (ids && providerId !== null) {
        writes.insertParts(ids.map((peerId, i) => ({ attemptId: attempt.id, part: i + 1, providerId, peerId, at: r.at })));
        b.parts.set(
          attempt.id,
          ids.map(() => null),
        );
      }
      if (o.awaitReceipt && providerId !== null) {
        // Remembered with the parts the peer took: its receipt's cost counts them.
        const taken = { ...attempt, parts: o.parts ?? null };
        if (ids) ids.forEach((id, i) => this.receipts.remember(providerId, id, { attempt: taken, part: i + 1, submittedAt: r.at }));
        else if (o.peerId) this.receipts.remember(providerId, o.peerId, { attempt: taken, part: null, submittedAt: r.at });
      }
    } else {
      const accepted = b.submits.get(attempt.id);
      if (accepted) {
        b.submits.delete(attempt.id);
        writes.patchAttempt(attempt.id, { peerId: accepted.peerId, parts: accepted.parts, encoding: accepted.encoding, connectedAt: accepted.at });
        if (o.kind !== 'receipt') this.log.warn({ attemptId: attempt.id, outcome: o.kind }, 'an accepted attempt was reported again as not sent');
      }
      writes.patchAttempt(attempt.id, {
        status: attemptStatus(o),
        response: responseOf(o),
        endedAt: r.at,
        cost: o.kind === 'receipt' ? (o.cost ?? null) : null,
        parts: o.kind === 'failed' ? (o.pages ?? null) : null,
      });
      recipientSubmit = accepted;
      const status = attemptStatus(o);
      b.tally.attemptEnded(attempt.provider_id, status);
      // The status page's last errors: not a delivery, a hand-back, or a receipt that never came (the message went, as sent).
      if (status !== 'delivered' && status !== 'held' && status !== 'unknown') b.tally.failed({ at: r.at, providerId: attempt.provider_id, jobId: attempt.job_id, destination: attempt.destination, status, reason: responseOf(o) });
      const submittedAt = accepted?.at ?? found.submittedAt;
      if (o.kind === 'receipt' && submittedAt !== undefined) b.tally.receiptAfter(attempt.provider_id, r.at - submittedAt);
    }
    const job = this.jobs.get(attempt.job_id);
    if (!job) return;
    const of = { id: attempt.recipient_id, attemptId: attempt.id, job, destination: attempt.destination };

    let t: Transition;
    if (o.kind === 'failed' && o.retryable) {
      // Only a retry needs the tries made so far (read for the batch): decide from them.
      const cur = b.currents.get(attempt.recipient_id);
      if (!cur || cur.attempt_id !== attempt.id || !canApply(cur.state) || writes.moved(attempt.recipient_id, attempt.id)) return;
      t = transition(o, cur.tries, job.retry, now, this.rand());
      if (t.state === 'queued') return writes.move({ kind: 'requeue', ...of, dueAt: t.dueAt, reason: t.reason });
    } else {
      t = transition(o, 0, job.retry, now, this.rand());
    }
    if (t.state === 'queued') return writes.move({ kind: 'hold', ...of, dueAt: t.dueAt, reason: t.reason });
    if (t.state === 'submitted') {
      b.submits.get(attempt.id)!.job = job;
      return;
    }
    const cost = o.kind === 'receipt' && o.cost !== undefined ? o.cost : this.costOf(o, attempt, recipientSubmit);
    if (o.kind === 'receipt' && o.call) {
      const { call } = o;
      writes.callResult({ id: attempt.recipient_id, attemptId: attempt.id, duration: call.duration, keypress: call.keypress, voicemail: call.voicemail });
      const result = (kind: string, value: string) => writes.result({ attemptId: attempt.id, recipientId: attempt.recipient_id, jobId: attempt.job_id, kind, value, data: null, at: r.at });
      if (call.keypress !== null) result('keypress', call.keypress);
      if (call.voicemail) result('voicemail', 'true');
      if (call.pages !== undefined) {
        result('fax_pages', String(call.pages));
        b.tally.faxPages(attempt.provider_id, call.pages);
      }
    }
    const sentAt = recipientSubmit?.at ?? (isSuccess(t.state) ? now : null);
    writes.move({ kind: 'final', ...of, state: t.state, reason: t.reason, sentAt, parts: recipientSubmit?.parts ?? null, cost });
  }

  /** What the provider charges for a message it took (accepted, or a receipt came): its rates by the parts it took. */
  private costOf(o: GatewayReport['outcome'], attempt: AttemptRef, submit: PendingSubmit | undefined): number | null {
    if ((o.kind !== 'accepted' && o.kind !== 'receipt') || attempt.provider_id === null) return null;
    const parts = submit?.parts ?? (o.kind === 'accepted' ? o.parts : undefined) ?? attempt.parts;
    return submitCost(this.ratesOf(attempt.provider_id), parts ?? null);
  }

  /**
   * A bounce: recorded on its attempt whatever its recipient's state; the recipient fails only while this
   * attempt is its current one — an open recipient as any failure does, one final as sent (or delivered)
   * moves to undeliverable. It frees no in-flight slot: the attempt's own outcome does that.
   */
  private applyBounce(o: Extract<GatewayReport['outcome'], { kind: 'bounced' }>, found: Awaiting, at: number, b: Batch): void {
    const { attempt } = found;
    b.writes.patchAttempt(attempt.id, { status: attemptStatus(o), response: responseOf(o), endedAt: at });
    const cur = b.currents.get(attempt.recipient_id);
    const job = this.jobs.get(attempt.job_id);
    if (!cur || !job || cur.attempt_id !== attempt.id) return;
    // Its success came in this same flush (under load the DSN can catch up with the 250): undone before it is written.
    if (b.writes.moved(attempt.recipient_id, attempt.id)) {
      if (!b.writes.undoSuccess(attempt.recipient_id, attempt.id, o.reason)) this.log.info({ recipientId: cur.id }, 'a bounce for a recipient this flush failed: left as it is');
      return;
    }
    const of = { id: attempt.recipient_id, attemptId: attempt.id, job, destination: attempt.destination };
    switch (bounceMove(cur.state)) {
      case 'final':
        return b.writes.move({ kind: 'final', ...of, state: 'undeliverable', reason: o.reason, sentAt: null, parts: null, cost: null });
      case 'reopen':
        return b.writes.move({ kind: 'bounce', ...of, reason: o.reason });
      case null:
        this.log.info({ recipientId: cur.id, state: cur.state }, 'a bounce for a recipient already failed: left as it is');
    }
  }

  /** Accepted messages whose receipt did not come in the same batch: now submitted, awaiting it. */
  private queueSubmits(b: Batch): void {
    for (const p of b.submits.values()) {
      b.writes.patchAttempt(p.attempt.id, { peerId: p.peerId, parts: p.parts, encoding: p.encoding, connectedAt: p.at });
      if (p.job) b.writes.move({ kind: 'submit', id: p.attempt.recipient_id, attemptId: p.attempt.id, sentAt: p.at, parts: p.parts, deadline: p.deadline, job: p.job, destination: p.attempt.destination });
    }
  }

  /** The batch's writes, then what the moves that applied cause: events, holds remembered, finals finished. */
  private write(b: Batch): void {
    const { now, events } = b;
    const applied = b.writes.write(this.store, now, now + (this.opts.leaseMs ?? 0), now + this.opts.receiptTimeoutMs);
    for (const m of applied.finals) if (m.job.info.channel === 'mms') b.mmsFinal.push(m.attemptId);
    for (const m of applied.submitted) queueUpdated(this.bus, events, m.job, m.id, m.destination, 'submitted', null, now);
    for (const m of applied.requeued) queueUpdated(this.bus, events, m.job, m.id, m.destination, 'queued', m.reason, now);
    for (const m of applied.held) {
      this.held(m.id, m.job.service, m.dueAt);
      queueUpdated(this.bus, events, m.job, m.id, m.destination, 'queued', m.reason, now);
    }
    this.finalizer.recipientsFinal(
      [
        ...applied.finals.map((m) => ({ job: m.job, recipientId: m.id, destination: m.destination, state: m.state, reason: m.reason, cost: m.cost })),
        ...applied.bounced.map((m) => ({ job: m.job, recipientId: m.id, destination: m.destination, state: 'undeliverable' as const, reason: m.reason, cost: null, reopened: true })),
      ],
      now,
      events,
      b.counters,
    );
  }
}
