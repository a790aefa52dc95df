import type { Outcome } from './outcomes.js';

/** FreeSWITCH hangup causes (Q.850 names) as the spool's outcomes. */
const RETRY = new Set(['USER_BUSY', 'NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL', 'NORMAL_TEMPORARY_FAILURE', 'SWITCH_CONGESTION', 'NORMAL_CIRCUIT_CONGESTION', 'RECOVERY_ON_TIMER_EXPIRE', 'NETWORK_OUT_OF_ORDER', 'DESTINATION_OUT_OF_ORDER', 'GATEWAY_DOWN', 'MEDIA_TIMEOUT', 'ALLOTTED_TIMEOUT', 'REQUESTED_CHAN_UNAVAIL', 'SERVICE_UNAVAILABLE', 'LOSE_RACE', 'SUBSCRIBER_ABSENT', 'PROGRESS_TIMEOUT']);
/**
 * Our own switch going away, not the recipient: FreeSWITCH's shutdown hangs every call up with
 * SYSTEM_SHUTDOWN (switch_core_destroy), `hupall` and `uuid_kill` without a cause with MANAGER_REQUEST.
 */
const OURS = new Set(['SYSTEM_SHUTDOWN', 'MANAGER_REQUEST']);
const INVALID = new Set(['UNALLOCATED_NUMBER', 'INVALID_NUMBER_FORMAT', 'NO_ROUTE_DESTINATION', 'NUMBER_CHANGED', 'INCOMPATIBLE_DESTINATION']);

export interface CallEnd {
  cause: string;
  answered: boolean;
  billsec: number;
  /** Answered, and hung up before its plan was played to the end. */
  cutShort?: boolean;
}

/**
 * A call's end: answered → delivered (its seconds as duration), unless our own switch cut it short
 * (then retried: the recipient did not hear it all); else retried or final by cause.
 */
export function hangupOutcome(end: CallEnd): Outcome {
  const reason = end.cause.toLowerCase().replaceAll('_', ' ');
  if (end.answered && end.cutShort && OURS.has(end.cause)) return { kind: 'failed', retryable: true, reason: `cut short by our own switch (${reason})`, code: end.cause };
  if (end.answered) return { kind: 'receipt', status: 'delivered', code: end.cause, text: `answered, ${end.billsec} s` };
  if (RETRY.has(end.cause) || OURS.has(end.cause)) return { kind: 'failed', retryable: true, reason, code: end.cause };
  if (INVALID.has(end.cause)) return { kind: 'failed', retryable: false, state: 'invalid', reason, code: end.cause };
  return { kind: 'failed', retryable: false, state: 'rejected', reason, code: end.cause };
}

/**
 * What FreeSWITCH keeps of a call after its channel is gone: `api_hangup_hook` (run in the hangup
 * state, variables expanded) stores `billsec:hangup_cause` with mod_hash under realm `switchpost`,
 * so a call that ended while the event socket was down is billed to the end FreeSWITCH recorded.
 */
export const HANGUP_REALM = 'switchpost';

/** The api_hangup_hook value for a call (set with uuid_setvar, which does not expand it). */
export const hangupHook = (uuid: string): string => `hash insert/${HANGUP_REALM}/${uuid}/\${billsec}:\${hangup_cause}`;

/** `hash select/switchpost/<uuid>`'s answer, or null when FreeSWITCH kept nothing. */
export function keptCallEnd(value: string): { billsec: number; cause: string } | null {
  const m = /^(\d{1,9}):([A-Z_]{1,64})$/.exec(value.trim());
  return m ? { billsec: Number(m[1]), cause: m[2]! } : null;
}
