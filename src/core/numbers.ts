import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type NumberCheck = { ok: true; e164: string } | { ok: false; reason: string };

const PLAUSIBLE = /^\+?[0-9 ().\-/]+$/;

/**
 * Cheap syntactic check used on the request path: could this string be a phone number at all?
 * Full validity (per-country lengths and ranges) costs ~15 µs a number, so the spool does it.
 */
export function plausibleNumber(raw: string): string | null {
  const s = raw.trim();
  if (!PLAUSIBLE.test(s)) return 'not a phone number (digits, spaces, + ( ) . - / only)';
  const digits = s.replace(/\D/g, '').length;
  if (digits < 3) return 'too short to be a phone number';
  if (digits > 17) return 'too long to be a phone number';
  return null;
}

/**
 * A canonical form for dedupe and storage: "+digits" for international input (no parsing),
 * E.164 via libphonenumber for national input in the default country.
 */
export function canonicalNumber(raw: string, country: string): string {
  const s = raw.trim();
  const digits = s.replace(/\D/g, '');
  if (s.startsWith('+')) return '+' + digits;
  if (digits.startsWith('00')) return '+' + digits.slice(2);
  const parsed = parsePhoneNumberFromString(s, country as CountryCode);
  return parsed ? parsed.number : digits;
}

/** Full validation to E.164; an invalid number fails its recipient alone. */
export function validateNumber(raw: string, country: string): NumberCheck {
  const bad = plausibleNumber(raw);
  if (bad) return { ok: false, reason: bad };
  const parsed = parsePhoneNumberFromString(raw.trim(), country as CountryCode);
  if (!parsed) return { ok: false, reason: 'not a phone number' };
  if (!parsed.isValid()) return { ok: false, reason: `invalid number for ${parsed.country ?? 'its country code'}` };
  return { ok: true, e164: parsed.number };
}
