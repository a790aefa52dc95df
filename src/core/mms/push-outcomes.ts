/**
 * What the WAP Push path's events mean for the attempt they name (issue 20): the hosted ref an
 * attempt's files and tokens carry, and the handset's fetch, answers and the notification's expiry as
 * the spool's outcomes. Pure; main.ts reports them, the spool's sweep asks for the expiry's.
 */
import type { Outcome } from '../outcomes.js';
import type { HostedKind } from './hosted-token.js';
import type { HandsetResponse } from './responses.js';

/** How an MMS recipient's attempt went (the attempt's `encoding` column, the v1 report's `mms_path`). */
export type MmsPath = 'mm7' | 'wap_push' | 'sms_link';
export const MMS_PATHS: readonly MmsPath[] = ['mm7', 'wap_push', 'sms_link'];

/** The attempt's stage once its handset fetched the M-Retrieve.conf whole (recipient still submitted). */
export const RETRIEVED_STAGE = 'retrieved';

/** The hosted ref of an attempt's M-Retrieve.conf and link file: `a<attempt id>`. */
export const attemptRef = (attemptId: number): string => `a${attemptId}`;

/** The attempt a hosted ref names, or null for a ref this daemon does not make. */
export function attemptOfRef(ref: string): number | null {
  const m = /^a([1-9][0-9]{0,15})$/.exec(ref);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : null;
}

/** A fetch of a hosted URL: the MMS's M-Retrieve.conf is a stage (delivered comes with the handset's answer); a link's file says nothing more than its SMS's receipt. */
export function fetchOutcome(kind: HostedKind): Outcome | null {
  return kind === 'mms' ? { kind: 'stage', status: RETRIEVED_STAGE, text: 'M-Retrieve.conf fetched by the handset' } : null;
}

/**
 * The handset's M-NotifyResp.ind or M-Acknowledge.ind as the recipient's outcome: retrieved (or an
 * acknowledgement) is delivered, rejected and unrecognised are final failures, expired is expired;
 * deferred (it will fetch later) and the statuses that say nothing sure change nothing.
 */
export function answerOutcome(r: HandsetResponse): Outcome | null {
  if (r.type === 'acknowledge') return { kind: 'receipt', status: 'delivered', code: 'Retrieved', text: 'M-Acknowledge.ind' };
  switch (r.status) {
    case 'retrieved':
      return { kind: 'receipt', status: 'delivered', code: 'Retrieved', text: 'M-NotifyResp.ind: retrieved' };
    case 'rejected':
      return { kind: 'receipt', status: 'rejected', code: 'Rejected', text: 'M-NotifyResp.ind: rejected by the handset' };
    case 'unrecognised':
      return { kind: 'receipt', status: 'undeliverable', code: 'Unrecognised', text: 'M-NotifyResp.ind: unrecognised' };
    case 'expired':
      return { kind: 'receipt', status: 'expired', code: 'Expired', text: 'M-NotifyResp.ind: expired' };
    case 'deferred':
      return { kind: 'stage', status: 'deferred', text: 'M-NotifyResp.ind: deferred' };
    default:
      return null;
  }
}

/** The code an expired WAP Push's failure carries when its next try is the SMS with a link (the attempt's response starts with it). */
export const PUSH_EXPIRED_FALLBACK = 'expired_fallback';

/**
 * A WAP Push notification whose expiry passed with its recipient still submitted: never fetched is the
 * failure (`expired`), or, where its provider falls back to the link, a retryable one whose next try is
 * the SMS with a link; fetched whole but never answered is delivered (the handset has the message).
 */
export function pushExpiryOutcome(attemptStatus: string | null, linkFallback = false): Outcome {
  if (attemptStatus === RETRIEVED_STAGE) return { kind: 'receipt', status: 'delivered', code: 'Retrieved', text: 'retrieved; no M-NotifyResp.ind before the expiry' };
  if (linkFallback) return { kind: 'failed', retryable: true, reason: 'EXPIRED: not fetched before its expiry; the next try is the SMS with a link', code: PUSH_EXPIRED_FALLBACK };
  return { kind: 'failed', retryable: false, state: 'expired', reason: 'EXPIRED: not fetched before its expiry', code: 'expired' };
}
