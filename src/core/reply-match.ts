import { canonicalNumber, validateNumber } from './numbers.js';

/**
 * Which 2-way message a reply answers. A reply names the number it came from (a recipient) and,
 * mostly, the number it was sent to (the job's sender), each written the peer's way: SMPP as TON +
 * digits (international without "+", national, alphanumeric), Kannel as %p/%P, the sandbox as sent.
 */

const HAS_LETTER = /[A-Za-z]/;

/** The longest a 2-way job waits for replies (the v1 API's `expires`, in hours): 30 days. */
export const REPLY_WINDOW_MAX_HOURS = 720;

/**
 * Do two spellings name one sender? Alphanumeric senders compare case- and space-insensitively
 * (SMSCs upper-case them); numbers compare in E.164, a national form read in the job owner's country.
 */
export function sameAddress(a: string, b: string, country: string): boolean {
  if (HAS_LETTER.test(a) || HAS_LETTER.test(b)) return a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
  return key(a, country) === key(b, country);
}

/**
 * The E.164 forms a reply's `from` may stand for, to look up the attempts sent to it (stored in
 * E.164), likeliest first: as given with "+" (or "00"; SMPP's TON 1 arrives so); without either,
 * national in `country` (the owner's) when it is a valid number there — NANP's 2025550123 is
 * +1 202…, not Egypt's +20… — and then international without "+".
 */
export function* numberForms(from: string, country: string): Generator<string, void, void> {
  const s = from.trim();
  if (HAS_LETTER.test(s)) return yield s;
  const digits = s.replace(/\D/g, '');
  if (s.startsWith('+')) return yield '+' + digits;
  if (digits.startsWith('00')) return yield '+' + digits.slice(2);
  const national = validateNumber(s, country);
  if (national.ok) yield national.e164;
  if (!national.ok || national.e164 !== '+' + digits) yield '+' + digits;
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

/** Senders and the numbers replies go to are few and recur: their E.164 forms are kept (bounded). */
const canonical = new Map<string, string>();
const CANONICAL_MAX = 10_000;
function key(address: string, country: string): string {
  if (address.startsWith('+')) return canonicalNumber(address, country); // no parse: "+" and digits
  const k = country + ' ' + address;
  let v = canonical.get(k);
  if (v === undefined) {
    if (canonical.size >= CANONICAL_MAX) canonical.clear();
    canonical.set(k, (v = canonicalNumber(address, country)));
  }
  return v;
}

/**
 * Could a reply answer a sent message? Made once per reply, asked of many messages. A job without a sender went
 * out with its provider's default one: only a reply through that provider answers it.
 */
export function replyMatcher(reply: ReplyAddress): (sent: SentMessage) => boolean {
  const to = reply.to;
  if (to === null) return () => true; // the peer did not say which number it went to
  return (sent) => (sent.sender === null ? reply.providerId === null || sent.providerId === reply.providerId : sameAddress(sent.sender, to, sent.country));
}

/** Does a reply opt its number out? Only where the job has an opt-out code, and the reply is that code (case and surrounding space aside). */
export function isOptOut(text: string, optoutCode: string | null): boolean {
  const code = optoutCode?.trim().toLowerCase() ?? '';
  return code !== '' && text.trim().toLowerCase() === code;
}

/** Replies after the job's expiry are recorded but no longer forwarded (seed 000, "expires"). */
export const forwardsReply = (replyUntil: number | null, at: number): boolean => replyUntil === null || at < replyUntil;
