import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP return paths: each recipient's envelope MAIL FROM is an address of its own on the daemon's bounce
 * domain, so a bounce (a DSN, or a plain reply to the return path) names the attempt it is about even when
 * the relay rewrote everything else. The local part is `<prefix>+<recipient>-<attempt>-<tag>` (base 36),
 * the tag an HMAC of the two ids under the daemon's key, so that mail to a guessed address cannot fail
 * someone's recipient.
 */
export interface ReturnPathIds {
  recipientId: number;
  attemptId: number;
}

const TAG_CHARS = 10;
const tagOf = (key: Buffer, token: string): string => createHmac('sha256', key).update(token).digest('hex').slice(0, TAG_CHARS);

/** The envelope sender for one attempt: `bounce+<rid>-<aid>-<tag>@domain`. */
export function returnPath(ids: ReturnPathIds, domain: string, key: Buffer, prefix = 'bounce'): string {
  const token = `${ids.recipientId.toString(36)}-${ids.attemptId.toString(36)}`;
  return `${prefix}+${token}-${tagOf(key, token)}@${domain.toLowerCase()}`;
}

/** The ids a return path names, when it is one of ours (the domain and prefix match and the tag is right); else null. */
export function parseReturnPath(address: string, domain: string, key: Buffer, prefix = 'bounce'): ReturnPathIds | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  // Mail systems may fold the local part's case: the ids and tag are read case-insensitively.
  const m = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\+([0-9a-z]{1,11})-([0-9a-z]{1,11})-([0-9a-f]{${TAG_CHARS}})$`).exec(address.slice(0, at).toLowerCase());
  if (!m) return null;
  const token = `${m[1]}-${m[2]}`;
  const want = Buffer.from(tagOf(key, token));
  if (!timingSafeEqual(want, Buffer.from(m[3]!))) return null;
  const recipientId = parseInt(m[1]!, 36);
  const attemptId = parseInt(m[2]!, 36);
  return Number.isSafeInteger(recipientId) && Number.isSafeInteger(attemptId) ? { recipientId, attemptId } : null;
}
