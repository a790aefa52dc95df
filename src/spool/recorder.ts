import type { Logger } from 'pino';
import type { SpoolStore, AttemptRef, CurrentRow, JobCounterDelta } from '../store/spool.js';
import type { CallbackStore } from '../store/callbacks.js';
import type { ReplyStore } from '../store/replies.js';
import type { GatewayReport, GatewaySink, InboundMessage } from '../gateways/gateway.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import type { RecipientView } from '../core/jobs.js';
import { canApply, transition, type Outcome, type ReceiptStatus, type Transition } from '../core/outcomes.js';
import { combinePartReceipts } from '../core/parts.js';
import { isSuccess, type RecipientState, type Service } from '../core/model.js';
import type { Clock } from '../core/clock.js';
import type { JobCache, SpoolJob } from './job-cache.js';

export interface RecorderOptions {
  /** How long a submitted message waits for its receipt before it is final as "sent". */
  receiptTimeoutMs: number;
  /** How long a receipt that matches no attempt yet (it beat the submit response) is kept. */
  unmatchedReceiptMs: number;
  flushMs: number;
  maxBatch: number;
  /** How many receipts that match no message yet are kept for a later match. */
  maxUnmatched?: number;
  /** How many attempts awaiting a receipt are remembered in memory (a miss costs one indexed read). */
  receiptCacheSize?: number;
  /** The spool's lease: a `dialing` report (a call dialled or ringing) renews it for this long. */
  leaseMs?: number;
}

/** An attempt awaiting a receipt, and which part of it (null for a message in one part). */
interface Awaiting {
  attempt: AttemptRef;
  part: number | null;
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
interface Batch {
  now: number;
  events: SpoolEvent[];
  released: number[];
  counters: Map<number, JobCounterDelta>;
  unmatched: Unmatched[];
  submits: Map<number, PendingSubmit>;
}

interface Unmatched {
  report: Extract<GatewayReport, { peerId: string }>;
  firstSeen: number;
}

/** What the recorder tells whoever subscribes (`on`); several may listen to each, none replaces another. */
export interface RecorderEvents {
  /** After commit, the attempts whose first outcome was recorded: their in-flight slots are free. */
  released: (attemptIds: number[]) => void;
  /** After commit, once the batch's events are emitted: capacity may be free, callbacks may be due. */
  flushed: () => void;
  /**
   * A recipient its gateway handed back unsent (link down): it waits for its provider to come back.
   * Told inside the batch's transaction, as the hold is written.
   */
  held: (recipientId: number, service: Service, dueAt: number) => void;
  /** A provider's link went up or down (before the bus hears of it). */
  health: (providerId: number, up: boolean, reason?: string) => void;
}

type ListenerSets = { [E in keyof RecorderEvents]: Set<RecorderEvents[E]> };

/** The dispatcher's record of an attempt still in flight. */
export type InFlightLookup = (attemptId: number) => AttemptRef | undefined;

/**
 * Turns gateway reports into state: each flush applies a batch in one transaction (group commit),
 * writes the callbacks those changes cause in the same transaction, then tells the bus.
 * A report is only forgotten once its transaction has committed.
 */
export class Recorder implements GatewaySink {
  private queue: GatewayReport[] = [];
  private inboundQueue: InboundMessage[] = [];
  /** Attempts going on the wire, recorded in the next commit. */
  private wired: number[] = [];
  /** Acknowledgements waiting for the reports queued with them to commit. */
  private acks: (() => void)[] = [];
  private unmatched: Unmatched[] = [];
  private timer: NodeJS.Timeout | null = null;
  private soon = false;
  /**
   * Attempts awaiting a receipt, by provider and peer message id: receipts are the hot path of a busy
   * SMS link, and most find their attempt here instead of in the index. Bounded; a miss reads the store.
   */
  private readonly awaitingReceipt = new Map<string, Awaiting>();
  private readonly listeners: ListenerSets = { released: new Set(), flushed: new Set(), held: new Set(), health: new Set() };
  private inFlight: InFlightLookup | null = null;

  constructor(
    private readonly spool: SpoolStore,
    private readonly callbacks: CallbackStore,
    private readonly replies: ReplyStore,
    private readonly jobs: JobCache,
    private readonly formatters: CallbackFormatters,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RecorderOptions,
    private readonly rand: () => number = Math.random,
  ) {}

  /** Subscribe to one of the recorder's events; returns the unsubscribe. */
  on<E extends keyof RecorderEvents>(event: E, listener: RecorderEvents[E]): () => void {
    const set: Set<RecorderEvents[E]> = this.listeners[event];
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Set once, by the dispatcher: its record of attempts in flight spares a store read for most reports. */
  setInFlightLookup(lookup: InFlightLookup): void {
    if (this.inFlight) throw new Error('the in-flight lookup is set once');
    this.inFlight = lookup;
  }

  report(r: GatewayReport, committed?: () => void): void {
    this.queue.push(r);
    if (committed) this.acks.push(committed);
    this.schedule();
  }

  inbound(m: InboundMessage, committed?: () => void): void {
    this.inboundQueue.push(m);
    if (committed) this.acks.push(committed);
    this.schedule();
  }

  onWire(attemptId: number, committed: () => void): void {
    this.wired.push(attemptId);
    this.acks.push(committed);
    this.flushSoon();
  }

  flushSoon(): void {
    if (this.soon || this.queue.length + this.wired.length === 0) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      this.flush();
    });
  }

  health(providerId: number, up: boolean, reason?: string): void {
    for (const l of this.listeners.health) l(providerId, up, reason);
    this.bus.emit({ type: 'provider.health', at: this.clock.now(), userId: null, providerId, up, reason: reason ?? null });
  }

  get pending(): number {
    return this.queue.length + this.inboundQueue.length + this.unmatched.length;
  }

  private schedule(): void {
    if (this.queue.length + this.inboundQueue.length >= this.opts.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      setImmediate(() => this.flush());
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.opts.flushMs);
  }

  /** Apply everything queued now. Safe to call at any time; on a store error the batch is kept and retried. */
  flush(): void {
    if (this.queue.length === 0 && this.inboundQueue.length === 0 && this.unmatched.length === 0 && this.acks.length === 0) return;
    const wired = this.wired;
    this.wired = [];
    const reports = this.queue;
    const inbound = this.inboundQueue;
    const unmatched = this.unmatched;
    const acks = this.acks;
    this.acks = [];
    this.queue = [];
    this.inboundQueue = [];
    this.unmatched = [];
    const now = this.clock.now();
    const b: Batch = { now, events: [], released: [], counters: new Map(), unmatched: [], submits: new Map() };
    const { events, released } = b;
    try {
      this.spool.tx(() => {
        if (wired.length) this.spool.markOnWire(wired);
        // Submit outcomes first, then receipts: a receipt often comes in the same read as its submit
        // response, and is reported before the code handling that response has run.
        for (const r of reports) if ('attemptId' in r) this.apply(r, b);
        for (const r of reports) if (!('attemptId' in r)) this.apply(r, b);
        // Receipts that beat their submit response: their attempt may be known now.
        for (const u of unmatched) {
          if (now - u.firstSeen > this.opts.unmatchedReceiptMs) this.log.warn({ providerId: u.report.providerId, peerId: u.report.peerId }, 'receipt matches no message; dropped');
          else this.apply(u.report, b, u.firstSeen);
        }
        this.writeSubmits(b);
        for (const m of inbound) this.applyInbound(m, now, events);
        this.applyCounters(b.counters, now, events);
      });
    } catch (err) {
      // Nothing was committed: put the batch back and try again shortly.
      this.log.error({ err }, 'recording outcomes failed; will retry');
      this.queue = reports.concat(this.queue);
      this.wired = wired.concat(this.wired);
      this.inboundQueue = inbound.concat(this.inboundQueue);
      this.unmatched = unmatched.concat(this.unmatched);
      this.acks = acks.concat(this.acks);
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, 500);
      return;
    }
    for (const ack of acks) {
      try {
        ack();
      } catch (err) {
        this.log.error({ err }, 'acknowledging a committed report failed');
      }
    }
    this.unmatched.push(...b.unmatched);
    // Receipts for ids nobody sent (a confused peer, a guessing caller) must not grow without bound.
    const over = this.unmatched.length - (this.opts.maxUnmatched ?? 100_000);
    if (over > 0) {
      this.log.warn({ dropped: over }, 'too many receipts match no message; dropping the oldest');
      this.unmatched.splice(0, over);
    }
    if (this.unmatched.length && !this.timer) this.timer = setTimeout(() => ((this.timer = null), this.flush()), 250);
    if (released.length) for (const l of this.listeners.released) l(released);
    for (const e of events) this.bus.emit(e);
    for (const l of this.listeners.flushed) l();
  }

  /** A call dialled or ringing is still under way: it must not be taken back (and dialled again) by the lease sweep. */
  private renewLease(attempt: AttemptRef, now: number): void {
    if (this.opts.leaseMs) this.spool.renewLease(attempt.recipient_id, attempt.id, now + this.opts.leaseMs);
  }

  private apply(r: GatewayReport, b: Batch, firstSeen = b.now): void {
    const { now, events } = b;
    const found = 'attemptId' in r ? { attempt: this.inFlight?.(r.attemptId) ?? this.spool.attempt(r.attemptId), part: null } : this.attemptByPeer(r.providerId, r.peerId);
    const attempt = found?.attempt;
    if (!attempt) {
      if ('peerId' in r) b.unmatched.push({ report: r, firstSeen });
      else this.log.warn({ attemptId: r.attemptId }, 'report for an unknown attempt');
      return;
    }
    let o = r.outcome;
    if (o.kind === 'dialing') {
      // Only the attempt learns its peer id; the recipient stays leased and the in-flight slot held.
      this.spool.attemptPeer(attempt.id, o.peerId);
      this.renewLease(attempt, now);
      return;
    }
    let recipientSubmit: PendingSubmit | undefined;
    if ('attemptId' in r) b.released.push(attempt.id);
    if (o.kind === 'receipt' && 'peerId' in r) this.awaitingReceipt.delete(peerKey(r.providerId, r.peerId));
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
        if (ids) ids.forEach((id, i) => this.rememberAwaiting(attempt.provider_id!, id, { attempt, part: i + 1 }));
        else if (o.peerId) this.rememberAwaiting(attempt.provider_id, o.peerId, { attempt, part: null });
      }
    } else {
      const status = o.kind === 'receipt' ? o.status : o.kind === 'held' ? 'held' : o.retryable ? 'failed_retryable' : (o.state ?? 'failed');
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
        this.updated(events, job, cur.id, attempt.destination, 'queued', t.reason, now);
        return;
      }
    } else {
      t = transition(o, 0, job.retry, now, this.rand());
    }
    if (t.state === 'queued') {
      if (this.spool.holdBack(attempt.recipient_id, attempt.id, t.dueAt, t.reason)) {
        for (const l of this.listeners.held) l(attempt.recipient_id, job.service, t.dueAt);
        this.updated(events, job, attempt.recipient_id, attempt.destination, 'queued', t.reason, now);
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
      this.afterFinal(job, attempt.recipient_id, attempt.destination, t.state, reason, now, cost, events, b.counters);
    }
  }

  /** Accepted messages whose receipt did not come in the same batch: now submitted, awaiting it. */
  private writeSubmits(b: Batch): void {
    for (const p of b.submits.values()) {
      this.spool.attemptAccepted(p.attempt.id, p.peerId, p.parts, p.encoding, p.at);
      if (p.job && this.spool.submitIfCurrent(p.attempt.recipient_id, p.attempt.id, b.now + this.opts.receiptTimeoutMs, p.at, p.parts)) {
        this.updated(b.events, p.job, p.attempt.recipient_id, p.attempt.destination, 'submitted', null, b.now);
      }
    }
  }

  private attemptByPeer(providerId: number, peerId: string): Awaiting | undefined {
    const hit = this.awaitingReceipt.get(peerKey(providerId, peerId));
    if (hit) return hit;
    const part = this.spool.partByPeer(providerId, peerId);
    if (part) return { attempt: part, part: part.part };
    const attempt = this.spool.attemptByPeer(providerId, peerId);
    return attempt && { attempt, part: null };
  }

  private rememberAwaiting(providerId: number, peerId: string, awaiting: Awaiting): void {
    const map = this.awaitingReceipt;
    // Oldest first out: a receipt that never comes must not hold memory for ever.
    if (map.size >= (this.opts.receiptCacheSize ?? 200_000)) map.delete(map.keys().next().value!);
    map.set(peerKey(providerId, peerId), awaiting);
  }

  /** A recipient became final: job counters, status callback and event, all in the caller's transaction. */
  private afterFinal(job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string | null, now: number, cost: number | null, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    const d = counters.get(job.info.id) ?? { done: 0, succeeded: 0, failed: 0, cost: 0 };
    d.done++;
    if (isSuccess(state)) d.succeeded++;
    else d.failed++;
    d.cost += cost ?? 0;
    counters.set(job.info.id, d);
    // The full row is read only when there is a callback to format.
    const formatter = job.info.callbackUrl ? this.formatters.for(job.info.face) : undefined;
    const row = formatter && this.spool.current(recipientId);
    const cb = row ? formatter!.status(job.info, viewOf(row, state, reason), now) : null;
    if (cb) this.callbacks.enqueue(cb, { userId: job.info.userId, jobId: job.info.id, recipientId }, now);
    this.updated(events, job, recipientId, destination, state, reason, now);
    this.log.debug({ jobId: job.info.id, recipientId, state, reason }, 'recipient final');
  }

  /** Finalize a queued recipient that never reached a gateway (invalid number, opted out, expired, cancelled). */
  finalizeNow(job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string, now: number, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    if (this.spool.finalizeQueued(recipientId, state, reason, now)) this.afterFinal(job, recipientId, destination, state, reason, now, null, events, counters);
  }

  /** Apply the job counters a transaction collected (inside it); a job whose last recipient went final is finished. */
  applyCounters(counters: Map<number, JobCounterDelta>, now: number, events: SpoolEvent[]): void {
    for (const [jobId, d] of counters) {
      const row = this.spool.applyJobCounters(jobId, d, now);
      if (row && row.remaining <= 0 && d.done > 0) {
        events.push({ type: 'job.finished', at: now, userId: row.user_id, jobId, status: row.status as 'complete', succeeded: row.succeeded, failed: row.failed });
        this.jobs.forget(jobId);
      }
    }
  }

  /**
   * One inbound message, inside the batch's transaction. One that cannot be matched (a bug, a constraint)
   * must not roll back the batch and so hold up every receipt with it: its own writes are undone (a
   * savepoint) and it is kept unmatched, as received. A store that cannot take even that fails the batch.
   */
  private applyInbound(m: InboundMessage, now: number, events: SpoolEvent[]): void {
    const mark = events.length;
    try {
      this.spool.tx(() => this.matchInbound(m, now, events));
    } catch (err) {
      events.length = mark;
      this.log.warn({ err, providerId: m.providerId, from: m.from }, 'inbound message could not be matched; stored unmatched');
      const userId = m.userId ?? null;
      this.replies.insertInbound({ providerId: m.providerId, userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: null, recipientId: null, at: m.at });
      events.push({ type: 'inbound.received', at: now, userId, from: m.from, to: m.to, text: m.text });
    }
  }

  private matchInbound(m: InboundMessage, now: number, events: SpoolEvent[]): void {
    const query = { from: m.from, to: m.to, providerId: m.providerId, userId: m.userId ?? null, at: m.at };
    const scope = this.replies.scope(query);
    // Unmatched, it is its injector's, or its provider's owner's when a reseller made that provider.
    const userId = scope.owner;
    const target = this.replies.replyTarget(query, scope);
    const cur = target && this.spool.current(target.recipient_id);
    const job = target && this.jobs.get(target.job_id);
    if (!target || !cur || !job) {
      this.replies.insertInbound({ providerId: m.providerId, userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: null, recipientId: null, at: m.at, data: m.data });
      events.push({ type: 'inbound.received', at: now, userId, from: m.from, to: m.to, text: m.text });
      return;
    }
    const code = job.info.optoutCode?.trim().toLowerCase() ?? '';
    const optOut = code !== '' && m.text.trim().toLowerCase() === code;
    this.replies.insertInbound({ providerId: m.providerId, userId: job.info.userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: job.info.id, recipientId: cur.id, at: m.at, data: m.data });
    this.spool.insertResult(cur.attempt_id, cur.id, job.info.id, 'reply', m.text, { from: m.from, to: m.to, optOut }, m.at);
    if (optOut) this.replies.optOut(job.info.userId, target.destination, `reply to job ${job.info.id}`, now);
    // Replies after the job's expiry are recorded but no longer forwarded (seed 000, "expires").
    const forward = job.info.replyUntil === null || m.at < job.info.replyUntil;
    const cb = forward && job.info.callbackUrl ? this.formatters.for(job.info.face)?.reply(job.info, viewOf(cur, cur.state, cur.reason), m.text, m.at) : null;
    if (cb) this.callbacks.enqueue(cb, { userId: job.info.userId, jobId: job.info.id, recipientId: cur.id }, now);
    events.push({ type: 'reply.received', at: now, userId: job.info.userId, jobId: job.info.id, recipientId: cur.id, from: m.from, text: m.text, optOut });
  }

  /** Queue a recipient.updated event, unless nobody listens (with no stream client, a 100k job would build 200k for nothing). */
  private updated(events: SpoolEvent[], job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string | null, now: number): void {
    if (this.bus.wants('recipient.updated')) events.push({ type: 'recipient.updated', at: now, userId: job.info.userId, jobId: job.info.id, recipientId, destination, state, reason });
  }
}

const peerKey = (providerId: number, peerId: string): string => `${providerId}:${peerId}`;

const responseOf = (o: Outcome): string | null => {
  if (o.kind === 'held') return o.reason;
  if (o.kind === 'failed') return [o.code, o.reason].filter(Boolean).join(' ');
  if (o.kind === 'receipt') return [o.code, o.text].filter(Boolean).join(' ') || null;
  return null;
};

function viewOf(cur: CurrentRow, state: RecipientState, reason: string | null): RecipientView {
  return {
    id: cur.id,
    jobId: cur.job_id,
    destination: cur.destination,
    address: cur.address,
    name: cur.name,
    reference: cur.reference,
    state,
    reason,
    cost: cur.cost,
    duration: cur.duration,
    keypress: cur.keypress,
    voicemail: cur.voicemail === null ? null : cur.voicemail === 1,
  };
}
