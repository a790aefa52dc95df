/**
 * E-mail addresses as recipients and senders give them: one mailbox (`local@domain`), no display name,
 * no comments, no quoted local part, no IP literal. That is what a relay takes from a bulk sender, and
 * what the v1 face's `destination` and `from_email` mean; the domain is lower-cased (its case never
 * matters), the local part kept (RFC 5321 §2.4: only the receiving host may fold its case).
 */

// RFC 5322 dot-atom local part; a domain of LDH labels (an IDN given in Unicode is taken too: letters of any script).
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

export type AddressCheck = { ok: true; address: string } | { ok: false; reason: string };

/** One mailbox, checked and written canonically (the domain lower-cased), or why it is not one. */
export function checkEmailAddress(raw: string): AddressCheck {
  const given = raw.trim();
  if (given.length === 0) return { ok: false, reason: 'an e-mail address is required' };
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets.
  if (Buffer.byteLength(given) > 254) return { ok: false, reason: 'an e-mail address is at most 254 characters' };
  const at = given.lastIndexOf('@');
  if (at <= 0 || at === given.length - 1) return { ok: false, reason: 'not an e-mail address (expected name@domain)' };
  const local = given.slice(0, at);
  const domain = given.slice(at + 1).toLowerCase();
  if (local.length > 64) return { ok: false, reason: 'the part before @ is at most 64 characters' };
  if (!LOCAL.test(local)) return { ok: false, reason: 'not an e-mail address (the part before @ has characters a mailbox cannot)' };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return { ok: false, reason: 'not an e-mail address (its domain is not a host name)' };
  return { ok: true, address: `${local}@${domain}` };
}

export const isEmailAddress = (raw: string): boolean => checkEmailAddress(raw).ok;
