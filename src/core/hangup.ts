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
}

/** A call's end: answered → delivered (its seconds as duration); else retried or final by cause. */
export function hangupOutcome(end: CallEnd): Outcome {
  const reason = end.cause.toLowerCase().replaceAll('_', ' ');
  if (end.answered) return { kind: 'receipt', status: 'delivered', code: end.cause, text: `answered, ${end.billsec} s` };
  if (RETRY.has(end.cause) || OURS.has(end.cause)) return { kind: 'failed', retryable: true, reason, code: end.cause };
  if (INVALID.has(end.cause)) return { kind: 'failed', retryable: false, state: 'invalid', reason, code: end.cause };
  return { kind: 'failed', retryable: false, state: 'rejected', reason, code: end.cause };
}
