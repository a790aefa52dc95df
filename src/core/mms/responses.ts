/**
 * What a handset posts back (OMA-TS-MMS_ENC §6.2 Table 4, §6.4 Table 7): M-NotifyResp.ind (after a
 * notification: X-Mms-Status says retrieved, deferred, rejected…) and M-Acknowledge.ind (after a
 * deferred retrieval). Neither carries anything past its headers; unknown headers are skipped.
 * M-Acknowledge.ind has no X-Mms-Status: its coming says the message was retrieved.
 */
import { FIELD, MESSAGE_TYPE, STATUS_BY_TOKEN, type MmsStatus } from './headers.js';
import { MmsPduError, WspReader } from './wsp.js';

export type HandsetResponse = { type: 'notifyresp'; transactionId: string; status: MmsStatus | 'unknown'; reportAllowed?: boolean; version?: string } | { type: 'acknowledge'; transactionId: string; reportAllowed?: boolean; version?: string };

export function decodeHandsetResponse(pdu: Buffer): HandsetResponse {
  const r = new WspReader(pdu);
  if (r.octet() !== FIELD.messageType) throw new MmsPduError('not an MMS PDU: X-Mms-Message-Type is not first');
  const type = r.octet();
  if (type !== MESSAGE_TYPE.notifyRespInd && type !== MESSAGE_TYPE.acknowledgeInd) throw new MmsPduError(`X-Mms-Message-Type 0x${type.toString(16)} is neither m-notifyresp-ind nor m-acknowledge-ind`);
  let transactionId: string | undefined;
  let status: MmsStatus | 'unknown' | undefined;
  let reportAllowed: boolean | undefined;
  let version: string | undefined;
  while (!r.done) {
    const field = r.octet();
    if (field < 0x80) {
      // An application header (Token-text then its text value, §7.1): nothing for us.
      r.at--;
      r.text();
      r.text();
      continue;
    }
    if (field === FIELD.transactionId) transactionId = r.text();
    else if (field === FIELD.status) status = STATUS_BY_TOKEN[r.octet()] ?? 'unknown';
    else if (field === FIELD.reportAllowed) reportAllowed = r.octet() === 0x80;
    else if (field === FIELD.mmsVersion) {
      const v = r.octet() & 0x7f;
      version = `${v >> 4}.${v & 0x0f}`;
    } else r.skipValue();
  }
  if (!transactionId) throw new MmsPduError('no X-Mms-Transaction-Id');
  const extra = { ...(reportAllowed !== undefined ? { reportAllowed } : {}), ...(version ? { version } : {}) };
  if (type === MESSAGE_TYPE.acknowledgeInd) return { type: 'acknowledge', transactionId, ...extra };
  if (!status) throw new MmsPduError('m-notifyresp-ind without X-Mms-Status');
  return { type: 'notifyresp', transactionId, status, ...extra };
}
