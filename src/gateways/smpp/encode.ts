/**
 * The two PDUs the hot path writes, encoded directly (SMPP 3.4 §4.4.1 submit_sm, §4.6.2 deliver_sm_resp).
 * The `smpp` package's generic encoder walks every field by name and cost ~12% of the daemon's CPU at
 * full rate; the test suite checks these bytes against the package's own encoding.
 */
export interface SubmitSmFields {
  service_type?: string;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  esm_class: number;
  protocol_id?: number;
  priority_flag?: number;
  schedule_delivery_time?: string;
  validity_period: string;
  registered_delivery: number;
  replace_if_present_flag?: number;
  data_coding: number;
  sm_default_msg_id?: number;
  short_message: Buffer;
}

export const SUBMIT_SM = 0x00000004;
const HEADER = 16;

/** The octets of a submit_sm with sequence number `seq`; throws when a field cannot be carried. */
export function encodeSubmitSm(seq: number, f: SubmitSmFields): Buffer {
  if (f.short_message.length > 254) throw new RangeError(`short_message of ${f.short_message.length} octets: at most 254`);
  const service = f.service_type ?? '';
  const sched = f.schedule_delivery_time ?? '';
  const length = HEADER + cstr(service) + 2 + cstr(f.source_addr) + 2 + cstr(f.destination_addr) + 3 + cstr(sched) + cstr(f.validity_period) + 5 + f.short_message.length;
  const b = Buffer.allocUnsafe(length);
  b.writeUInt32BE(length, 0);
  b.writeUInt32BE(SUBMIT_SM, 4);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(seq, 12);
  let o = HEADER;
  o = putCstr(b, o, service);
  b[o++] = f.source_addr_ton;
  b[o++] = f.source_addr_npi;
  o = putCstr(b, o, f.source_addr);
  b[o++] = f.dest_addr_ton;
  b[o++] = f.dest_addr_npi;
  o = putCstr(b, o, f.destination_addr);
  b[o++] = f.esm_class;
  b[o++] = f.protocol_id ?? 0;
  b[o++] = f.priority_flag ?? 0;
  o = putCstr(b, o, sched);
  o = putCstr(b, o, f.validity_period);
  b[o++] = f.registered_delivery;
  b[o++] = f.replace_if_present_flag ?? 0;
  b[o++] = f.data_coding;
  b[o++] = f.sm_default_msg_id ?? 0;
  b[o++] = f.short_message.length;
  f.short_message.copy(b, o);
  return b;
}

/** A response with an empty message_id (deliver_sm_resp, data_sm_resp). */
export function encodeEmptyResponse(commandId: number, seq: number, status: number): Buffer {
  const b = Buffer.alloc(HEADER + 1);
  b.writeUInt32BE(HEADER + 1, 0);
  b.writeUInt32BE((commandId | 0x80000000) >>> 0, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(seq, 12);
  return b;
}

// C-Octet strings here are ASCII (addresses, times, service type): one octet a character plus NUL.
const cstr = (s: string): number => s.length + 1;
function putCstr(b: Buffer, o: number, s: string): number {
  o += b.write(s, o, 'latin1');
  b[o] = 0;
  return o + 1;
}
