/**
 * SMPP 3.4 fields of a short message, which only the SMPP driver writes or reads: data_coding,
 * validity_period, destination and received addresses (TON/NPI), and the UDH of a received part.
 * The text itself is planned in the core (core/sms.ts); these put it on the wire and take it off.
 */
import { SmsAddressError, SmsEncodingError, type SmsAddress, type SmsEncoding } from '../../core/sms.js';

/** SMPP data_coding for an encoding; flash (message class 0) uses the general data coding group. */
export function dataCoding(encoding: SmsEncoding, flash = false): number {
  if (!flash) return encoding === 'gsm7' ? 0x00 : encoding === 'latin1' ? 0x03 : 0x08;
  if (encoding === 'latin1') throw new SmsEncodingError('flash messages cannot be sent in Latin-1; use GSM or UCS-2');
  return encoding === 'gsm7' ? 0x10 : 0x18;
}

export interface Concat {
  ref: number;
  total: number;
  seq: number;
}

/** Split a short message with UDHI set into its concatenation IE (8- or 16-bit reference) and payload. */
export function parseUdh(bytes: Buffer): { concat: Concat | null; payload: Buffer } | null {
  if (bytes.length === 0) return null;
  const udhl = bytes[0]!;
  if (udhl + 1 > bytes.length) return null;
  let concat: Concat | null = null;
  for (let i = 1; i + 1 < udhl + 1;) {
    const iei = bytes[i]!;
    const len = bytes[i + 1]!;
    if (i + 2 + len > udhl + 1) return null;
    if (iei === 0x00 && len === 3) concat = { ref: bytes[i + 2]!, total: bytes[i + 3]!, seq: bytes[i + 4]! };
    if (iei === 0x08 && len === 4) concat = { ref: bytes.readUInt16BE(i + 2), total: bytes[i + 4]!, seq: bytes[i + 5]! };
    i += 2 + len;
  }
  if (concat && (concat.total === 0 || concat.seq === 0 || concat.seq > concat.total)) concat = null;
  return { concat, payload: bytes.subarray(udhl + 1) };
}

/** SMPP relative validity_period (§7.1.1, "YYMMDDhhmmss000R") for a number of minutes. */
export function relativeValidity(minutes: number): string {
  let m = Math.max(1, Math.round(minutes));
  const days = Math.floor(m / 1440);
  m -= days * 1440;
  const two = (n: number) => String(n).padStart(2, '0');
  // Months and years are not used: 99 days cover the networks' own maximum validity.
  return `0000${two(Math.min(days, 99))}${two(Math.floor(m / 60))}${two(m % 60)}00000R`;
}

/** An E.164 destination → TON 1 / NPI 1 without the plus. */
export function destinationAddress(e164: string): SmsAddress {
  if (!/^\+\d{4,15}$/.test(e164)) throw new SmsAddressError(`destination "${e164.slice(0, 20)}" is not an E.164 number`);
  return { ton: 1, npi: 1, addr: e164.slice(1) };
}

/** A received address → E.164 when its TON says international (or it looks it), else as given. */
export function receivedAddress(addr: string, ton: number): string {
  const digits = addr.replace(/^\+/, '');
  if ((ton === 1 || addr.startsWith('+')) && /^\d{4,15}$/.test(digits)) return '+' + digits;
  return addr;
}
