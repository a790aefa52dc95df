import { canonicalNumber } from './numbers.js';

/**
 * Which 2-way message a reply answers. A reply names the number it came from (a recipient) and,
 * mostly, the number it was sent to (the job's sender), each written the peer's way: SMPP as TON +
 * digits (international without "+", national, alphanumeric), Kannel as %p/%P, the sandbox as sent.
 */

const HAS_LETTER = /[A-Za-z]/;

/**
 * Do two spellings name one sender? Alphanumeric senders compare case- and space-insensitively
 * (SMSCs upper-case them); numbers compare in E.164, a national form read in the job owner's country.
 */
export function sameAddress(a: string, b: string, country: string): boolean {
  if (HAS_LETTER.test(a) || HAS_LETTER.test(b)) return a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
  return canonicalNumber(a, country) === canonicalNumber(b, country);
}

/**
 * The E.164 forms a reply's `from` may stand for, to look up the attempts sent to it (stored in
 * E.164): as given with "+", international without "+", and national in `country`.
 */
export function numberForms(from: string, country: string): [string, string] {
  const s = from.trim();
  if (HAS_LETTER.test(s)) return [s, s];
  const digits = s.replace(/\D/g, '');
  if (s.startsWith('+') || digits.startsWith('00')) {
    const e164 = canonicalNumber(s, country);
    return [e164, e164];
  }
  return ['+' + digits, canonicalNumber(s, country)];
}

/** A 2-way message sent to the reply's number: its job's sender, the provider it went through, the owner's country. */
export interface SentMessage {
  sender: string | null;
  providerId: number | null;
  country: string;
}

/** What a reply says about where it went: the number it was sent to, the provider it came through. */
export interface ReplyAddress {
  to: string | null;
  providerId: number | null;
}

/** Could `reply` answer `sent`? A job without a sender went out with its provider's default one. */
export function answers(sent: SentMessage, reply: ReplyAddress): boolean {
  if (reply.to === null) return true; // the peer did not say which number it went to
  if (sent.sender === null) return reply.providerId === null || sent.providerId === reply.providerId;
  return sameAddress(sent.sender, reply.to, sent.country);
}
