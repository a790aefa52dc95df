import { plausibleNumber } from './numbers.js';
import { normaliseFields } from './merge.js';
import type { Channel, MergeFields } from './model.js';

/**
 * A contact's fields, as an address book holds them: ICTCore's Contact, then what the v1 API's uploaded
 * lists add (Reference, Fax, Mobile, CustomField4–6).
 */
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
  reference: 255,
  fax: 32,
  mobile: 32,
  custom4: 500,
  custom5: 500,
  custom6: 500,
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
  for (const k of NUMBER_FIELDS) {
    const v = c[k];
    const bad = v ? plausibleNumber(v) : null;
    if (bad) return `${k}: ${bad}`;
  }
  if (c.email && !EMAIL.test(c.email)) return 'email: not an e-mail address';
  if (isNew && !NUMBER_FIELDS.some((k) => c[k]) && !c.email) return 'phone: a contact needs a phone, mobile or fax number, or an e-mail address';
  return null;
}

const NUMBER_FIELDS = ['phone', 'mobile', 'fax'] as const;

/**
 * The v1 API's list columns (seed 000: Recipient, Reference, Email, Fax, Phone, Mobile,
 * CustomField1–6) as contact fields; the others are the fields' own names.
 */
const LIST_COLUMNS: Readonly<Record<string, ContactField>> = {
  recipient: 'first_name',
  customfield1: 'custom1',
  customfield2: 'custom2',
  customfield3: 'custom3',
  customfield4: 'custom4',
  customfield5: 'custom5',
  customfield6: 'custom6',
};

/** A CSV header's column as a contact field ("First Name" → first_name, "CustomField1" → custom1), or null. */
export function contactFieldOf(header: string): ContactField | null {
  const h = header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (isContactField(h)) return h;
  const alias = h.replace(/_/g, '');
  return Object.hasOwn(LIST_COLUMNS, alias) ? LIST_COLUMNS[alias]! : null;
}

/** Whose number a list's recipient is sent to: the job's channel and the v1 `preferred_destination_type`. */
export interface ListPick {
  channel: Channel;
  preferred: 'phone' | 'mobile' | null;
}

/**
 * A list contact's destination for a channel: SMS and MMS go to the mobile (else the phone), calls to
 * the phone (else the mobile) unless the job prefers the mobile (v1 `preferred_destination_type`), fax
 * to the fax number (else the phone, where ICTCore keeps every number), e-mail to the address.
 */
export function listDestination(c: Readonly<Record<string, unknown>>, { channel, preferred }: ListPick): string | null {
  const text = (k: ContactField): string | null => (typeof c[k] === 'string' && c[k] !== '' ? (c[k] as string) : null);
  switch (channel) {
    case 'sms':
    case 'sms2way':
    case 'mms':
      return text('mobile') ?? text('phone');
    case 'tts':
    case 'tts2way':
    case 'voice':
      return preferred === 'mobile' ? (text('mobile') ?? text('phone')) : (text('phone') ?? text('mobile'));
    case 'fax':
      return text('fax') ?? text('phone');
    case 'email':
      return text('email');
  }
}

/** What the channel's list destination is called, for "the lists have no contacts with …". */
export const listDestinationName = (channel: Channel): string => (channel === 'email' ? 'an e-mail address' : channel === 'fax' ? 'a fax or phone number' : 'a phone or mobile number');

/**
 * A contact as a recipient: its display name, its reference and its fields as merge fields
 * (%%first_name%%…), with the v1 list names beside them (%%recipient%%, %%customfield1%%…).
 */
export function contactRecipient(c: Record<string, unknown> & { id: number | null }): { name: string | null; reference: string | null; fields: MergeFields; contactId: number | null } {
  const value = (k: string): string => (c[k] as string | null | undefined) ?? '';
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ') || null;
  const fields = normaliseFields({
    ...Object.fromEntries(Object.keys(CONTACT_LIMITS).map((k) => [k, value(k)])),
    ...Object.fromEntries(Object.entries(LIST_COLUMNS).map(([alias, k]) => [alias, alias === 'recipient' ? (name ?? '') : value(k)])),
  });
  return { name, reference: (c.reference as string | null | undefined) || null, fields, contactId: c.id };
}
