import type { FinalState, RecipientState } from './model.js';

/** What a gateway can report about one attempt. */
export type Outcome =
  /**
   * The peer took the message; awaitReceipt says whether a receipt (DLR) will follow. A message sent as
   * several parts lists every part's peer id in partPeerIds (peerId is the first): each gets a receipt.
   */
  | {
      kind: 'accepted';
      peerId?: string | undefined;
      awaitReceipt: boolean;
      parts?: number;
      encoding?: string;
      partPeerIds?: string[];
      /** Until when its receipt is awaited (epoch ms; an MMS notification's expiry); none: `spool.receipt_timeout_hours`. */
      deadline?: number;
    }
  /** The final word from the network (an SMS DLR, a call's end). */
  | { kind: 'receipt'; status: ReceiptStatus; code?: string | undefined; text?: string | undefined; cost?: number; call?: CallResult }
  /**
   * The attempt did not get through. Retryable failures go back to the queue while tries remain. A fax
   * that went partly says how many pages arrived (`pages`): its retry starts after them.
   */
  | { kind: 'failed'; retryable: boolean; state?: 'undeliverable' | 'rejected' | 'invalid' | 'expired'; reason: string; code?: string | undefined; pages?: number }
  /** The gateway could not send it now (link down): back to the queue after `retryMs`, without using a try. */
  | { kind: 'held'; reason: string; retryMs: number }
  /**
   * Not an outcome yet: a stage the attempt reached while its recipient stays submitted (an MMS fetched
   * by the handset: `retrieved`). Recorded on the attempt only while it is its recipient's open one.
   */
  | { kind: 'stage'; status: string; text?: string }
  /** Not an outcome yet: the peer's id for the attempt, stored before the peer acts (a call's UUID before it is dialled). */
  | { kind: 'dialing'; peerId: string }
  /**
   * A bounce (an e-mail's delivery status notification) for an attempt that may already be final as sent:
   * the recipient becomes undeliverable even then (see `bounceMove`). `code` is the DSN's Status (5.1.1).
   */
  | { kind: 'bounced'; reason: string; code?: string | undefined };

/** What an answered call produced. */
export interface CallResult {
  /** Seconds from answer to hangup. */
  duration: number;
  keypress: string | null;
  voicemail: boolean;
  /** A fax's pages that went through. */
  pages?: number;
}

export type ReceiptStatus = 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'unknown';

export interface RetryPolicy {
  tries: number;
  backoffSeconds: number;
  backoffMaxSeconds: number;
}

/** Exponential backoff: backoff × 2^(tries made − 1), capped, with ±10% jitter from `rand` in [0,1). */
export function retryDelayMs(triesMade: number, policy: RetryPolicy, rand: number): number {
  const base = Math.min(policy.backoffSeconds * 2 ** Math.max(0, triesMade - 1), policy.backoffMaxSeconds);
  return Math.round(base * 1000 * (0.9 + 0.2 * rand));
}

export type Transition = { state: 'submitted'; final: false } | { state: 'queued'; final: false; dueAt: number; reason: string } | { state: FinalState; final: true; reason: string | null };

const RECEIPT_STATE: Record<ReceiptStatus, FinalState> = {
  delivered: 'delivered',
  undeliverable: 'undeliverable',
  expired: 'expired',
  rejected: 'rejected',
  unknown: 'sent',
};

/** The recipient's next state after an outcome of its current attempt. */
export function transition(outcome: Outcome, triesMade: number, policy: RetryPolicy, now: number, rand: number): Transition {
  switch (outcome.kind) {
    case 'accepted':
      return outcome.awaitReceipt ? { state: 'submitted', final: false } : { state: 'sent', final: true, reason: null };
    case 'receipt':
      return { state: RECEIPT_STATE[outcome.status], final: true, reason: outcome.text ?? (outcome.status === 'delivered' ? null : outcome.status) };
    case 'dialing':
    case 'stage':
      return { state: 'submitted', final: false };
    case 'bounced':
      return { state: 'undeliverable', final: true, reason: outcome.reason };
    case 'held':
      return { state: 'queued', final: false, dueAt: now + outcome.retryMs, reason: outcome.reason };
    case 'failed':
      if (outcome.retryable && triesMade < policy.tries) {
        return { state: 'queued', final: false, dueAt: now + retryDelayMs(triesMade, policy, rand), reason: outcome.reason };
      }
      if (outcome.retryable) return { state: 'failed', final: true, reason: `${outcome.reason} (after ${triesMade} tries)` };
      return { state: outcome.state ?? 'failed', final: true, reason: outcome.reason };
  }
}

/** The status an attempt's own record takes from an outcome that ends it (its recipient may still be retried). */
export function attemptStatus(outcome: Extract<Outcome, { kind: 'receipt' | 'failed' | 'held' | 'bounced' }>): string {
  if (outcome.kind === 'receipt') return outcome.status;
  if (outcome.kind === 'bounced') return 'undeliverable';
  if (outcome.kind === 'held') return 'held';
  return outcome.retryable ? 'failed_retryable' : (outcome.state ?? 'failed');
}

/** The attempt's `response`: what the peer or the gateway said of it, or null when it said nothing. */
export function responseOf(outcome: Outcome): string | null {
  if (outcome.kind === 'held') return outcome.reason;
  if (outcome.kind === 'failed' || outcome.kind === 'bounced') return [outcome.code, outcome.reason].filter(Boolean).join(' ');
  if (outcome.kind === 'receipt') return [outcome.code, outcome.text].filter(Boolean).join(' ') || null;
  return null;
}

/** A state only moves forward: a late or repeated report never reopens a final recipient. */
export const canApply = (current: RecipientState): boolean => current === 'sending' || current === 'submitted';

/**
 * What a bounce does to its recipient in `current` state: an open one becomes final (undeliverable), one
 * final as a success (sent, or delivered: a DSN can follow a relay's success report) moves to
 * undeliverable, counted again as a failure; one already failed is left as it is.
 */
export function bounceMove(current: RecipientState): 'final' | 'reopen' | null {
  if (canApply(current)) return 'final';
  return current === 'sent' || current === 'delivered' ? 'reopen' : null;
}
