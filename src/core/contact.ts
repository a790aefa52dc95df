import { plausibleNumber } from './numbers.js';
import { normaliseFields } from './merge.js';
import type { MergeFields } from './model.js';

/** A contact's fields, as an address book holds them (ICTCore's Contact). */
export const CONTACT_LIMITS = {
  first_name: 100,
  last_name: 100,
  phone: 32,
  email: 254,
  address: 500,
  custom1: 500,
  custom2: 500,
  custom3: 500,
  description: 1000,
} as const;
export type ContactField = keyof typeof CONTACT_LIMITS;
export const isContactField = (k: string): k is ContactField => Object.hasOwn(CONTACT_LIMITS, k);

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/**
 * What is wrong with a contact (naming the field), or null. A new contact needs a phone or an e-mail
 * address; a phone must look like a number, an e-mail like an address; texts have limits.
 */
export function contactProblem(c: Partial<Record<ContactField, string | null>>, isNew: boolean): string | null {
  for (const [k, max] of Object.entries(CONTACT_LIMITS) as [ContactField, number][]) {
    const v = c[k];
    if (v !== undefined && v !== null && v.length > max) return `${k}: at most ${max} characters`;
  }
  if (c.phone) {
    const bad = plausibleNumber(c.phone);
    if (bad) return `phone: ${bad}`;
  }
  if (c.email && !EMAIL.test(c.email)) return 'email: not an e-mail address';
  if (isNew && !c.phone && !c.email) return 'phone: a contact needs a phone number or an e-mail address';
  return null;
}

/** A contact as a recipient: its display name and its fields as merge fields (%%first_name%%…). */
export function contactRecipient(c: Record<string, unknown> & { id: number | null }): { name: string | null; fields: MergeFields; contactId: number | null } {
  const fields = normaliseFields(Object.fromEntries(Object.keys(CONTACT_LIMITS).map((k) => [k, (c[k] as string | null | undefined) ?? ''])));
  return { name: [c.first_name, c.last_name].filter(Boolean).join(' ') || null, fields, contactId: c.id };
}
