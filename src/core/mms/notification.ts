/**
 * M-Notification.ind (OMA-TS-MMS_ENC §6.2, Table 3): what the handset is pushed so that it fetches
 * the message from X-Mms-Content-Location. Message-Type, Transaction-Id and MMS-Version first, in
 * that order (§7.1); then From and Subject when known; Message-Class, Message-Size, Expiry and
 * Content-Location are mandatory.
 */
import { encodedString, longInteger, MmsPduError, textString } from './wsp.js';
import { expiryValue, FIELD, fromValue, header, MESSAGE_TYPE, messageClass, mmsVersion, type Expiry, type MessageClass, type MmsVersion } from './headers.js';

export interface MmsNotification {
  /** Links the handset's M-NotifyResp.ind to this notification. */
  transactionId: string;
  version?: MmsVersion;
  /** The sender: an E.164 number or an e-mail address. */
  from?: string;
  subject?: string;
  messageClass?: MessageClass;
  /** Octets of the M-Retrieve.conf the handset will fetch. */
  size: number;
  expiry: Expiry;
  /** The absolute http(s) URL the handset fetches the M-Retrieve.conf from. */
  contentLocation: string;
}

export function encodeNotificationInd(n: MmsNotification): Buffer {
  if (!/^[\x21-\x7e]{1,128}$/.test(n.transactionId)) throw new MmsPduError('transactionId: 1 to 128 printable ASCII characters');
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(n.contentLocation)) throw new MmsPduError('contentLocation: an absolute http(s) URL');
  const parts = [header(FIELD.messageType, Buffer.from([MESSAGE_TYPE.notificationInd])), header(FIELD.transactionId, textString(n.transactionId)), header(FIELD.mmsVersion, mmsVersion(n.version ?? '1.2'))];
  if (n.from !== undefined) parts.push(header(FIELD.from, fromValue(n.from)));
  if (n.subject !== undefined && n.subject !== '') parts.push(header(FIELD.subject, encodedString(n.subject)));
  parts.push(header(FIELD.messageClass, messageClass(n.messageClass ?? 'personal')), header(FIELD.messageSize, longInteger(n.size)), header(FIELD.expiry, expiryValue(n.expiry)), header(FIELD.contentLocation, textString(n.contentLocation)));
  return Buffer.concat(parts);
}
