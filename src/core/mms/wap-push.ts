/**
 * The WAP Push that carries an M-Notification.ind to a handset over SMS:
 * - the connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1, §8.2.1): TID, PDU type Push (0x06),
 *   HeadersLen, Content-Type application/vnd.wap.mms-message (0x3E, as the short integer 0xBE),
 *   then X-Wap-Application-Id (field 0x2F) x-wap-application:mms.ua (0x04) (WAP-251 PushMessage,
 *   OMNA's application id registry), then the notification;
 * - its SMS parts (3GPP TS 23.040 §9.2.3.24): a UDH with the 16-bit application port IE (0x05:
 *   destination 2948, WAP Push connectionless; source 9200, the WAP connectionless session service),
 *   and the 8-bit concatenation IE (0x00) as well when the PDU needs more than one SMS of 140 octets.
 */
import { MmsPduError, uintvar } from './wsp.js';

export const WAP_PUSH_PORT = 2948;
export const WAP_SOURCE_PORT = 9200;
/** SMS user data octets, UDH included (8-bit data). */
export const SMS_OCTETS = 140;
/** SMPP data_coding for the parts: 8-bit binary (SMPP 3.4 §5.2.19). */
export const WAP_PUSH_DATA_CODING = 0x04;

const PDU_PUSH = 0x06;
const MMS_MESSAGE = 0xbe;
const X_WAP_APPLICATION_ID = 0xaf;
const MMS_UA = 0x84;
/** The most parts a concatenated SMS may have (its count is one octet). */
const MAX_PARTS = 255;

/** The WSP push PDU for an MMS notification (`tid` the WSP transaction id, any octet). */
export function wspPush(notification: Buffer, tid: number): Buffer {
  if (!Number.isInteger(tid) || tid < 0 || tid > 255) throw new MmsPduError(`WSP TID out of range: ${tid}`);
  const headers = Buffer.from([MMS_MESSAGE, X_WAP_APPLICATION_ID, MMS_UA]);
  return Buffer.concat([Buffer.from([tid, PDU_PUSH]), uintvar(headers.length), headers, notification]);
}

/** The application port IE alone, and with the concatenation IE (reference, total, sequence from 1). */
const portIe = (): number[] => [0x05, 0x04, WAP_PUSH_PORT >> 8, WAP_PUSH_PORT & 0xff, WAP_SOURCE_PORT >> 8, WAP_SOURCE_PORT & 0xff];
export const singleUdh = (): Buffer => Buffer.from([6, ...portIe()]);
export const concatPortUdh = (ref: number, total: number, seq: number): Buffer => Buffer.from([11, ...portIe(), 0x00, 0x03, ref & 0xff, total, seq]);

/**
 * The SMS user data (UDH and payload, each at most 140 octets) of a push PDU: one part with the
 * port IE when it fits, else parts of 128 octets with the port and concatenation IEs, one reference.
 */
export function wapPushParts(push: Buffer, ref: number): Buffer[] {
  const single = singleUdh();
  if (single.length + push.length <= SMS_OCTETS) return [Buffer.concat([single, push])];
  const room = SMS_OCTETS - concatPortUdh(0, 0, 0).length;
  const total = Math.ceil(push.length / room);
  if (total > MAX_PARTS) throw new MmsPduError(`a push of ${push.length} octets needs ${total} SMS; at most ${MAX_PARTS}`);
  const parts: Buffer[] = [];
  for (let i = 0; i < total; i++) parts.push(Buffer.concat([concatPortUdh(ref, total, i + 1), push.subarray(i * room, (i + 1) * room)]));
  return parts;
}
