import { isSupportedCountry } from 'libphonenumber-js/max';

/**
 * A user's country as its national numbers are read (src/core/numbers.ts): an ISO 3166-1 alpha-2
 * code the number library has a numbering plan for (libphonenumber's list, which also has AC, TA
 * and XK). Any other code would leave every national number unreadable, so it is refused.
 */
export function countryCode(raw: string): string | null {
  const code = raw.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code) ? code : null;
}

export const COUNTRY_EXPECTED = 'an ISO 3166 alpha-2 country code such as AU or UY';
