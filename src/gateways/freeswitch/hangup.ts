import type { Outcome } from '../../core/outcomes.js';
import { t38Failed, T38_FAILURE_CODE } from '../../core/fax.js';

/** FreeSWITCH hangup causes (Q.850 names) as the spool's outcomes. */
const RETRY = new Set([
  'USER_BUSY',
  'NO_ANSWER',
  'NO_USER_RESPONSE',
  'ORIGINATOR_CANCEL',
  'NORMAL_TEMPORARY_FAILURE',
  'SWITCH_CONGESTION',
  'NORMAL_CIRCUIT_CONGESTION',
  'RECOVERY_ON_TIMER_EXPIRE',
  'NETWORK_OUT_OF_ORDER',
  'DESTINATION_OUT_OF_ORDER',
  'GATEWAY_DOWN',
  'MEDIA_TIMEOUT',
  'ALLOTTED_TIMEOUT',
  'REQUESTED_CHAN_UNAVAIL',
  'SERVICE_UNAVAILABLE',
  'LOSE_RACE',
  'SUBSCRIBER_ABSENT',
  'PROGRESS_TIMEOUT',
]);
/**
 * Our own switch going away, not the recipient: FreeSWITCH's shutdown hangs every call up with
 * SYSTEM_SHUTDOWN (switch_core_destroy), `hupall` without a cause and `fsctl hupall` with MANAGER_REQUEST
 * (mod_commands; `uuid_kill` without a cause uses NORMAL_CLEARING, which says nothing of whose it was).
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
  // Cleared before answer is final: over SIP it is mostly a 4xx/6xx with `Reason: Q.850;cause=16`, a callee
  // who declined, whom a retry would ring again. (Over loopback/ a far `respond 486` ends so too: see README.)
  if (end.cause === 'NORMAL_CLEARING') return { kind: 'failed', retryable: false, state: 'rejected', reason: 'cleared before it was answered', code: end.cause };
  if (RETRY.has(end.cause) || OURS.has(end.cause)) return { kind: 'failed', retryable: true, reason, code: end.cause };
  if (INVALID.has(end.cause)) return { kind: 'failed', retryable: false, state: 'invalid', reason, code: end.cause };
  return { kind: 'failed', retryable: false, state: 'rejected', reason, code: end.cause };
}

/** What spandsp said of a fax (the fax_* variables on txfax's CHANNEL_EXECUTE_COMPLETE). */
export interface FaxResult {
  success: boolean;
  code: string;
  text: string;
  /** Pages that went in this call. */
  pages: number;
  /** The document's pages. */
  total: number;
  /** mod_spandsp's fax_t38_status: off, requested, negotiated, refused. */
  t38: string;
}

/**
 * A fax's end from spandsp's result (null: none came): delivered with its pages when every page went,
 * otherwise retried by policy with the result's text; `before`: pages a previous try already delivered
 * (this one started after them). The sandbox reports its faxes with it too.
 */
export function faxOutcome(r: FaxResult | null, billsec: number, before: number, cost?: number): Outcome {
  if (r && r.success && r.total > 0 && before + r.pages >= r.total) {
    return { kind: 'receipt', status: 'delivered', code: r.code || '0', text: r.text || 'OK', ...(cost !== undefined ? { cost } : {}), call: { duration: billsec, keypress: null, voicemail: false, pages: before + r.pages } };
  }
  const what = r ? `fax failed: ${r.text || 'no result'} (${before + r.pages} of ${r.total} pages, T.38 ${r.t38})` : 'fax failed: the call ended before the fax did';
  // A T.38 failure is stored under its own code: the next tries to the number go in audio mode.
  const code = r ? `${t38Failed(r.success, r.t38, r.pages) ? T38_FAILURE_CODE : 'fax_'}${r.code || 'none'}` : 'fax';
  return { kind: 'failed', retryable: true, reason: what, code, ...(r && r.pages > 0 ? { pages: r.pages } : {}) };
}

/**
 * What FreeSWITCH keeps of a call after its channel is gone: `api_hangup_hook` (run in the hangup
 * state, after the running application returned, variables expanded) stores the call's billsec and
 * hangup_cause, and a fax's spandsp result, with mod_hash under realm `switchpost`, so a call that
 * ended while the event socket was down is billed to the end FreeSWITCH recorded.
 */
export const HANGUP_REALM = 'switchpost';

const KEPT = ['billsec', 'hangup_cause', 'fax_success', 'fax_result_code', 'fax_document_transferred_pages', 'fax_document_total_pages', 'fax_t38_status'];

/** The api_hangup_hook value for a call (set with uuid_setvar, which does not expand it). */
export const hangupHook = (uuid: string): string => `hash insert/${HANGUP_REALM}/${uuid}/${KEPT.map((v) => `\${${v}}`).join(':')}`;

export interface KeptCallEnd {
  billsec: number;
  cause: string;
  /** spandsp's result when the call ran txfax (fax_success was set). */
  fax: { success: boolean; code: string; pages: number; total: number; t38: string } | null;
}

/** `hash select/switchpost/<uuid>`'s answer, or null when FreeSWITCH kept nothing. */
export function keptCallEnd(value: string): KeptCallEnd | null {
  const m = /^(\d{1,9}):([A-Z_]{1,64}):([01]?):(\d{0,4}):(\d{0,6}):(\d{0,6}):([a-z]{0,16})$/.exec(value.trim());
  if (!m) return null;
  const [billsec = '0', cause = '', success = '', code = '', pages = '', total = '', t38 = ''] = m.slice(1);
  return { billsec: Number(billsec), cause, fax: success ? { success: success === '1', code, pages: Number(pages) || 0, total: Number(total) || 0, t38: t38 || 'off' } : null };
}
