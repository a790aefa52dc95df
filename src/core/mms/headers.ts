/**
 * The MMS encapsulation's header field codes and token values (OMA-TS-MMS_ENC-V1_3 §7.4, Table 25
 * and the value sections), as the PDUs here write and read them. Each field is written as its code
 * with the top bit set (a Short-integer).
 */
import { encodedString, longInteger, MmsPduError, shortInteger, withLength } from './wsp.js';

export const FIELD = {
  contentLocation: 0x83,
  contentType: 0x84,
  date: 0x85,
  expiry: 0x88,
  from: 0x89,
  messageClass: 0x8a,
  messageId: 0x8b,
  messageType: 0x8c,
  mmsVersion: 0x8d,
  messageSize: 0x8e,
  reportAllowed: 0x91,
  status: 0x95,
  subject: 0x96,
  to: 0x97,
  transactionId: 0x98,
} as const;

/** X-Mms-Message-Type values (§7.3.30). */
export const MESSAGE_TYPE = {
  notificationInd: 0x82,
  notifyRespInd: 0x83,
  retrieveConf: 0x84,
  acknowledgeInd: 0x85,
} as const;

/** X-Mms-Message-Class (§7.3.27). */
export type MessageClass = 'personal' | 'advertisement' | 'informational' | 'auto';
const CLASS_TOKEN: Record<MessageClass, number> = { personal: 0x80, advertisement: 0x81, informational: 0x82, auto: 0x83 };
export const messageClass = (c: MessageClass): Buffer => Buffer.from([CLASS_TOKEN[c]]);

/** X-Mms-Status (§7.3.54), as a handset's M-NotifyResp.ind says it. */
export const STATUS_BY_TOKEN: Readonly<Record<number, MmsStatus>> = {
  0x80: 'expired',
  0x81: 'retrieved',
  0x82: 'rejected',
  0x83: 'deferred',
  0x84: 'unrecognised',
  0x85: 'indeterminate',
  0x86: 'forwarded',
  0x87: 'unreachable',
};
export type MmsStatus = 'expired' | 'retrieved' | 'rejected' | 'deferred' | 'unrecognised' | 'indeterminate' | 'forwarded' | 'unreachable';

/** The MMS versions written: 1.2 and 1.3 (X-Mms-MMS-Version, §7.3.34: major in bits 4–6, minor in 0–3). */
export type MmsVersion = '1.2' | '1.3';
export const mmsVersion = (v: MmsVersion): Buffer => shortInteger(v === '1.2' ? 0x12 : 0x13);

/** A field and its value. */
export const header = (field: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([field]), value]);

/**
 * An address as MMS writes it (§8: "+4917…/TYPE=PLMN" for a phone number, an e-mail address as it is).
 * Anything else (an alphanumeric sender) is refused: a handset could not reply to it.
 */
export function mmsAddress(addr: string): string {
  if (/^\+\d{4,15}$/.test(addr)) return `${addr}/TYPE=PLMN`;
  if (/^[^\s@/]+@[^\s@/]+$/.test(addr)) return addr;
  throw new MmsPduError(`"${addr.slice(0, 40)}" is neither an E.164 number nor an e-mail address`);
}

/** From-value (§7.3.21): Value-length, Address-present-token (0x80), the address as an Encoded-string-value. */
export const fromValue = (addr: string): Buffer => withLength(Buffer.concat([Buffer.from([0x80]), encodedString(mmsAddress(addr))]));

/** An expiry (§7.3.20): seconds from now (Relative-token 0x81) or a moment (Absolute-token 0x80, a Date-value). */
export type Expiry = { seconds: number } | { at: Date };
export function expiryValue(e: Expiry): Buffer {
  if ('seconds' in e) return withLength(Buffer.concat([Buffer.from([0x81]), longInteger(Math.max(1, Math.round(e.seconds)))]));
  return withLength(Buffer.concat([Buffer.from([0x80]), dateValue(e.at)]));
}

/** Date-value: seconds since 1970-01-01 UTC as a Long-integer. */
export const dateValue = (d: Date): Buffer => longInteger(Math.floor(d.getTime() / 1000));
