/**
 * The recipients of e-mail to fax: `<number>@<fax domain>` and RFC 3192's minimal fax address
 * `FAX=+<number>[/T33S=<sub-address>]@<fax domain>`. The local part is untrusted (anyone may write it in
 * RCPT TO): only digits and the separators a person writes survive, nothing else of it reaches a dial
 * string. The number's validity in E.164 is decided by the caller, in the owner's country.
 */

export type FaxAddress =
  | { kind: 'fax'; /** Digits, with a leading + when international. */ number: string; domain: string; /** RFC 3192's T33S sub-address (digits), kept but not dialled. */ subAddress: string | null }
  | { kind: 'other'; domain: string }
  | { kind: 'invalid'; domain: string; reason: string };

const MIN_DIGITS = 3;
const MAX_DIGITS = 20;
// RFC 3192 §3: global-phone = "+" 1*( DIGIT / written-sep ), written-sep = "-" / "."
const RFC3192 = /^FAX=(\+[0-9.-]+)((?:\/[A-Za-z0-9]+=[^/]*)*)$/i;
// A plain number as people write one: digits, an optional leading +, - and . between them.
const PLAIN = /^\+?[0-9][0-9.-]*$/;

/** The domain of an address (lower-cased) and its local part; null when it is no address. */
export function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

const digitsOf = (written: string): string => written.replace(/[.-]/g, '');

function checked(number: string, domain: string, subAddress: string | null): FaxAddress {
  const digits = number.replace(/^\+/, '');
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return { kind: 'invalid', domain, reason: `a fax number has ${MIN_DIGITS} to ${MAX_DIGITS} digits` };
  return { kind: 'fax', number, domain, subAddress };
}

/** A recipient address read against the fax domains (lower case): a fax number, another domain's address, or why it is no fax address. */
export function parseFaxAddress(address: string, faxDomains: readonly string[]): FaxAddress {
  const parts = splitAddress(address.trim());
  if (!parts) return { kind: 'invalid', domain: '', reason: 'not an e-mail address' };
  const { local, domain } = parts;
  if (!faxDomains.includes(domain)) return { kind: 'other', domain };
  const m = RFC3192.exec(local);
  if (m) {
    let sub: string | null = null;
    for (const q of m[2]!.split('/').filter(Boolean)) {
      const [name, value = ''] = q.split('=');
      // RFC 3192 §3: T33S is the one qualifier defined; an unknown one cannot be honoured, so it is refused.
      if (name!.toUpperCase() !== 'T33S' || !/^[0-9]{1,20}$/.test(value)) return { kind: 'invalid', domain, reason: `unsupported fax address qualifier "${name!.slice(0, 20)}"` };
      sub = value;
    }
    return checked(`+${digitsOf(m[1]!.slice(1))}`, domain, sub);
  }
  if (/^FAX=/i.test(local)) return { kind: 'invalid', domain, reason: 'RFC 3192 fax addresses are FAX=+<international number>' };
  if (!PLAIN.test(local)) return { kind: 'invalid', domain, reason: 'the part before @ must be a fax number' };
  const written = local.startsWith('+') ? `+${digitsOf(local.slice(1))}` : digitsOf(local);
  return checked(written, domain, null);
}
