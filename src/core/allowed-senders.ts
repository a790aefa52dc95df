import { checkEmailAddress } from './email-address.js';

/**
 * Which From addresses an account may send e-mail from: its `allowed_email_senders` (set by an admin),
 * each an address (`news@example.com`, that mailbox only) or `@domain` (any mailbox of that domain, not
 * its subdomains); without a list, only addresses of the domain of the account's own e-mail address;
 * an account with neither sends no e-mail. No open relay by default. Compared case-insensitively.
 */

/** Most entries in one account's list. */
export const MAX_SENDER_ENTRIES = 100;

/** What is wrong with one entry, or null. */
export function senderEntryProblem(entry: string): string | null {
  const e = entry.trim();
  const address = e.startsWith('@') ? `postmaster${e}` : e;
  const c = checkEmailAddress(address);
  return c.ok ? null : `"${e.slice(0, 100)}": expected an address (news@example.com) or a domain (@example.com)`;
}

/** What is wrong with a whole list as an admin gives it, or null. */
export function senderListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'expected a list of addresses and @domains';
  if (value.length > MAX_SENDER_ENTRIES) return `at most ${MAX_SENDER_ENTRIES} entries`;
  for (const v of value) {
    if (typeof v !== 'string') return 'expected a list of addresses and @domains';
    const p = senderEntryProblem(v);
    if (p) return p;
  }
  return null;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * Why this account may not send from `from` (a checked address), or null when it may. An administrator
 * (the operator, who runs the relay) with no list of its own may send from any address, so that a fresh
 * install's admin sends e-mail at once; given a list, it is held to it like anyone.
 */
export function senderRefusal(from: string, allowed: readonly string[] | null, ownEmail: string | null, admin = false): string | null {
  const f = from.toLowerCase();
  if (allowed === null && admin) return null;
  if (allowed !== null) {
    const ok = allowed.some((entry) => {
      const e = entry.trim().toLowerCase();
      return e.startsWith('@') ? domainOf(f) === e.slice(1) : f === e;
    });
    return ok ? null : `${from} is not a sender this account may use (allowed: ${allowed.join(', ') || 'none'})`;
  }
  const own = ownEmail ? checkEmailAddress(ownEmail) : null;
  if (!own?.ok) return 'this account may send no e-mail: it has no allowed senders (allowed_email_senders, set by an admin) and no e-mail address of its own';
  const domain = domainOf(own.address);
  return domainOf(f) === domain ? null : `${from} is not a sender this account may use (without allowed_email_senders, only addresses @${domain}, its own e-mail's domain)`;
}

/** The account's list as its stored profile (JSON) holds it; null when unset or not a valid list (as unset). */
export function allowedSendersOf(profileJson: string | undefined | null): string[] | null {
  const p = profileJson ? (JSON.parse(profileJson) as Record<string, unknown>) : {};
  const v = p.allowed_email_senders;
  return Array.isArray(v) && senderListProblem(v) === null ? (v as string[]) : null;
}
