import type smpp from 'smpp';
import { decodeSms } from '../../core/sms.js';
import { parseUdh, receivedAddress, type Concat } from './fields.js';
import { messageStateStatus, parseReceiptText, statStatus } from '../../core/receipts.js';
import type { ReceiptStatus } from '../../core/outcomes.js';
import type { InboundDetails, InboundMessage } from '../gateway.js';

/** esm_class message type bits (SMPP 3.4 §5.2.12): SMSC delivery receipt, intermediate notification. */
const ESM_TYPE = 0x3c;
const ESM_RECEIPT = 0x04;
const ESM_INTERMEDIATE = 0x20;
const ESM_UDHI = 0x40;

const bytesOf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.alloc(0));

/** The message bytes of a deliver_sm/data_sm: short_message, or message_payload when that is empty. */
function messageBytes(pdu: smpp.PDU): Buffer {
  const short = bytesOf(pdu.short_message);
  return short.length > 0 ? short : bytesOf(pdu.message_payload);
}

export interface ReceiptInfo {
  id: string;
  /** null for intermediate states (ENROUTE, ACCEPTD). */
  status: ReceiptStatus | null;
  stat: string;
  err: string | null;
}

/** A delivery receipt, from the receipted_message_id / message_state TLVs or from the text; null when the PDU is not one. */
export function receiptOf(pdu: smpp.PDU): ReceiptInfo | null {
  const type = Number(pdu.esm_class ?? 0) & ESM_TYPE;
  const tlvId = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id !== '' ? pdu.receipted_message_id : null;
  if (type !== ESM_RECEIPT && type !== ESM_INTERMEDIATE && tlvId === null) return null;
  const parsed = parseReceiptText(messageBytes(pdu).toString('latin1'));
  const id = tlvId ?? parsed?.id;
  if (!id) return null;
  const state = typeof pdu.message_state === 'number' ? pdu.message_state : null;
  const stat = parsed?.stat ?? (state !== null ? `state ${state}` : 'UNKNOWN');
  const status = state !== null ? messageStateStatus(state) : statStatus(stat);
  return { id, status, stat, err: parsed?.err ?? null };
}

export interface MoPart {
  from: string;
  to: string;
  concat: Concat | null;
  dataCoding: number;
  payload: Buffer;
}

/** An MO deliver_sm: addresses, concatenation (UDH or SAR TLVs) and the raw payload; null when malformed. */
export function inboundOf(pdu: smpp.PDU): MoPart | null {
  const from = receivedAddress(String(pdu.source_addr ?? ''), Number(pdu.source_addr_ton ?? 0));
  const to = receivedAddress(String(pdu.destination_addr ?? ''), Number(pdu.dest_addr_ton ?? 0));
  if (!from) return null;
  let payload = messageBytes(pdu);
  let concat: Concat | null = null;
  if (Number(pdu.esm_class ?? 0) & ESM_UDHI) {
    const udh = parseUdh(payload);
    if (!udh) return null;
    concat = udh.concat;
    payload = udh.payload;
  } else if (typeof pdu.sar_msg_ref_num === 'number' && typeof pdu.sar_total_segments === 'number' && typeof pdu.sar_segment_seqnum === 'number') {
    concat = { ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum };
  }
  return { from, to, concat, dataCoding: Number(pdu.data_coding ?? 0), payload };
}

/** The inbound message the spool stores, from a whole payload. */
export function moMessage(providerId: number, from: string, to: string, payload: Buffer, dataCoding: number, parts: number, at: number, extra: InboundDetails = {}): InboundMessage {
  const { text, binary } = decodeSms(payload, dataCoding);
  return { providerId, channel: 'sms', from, to: to || null, text, at, data: { parts, data_coding: dataCoding, ...(binary ? { binary: true } : {}), ...extra } };
}
