import type { Outcome, ReceiptStatus } from '../../core/outcomes.js';

/**
 * MM7's request status codes (3GPP TS 23.140, the StatusCode of a response): 1xxx success, 2xxx
 * client errors (our request was wrong: sending it again changes nothing), 3xxx server errors (the
 * MMSC failed: tried again, but for the refusals that are final), 4xxx service errors (only an
 * unavailable service is worth another try).
 */
export const MM7_STATUS_TEXT: Record<number, string> = {
  1000: 'Success',
  1100: 'Partial success',
  2000: 'Client error',
  2001: 'Operation restricted',
  2002: 'Address Error',
  2003: 'Address Not Found',
  2004: 'Multimedia content refused',
  2005: 'Message ID Not found',
  2006: 'LinkedID not found',
  2007: 'Message format corrupt',
  2008: 'Application ID not found',
  2009: 'Reply Application ID not found',
  3000: 'Server Error',
  3001: 'Not Possible',
  3002: 'Message rejected',
  3003: 'Multiple addresses not supported',
  3004: 'Application Addressing not supported',
  4000: 'General service error',
  4001: 'Improper identification',
  4002: 'Unsupported version',
  4003: 'Unsupported operation',
  4004: 'Validation error',
  4005: 'Service error',
  4006: 'Service unavailable',
  4007: 'Service denied',
  4008: 'Application denied',
};

const RETRIED = new Set([3000, 3001, 4006]);
const ADDRESS = new Set([2002, 2003]);
const REFUSED = new Set([2004, 3002, 4007, 4008]);

export const isSuccess = (code: number): boolean => code === 1000 || code === 1100;

/** A StatusCode that is not success, as the attempt's failure: retried or final, and which final state. */
export function submitFailure(code: number, text: string | null): Extract<Outcome, { kind: 'failed' }> {
  const words = text?.trim() || MM7_STATUS_TEXT[code] || 'unknown status';
  const reason = `MM7 StatusCode ${code}: ${words}`;
  const retryable = RETRIED.has(code);
  if (retryable) return { kind: 'failed', retryable, reason, code: String(code) };
  return { kind: 'failed', retryable, reason, code: String(code), ...(ADDRESS.has(code) ? { state: 'undeliverable' as const } : REFUSED.has(code) ? { state: 'rejected' as const } : {}) };
}

/**
 * A DeliveryReportReq's MMStatus as the recipient's outcome (TS 23.140's values): Retrieved is
 * delivered; Expired, Rejected, Unrecognised and DeliveryConditionNotMet are final failures;
 * Forwarded and Indeterminate say nothing sure (sent); Deferred is not an outcome yet (null).
 */
export function mmStatusReceipt(mmStatus: string): ReceiptStatus | null {
  switch (mmStatus.trim().toLowerCase()) {
    case 'retrieved':
      return 'delivered';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    case 'unrecognised':
    case 'unrecognized':
    case 'deliveryconditionnotmet':
      return 'undeliverable';
    case 'deferred':
      return null;
    default:
      return 'unknown';
  }
}
