import type { Logger } from 'pino';
import type { Rates } from '../core/costs.js';
import type { SpoolStore, JobCounterDelta } from '../store/spool.js';
import type { CallbackStore } from '../store/callbacks.js';
import type { ReplyStore } from '../store/replies.js';
import type { GatewayReport, GatewaySink, InboundMessage } from '../gateways/gateway.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import type { MailFollowUpWriter } from './mail-follow-ups.js';
import type { Clock } from '../core/clock.js';
import type { JobCache } from './job-cache.js';
import { ReceiptMatcher, type InFlightLookup, type ReceiptMatchOptions } from './receipt-matcher.js';
import { OutcomeWriter, newBatch, type HeldListener, type OutcomeOptions } from './outcome-writer.js';
import { InboundWriter } from './inbound-writer.js';
import type { InboundRouter } from './inbound-router.js';
import { Finalizer, type FinalItem } from './finalizer.js';
import { Tally } from './tally.js';

/** How long a receipt that matches no message yet goes unacknowledged (its peer holds it meanwhile). */
export const UNMATCHED_ACK_MS = 2000;
export interface RecorderOptions extends ReceiptMatchOptions, OutcomeOptions {
  flushMs: number;
  maxBatch: number;
}

/** What the recorder tells whoever subscribes (`on`); several may listen to each, none replaces another. */
export interface RecorderEvents {
  /** After commit, the attempts whose first outcome was recorded: their in-flight slots are free. */
  released: (attemptIds: number[]) => void;
  /** After commit, once the batch's events are emitted: capacity may be free, callbacks may be due. */
  flushed: () => void;
  /** After commit, the attempts of MMS recipients this batch made final (their hosted media can go). */
  mmsFinal: (attemptIds: number[]) => void;
  /**
   * A recipient its gateway handed back unsent (link down): it waits for its provider to come back.
   * Told inside the batch's transaction, as the hold is written.
   */
  held: HeldListener;
  /** A provider's link went up or down (before the bus hears of it). */
  health: (providerId: number, up: boolean, reason?: string) => void;
}

type ListenerSets = { [E in keyof RecorderEvents]: Set<RecorderEvents[E]> };

/**
 * Turns gateway reports into state: each flush applies a batch in one transaction (group commit),
 * writes the callbacks those changes cause in the same transaction, then tells the bus.
 * A report is only forgotten once its transaction has committed, and acknowledged only then.
 * Which attempt a report is about is the receipt matcher's; what it changes, the outcome writer's;
 * inbound messages, the inbound writer's; what a final recipient causes, the finalizer's.
 */
export class Recorder implements GatewaySink {
  private queue: GatewayReport[] = [];
  private inboundQueue: InboundMessage[] = [];
  /** Attempts going on the wire, recorded in the next commit. */
  private wired: number[] = [];
  /** Acknowledgements waiting for the reports queued with them to commit. */
  private acks: (() => void)[] = [];
  /** Each receipt's acknowledgement, given once the receipt is matched, or has waited UNMATCHED_ACK_MS. */
  private readonly receiptAcks = new WeakMap<GatewayReport, () => void>();
  private timer: NodeJS.Timeout | null = null;
  private soon = false;
  private readonly listeners: ListenerSets = { released: new Set(), flushed: new Set(), mmsFinal: new Set(), held: new Set(), health: new Set() };
  private readonly receipts: ReceiptMatcher;
  private readonly outcomes: OutcomeWriter;
  private readonly inboundWriter: InboundWriter;
  private readonly finalizer: Finalizer;
  /** What committed batches counted for the metrics (issue 19); the engine takes it with its stats. */
  readonly tally = new Tally();

  constructor(
    private readonly spool: SpoolStore,
    callbacks: CallbackStore,
    replies: ReplyStore,
    jobs: JobCache,
    formatters: CallbackFormatters,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RecorderOptions,
    rand: () => number = Math.random,
  ) {
    const { batch } = spool;
    this.receipts = new ReceiptMatcher(batch, log, opts);
    this.finalizer = new Finalizer(spool, batch, callbacks, jobs, formatters, bus, log);
    this.inboundWriter = new InboundWriter(spool, replies, jobs, callbacks, formatters, log);
    this.outcomes = new OutcomeWriter(batch, jobs, this.receipts, this.finalizer, bus, log, opts, rand, (recipientId, service, dueAt) => {
      for (const l of this.listeners.held) l(recipientId, service, dueAt);
    });
  }

  /** The providers' rates, for the cost of each message a provider took (core/costs.ts). */
  setRates(ratesOf: (providerId: number) => Rates | null): void {
    this.outcomes.ratesOf = ratesOf;
  }

  /** The faces' follow-up e-mails, made in the transactions that record replies and finish jobs. */
  setFollowUps(writer: MailFollowUpWriter): void {
    this.finalizer.followUps = writer;
    this.inboundWriter.followUps = writer;
  }

  /** What routes a message that answers no job to its owner's receive program (issue 17). */
  setInboundRouter(router: InboundRouter): void {
    this.inboundWriter.router = router;
  }

  /** Subscribe to one of the recorder's events; returns the unsubscribe. */
  on<E extends keyof RecorderEvents>(event: E, listener: RecorderEvents[E]): () => void {
    const set: Set<RecorderEvents[E]> = this.listeners[event];
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Set once, by the dispatcher: its record of attempts in flight spares a store read for most reports. */
  setInFlightLookup(lookup: InFlightLookup): void {
    this.receipts.setInFlightLookup(lookup);
  }

  report(r: GatewayReport, committed?: () => void): void {
    this.queue.push(r);
    // A receipt is acknowledged once it is matched and stored, not merely seen: one that beat its
    // message's commit (on this node or, with several nodes, on another) is kept in memory meanwhile,
    // and the peer must still hold it if this process ends (it resends it, perhaps to another node).
    // One still unmatched after UNMATCHED_ACK_MS is acknowledged and kept trying in memory, as before.
    if (committed) 'peerId' in r ? this.receiptAcks.set(r, committed) : this.acks.push(committed);
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
    return this.queue.length + this.inboundQueue.length + this.receipts.unmatchedCount;
  }

  /** Finalize queued recipients that never reached a gateway (invalid number, opted out, expired, cancelled), inside the caller's transaction. */
  finalizeQueued(items: readonly (Omit<FinalItem, 'cost'> & { reason: string })[], now: number, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    this.finalizer.finalizeQueued(items, now, events, counters);
  }

  /** Apply the job counters a transaction collected (inside it); a job whose last recipient went final is finished. */
  applyCounters(counters: Map<number, JobCounterDelta>, now: number, events: SpoolEvent[]): void {
    this.finalizer.applyCounters(counters, now, events);
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
    if (this.queue.length === 0 && this.inboundQueue.length === 0 && this.receipts.unmatchedCount === 0 && this.acks.length === 0) return;
    const wired = this.wired;
    this.wired = [];
    const reports = this.queue;
    const inbound = this.inboundQueue;
    const unmatched = this.receipts.takeUnmatched();
    const acks = this.acks;
    this.acks = [];
    this.queue = [];
    this.inboundQueue = [];
    const now = this.clock.now();
    const b = newBatch(now);
    const { events, released } = b;
    try {
      this.spool.tx(() => {
        if (wired.length) this.spool.markOnWire(wired);
        // Receipts that beat their submit response are tried again: their attempt may be known now.
        this.outcomes.applyAll(
          reports,
          unmatched.filter((u) => this.receipts.worthRetrying(u, now)),
          b,
        );
        for (const m of inbound) this.inboundWriter.write(m, now, events);
        this.finalizer.applyCounters(b.counters, now, events);
      });
    } catch (err) {
      // Nothing was committed: put the batch back and try again shortly.
      this.log.error({ err }, 'recording outcomes failed; will retry');
      this.queue = reports.concat(this.queue);
      this.wired = wired.concat(this.wired);
      this.inboundQueue = inbound.concat(this.inboundQueue);
      this.receipts.putBack(unmatched);
      this.acks = acks.concat(this.acks);
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, 500);
      return;
    }
    const dropped = this.receipts.keep(b.unmatched);
    // Unmatched for long (a receipt for no message we sent, or an HTTP peer waiting on its answer): acknowledged anyway.
    const waiting = new Set<GatewayReport>(b.unmatched.filter((u) => now - u.firstSeen < UNMATCHED_ACK_MS).map((u) => u.report));
    for (const u of dropped) waiting.delete(u.report);
    for (const r of [...reports, ...unmatched.map((u) => u.report), ...dropped.map((u) => u.report)]) {
      const ack = this.receiptAcks.get(r);
      if (!ack || waiting.has(r)) continue;
      this.receiptAcks.delete(r);
      acks.push(ack);
    }
    for (const ack of acks) {
      try {
        ack();
      } catch (err) {
        this.log.error({ err }, 'acknowledging a committed report failed');
      }
    }
    this.tally.merge(b.tally);
    if (this.receipts.unmatchedCount && !this.timer) this.timer = setTimeout(() => ((this.timer = null), this.flush()), 250);
    if (released.length) for (const l of this.listeners.released) l(released);
    for (const e of events) this.bus.emit(e);
    if (b.mmsFinal.length) for (const l of this.listeners.mmsFinal) l(b.mmsFinal);
    for (const l of this.listeners.flushed) l();
  }
}
