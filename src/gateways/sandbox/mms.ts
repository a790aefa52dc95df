import type { Outcome } from '../../core/outcomes.js';
import type { MmsDelivery } from '../gateway.js';
import type { SandboxLine } from './line.js';

/** What the sandbox does with an MMS, by the destination's last three digits (see README.md, "MMS test numbers"). */
export type SandboxMmsBehaviour = 'retrieved' | 'expired' | 'mm7_error' | 'link_fallback' | 'reply';

const BY_SUFFIX: Record<string, SandboxMmsBehaviour> = {
  '002': 'expired',
  '006': 'reply',
  '031': 'mm7_error',
  '032': 'link_fallback',
};

export const sandboxMmsBehaviour = (destination: string): SandboxMmsBehaviour => BY_SUFFIX[destination.slice(-3)] ?? 'retrieved';

/**
 * The sandbox's MMS, reported as the mm7 driver reports an MMSC's answers: a SubmitRsp's MessageID as
 * the peer id, then the DeliveryReportReq's MMStatus as the receipt (Retrieved: delivered; Expired:
 * the handset never fetched it), or the MMSC's refusal (StatusCode 2004). A reply comes back as an
 * inbound MMS (a DeliverReq). The link fallback (032) is reported as an smpp provider with
 * `mms.fallback: sms_link` reports it: the MMS refused, then the SMS with a link accepted (path
 * `sms_link`) and its receipt delivered. No link is hosted: the sandbox sends nothing.
 */
export function sandboxMms(line: SandboxLine, d: MmsDelivery, receipt: (peerId: string, outcome: Outcome) => void, reply: () => void): void {
  const behaviour = sandboxMmsBehaviour(d.destination);
  if (behaviour === 'mm7_error') return line.report(d.attemptId, { kind: 'failed', retryable: false, state: 'rejected', reason: 'MM7 StatusCode 2004: Multimedia content refused', code: '2004' });
  const peerId = line.peerId();
  if (behaviour === 'link_fallback') {
    line.report(d.attemptId, { kind: 'accepted', peerId, awaitReceipt: true, parts: 1, encoding: 'sms_link' });
    line.later(line.ringMs(), () => receipt(peerId, { kind: 'receipt', status: 'delivered', code: 'DELIVRD', text: 'the MMS was refused (StatusCode 2004); delivered as an SMS with a link' }));
    return;
  }
  line.report(d.attemptId, { kind: 'accepted', peerId, awaitReceipt: true, parts: 1, encoding: 'mm7' });
  const ms = line.ringMs();
  const outcome: Outcome = behaviour === 'expired' ? { kind: 'receipt', status: 'expired', code: 'Expired', text: 'EXPIRED: not fetched before its expiry' } : { kind: 'receipt', status: 'delivered', code: 'Retrieved' };
  line.later(ms, () => receipt(peerId, outcome));
  if (behaviour === 'reply') line.later(ms * 2, reply);
}
