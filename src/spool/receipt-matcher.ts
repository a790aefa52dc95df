import type { Logger } from 'pino';
import type { AttemptRef } from '../store/spool.js';
import type { SpoolBatch } from '../store/spool-batch.js';
import type { GatewayReport } from '../gateways/gateway.js';

export interface ReceiptMatchOptions {
  /** How long a receipt that matches no attempt yet (it beat the submit response) is kept. */
  unmatchedReceiptMs: number;
  /** How many receipts that match no message yet are kept for a later match. */
  maxUnmatched?: number;
  /** How many attempts awaiting a receipt are remembered in memory (a miss costs one indexed read). */
  receiptCacheSize?: number;
}

/** An attempt a report is about, and which part of it (null for a message in one part, or a report by attempt id). */
export interface Awaiting {
  attempt: AttemptRef;
  part: number | null;
  /** When the peer took it (remembered in memory only): the receipt's latency is measured from it. */
  submittedAt?: number;
}

/** A receipt that matched no attempt yet, kept for a later flush. */
export interface Unmatched {
  report: Extract<GatewayReport, { peerId: string }>;
  firstSeen: number;
}

/** The dispatcher's record of an attempt still in flight. */
export type InFlightLookup = (attemptId: number) => AttemptRef | undefined;

/**
 * Which attempt a report is about: by attempt id, or — a receipt — by the peer's message id, from
 * memory first. Keeps the receipts that beat their submit response until their attempt is known.
 */
export class ReceiptMatcher {
  /**
   * Attempts awaiting a receipt, by provider and peer message id: receipts are the hot path of a busy
   * SMS link, and most find their attempt here instead of in the index. Bounded; a miss reads the store.
   */
  private readonly awaitingReceipt = new Map<string, Awaiting>();
  private unmatched: Unmatched[] = [];
  private inFlight: InFlightLookup | null = null;

  constructor(
    private readonly store: SpoolBatch,
    private readonly log: Logger,
    private readonly opts: ReceiptMatchOptions,
  ) {}

  /** Set once, by the dispatcher: its record spares a store read for most reports by attempt id. */
  setInFlightLookup(lookup: InFlightLookup): void {
    if (this.inFlight) throw new Error('the in-flight lookup is set once');
    this.inFlight = lookup;
  }

  /** The attempt each report by attempt id is about (undefined where none is known): from the dispatcher's record, else one read for the rest. */
  attemptsOf(attemptIds: readonly number[]): (Awaiting | undefined)[] {
    const known = attemptIds.map((id) => this.inFlight?.(id));
    const stored = this.store.attempts(attemptIds.filter((_, i) => !known[i]));
    return attemptIds.map((id, i) => {
      const attempt = known[i] ?? stored.get(id);
      return attempt && { attempt, part: null };
    });
  }

  /**
   * The attempt each receipt is about, by the peer's message id: from memory, else one read per provider
   * for the rest. Undefined where none is known yet (the receipt beat its submit response).
   */
  matchAll(reports: readonly { providerId: number; peerId: string }[]): (Awaiting | undefined)[] {
    const hits = reports.map((r) => this.awaitingReceipt.get(peerKey(r.providerId, r.peerId)));
    const missed = new Map<number, Set<string>>();
    reports.forEach((r, i) => {
      if (hits[i]) return;
      const set = missed.get(r.providerId) ?? new Set<string>();
      set.add(r.peerId);
      missed.set(r.providerId, set);
    });
    const stored = new Map<number, Map<string, AttemptRef & { part: number | null }>>();
    for (const [providerId, peerIds] of missed) stored.set(providerId, this.store.byPeer(providerId, [...peerIds]));
    return reports.map((r, i) => {
      const hit = hits[i];
      if (hit) return hit;
      const row = stored.get(r.providerId)?.get(r.peerId);
      if (!row) return undefined;
      const { part, ...attempt } = row;
      return { attempt, part };
    });
  }

  /** An accepted message (or one part of it) awaits its receipt under the peer's id. */
  remember(providerId: number, peerId: string, awaiting: Awaiting): void {
    const map = this.awaitingReceipt;
    // Oldest first out: a receipt that never comes must not hold memory for ever.
    if (map.size >= (this.opts.receiptCacheSize ?? 200_000)) map.delete(map.keys().next().value!);
    map.set(peerKey(providerId, peerId), awaiting);
  }

  /** Its receipt came: it awaits nothing more. */
  received(providerId: number, peerId: string): void {
    this.awaitingReceipt.delete(peerKey(providerId, peerId));
  }

  get unmatchedCount(): number {
    return this.unmatched.length;
  }

  /** The receipts kept so far, for a flush to try again; it hands back with `keep` or `putBack` what it does not match. */
  takeUnmatched(): Unmatched[] {
    const taken = this.unmatched;
    this.unmatched = [];
    return taken;
  }

  /** Whether a kept receipt is still worth matching; one kept too long is dropped. */
  worthRetrying(u: Unmatched, now: number): boolean {
    if (now - u.firstSeen <= this.opts.unmatchedReceiptMs) return true;
    this.log.warn({ providerId: u.report.providerId, peerId: u.report.peerId }, 'receipt matches no message; dropped');
    return false;
  }

  /** A flush that did not commit gives back what it took, ahead of anything kept since. */
  putBack(taken: Unmatched[]): void {
    this.unmatched = taken.concat(this.unmatched);
  }

  /** After a commit: the receipts that matched nothing are kept for a later flush, within the bound; the ones dropped for it returned. */
  keep(unmatched: Unmatched[]): Unmatched[] {
    this.unmatched.push(...unmatched);
    // Receipts for ids nobody sent (a confused peer, a guessing caller) must not grow without bound.
    const over = this.unmatched.length - (this.opts.maxUnmatched ?? 100_000);
    if (over <= 0) return [];
    this.log.warn({ dropped: over }, 'too many receipts match no message; dropping the oldest');
    return this.unmatched.splice(0, over);
  }
}

const peerKey = (providerId: number, peerId: string): string => `${providerId}:${peerId}`;
