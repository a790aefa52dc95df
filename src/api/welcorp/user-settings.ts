import { plausibleNumber } from '../../core/numbers.js';
import { senderListProblem } from '../../core/allowed-senders.js';
import { checkUrl, UrlRefused } from '../../net/safe-http.js';
import { isVoice, MAX_TTS_CHARS, VOICES } from '../../media/tts.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { ETOB_AUTH_TYPES, ETOB_SUBJECTS, etobAuthTypeOf, etobSubjectOf } from '../../core/email-to-fax.js';
import { ipListProblem } from '../../net/ip-list.js';
import { MAX_RETENTION_HOURS, retentionHours } from '../../core/documents.js';

/** An SMS sender as the v1 API takes it: up to 11 letters and digits, or a phone number. */
export const ALPHA_SENDER = /^[A-Za-z0-9 ._&-]{1,11}$/;
export const senderProblem = (s: string): string | null => (ALPHA_SENDER.test(s) || plausibleNumber(s) === null ? null : 'expected up to 11 letters and digits, or a phone number');

/** A comma separated list of e-mail addresses (additional_report_emails), at most this many. */
export const MAX_REPORT_ADDRESSES = 20;

/** Comma separated mailboxes, each checked and written canonically; null when one is not a mailbox or there are too many. */
export function emailList(raw: string): string[] | null {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > MAX_REPORT_ADDRESSES) return null;
  const out: string[] = [];
  for (const p of parts) {
    const c = checkEmailAddress(p);
    if (!c.ok) return null;
    out.push(c.address);
  }
  return out;
}

/** What is wrong with a comma separated list of e-mail addresses (`one` allows a single one), or null. */
export function emailListProblem(raw: string, one = false): string | null {
  const parts = raw.split(',').filter((p) => p.trim() !== '');
  if (one && parts.length > 1) return 'expected one e-mail address';
  if (parts.length > MAX_REPORT_ADDRESSES) return `at most ${MAX_REPORT_ADDRESSES} e-mail addresses, separated by commas`;
  for (const p of parts) {
    const c = checkEmailAddress(p);
    if (!c.ok) return `${p.trim()}: ${c.reason}`;
  }
  return null;
}

/** How many times a spoken message may be read (tts_repeat_count). */
export const MAX_PLAYS = 5;

/** The user's settings (seed 000's user fields) that shape its jobs and their reports, read from the profile. */
export interface JobDefaults {
  /** Where delivery reports go when a job names no callback_url. */
  callbackUrl: string | null;
  /** The SMS sender when a job names no manual_sender_id. */
  smsSender: string | null;
  /** The caller id of calls. */
  voiceCallerId: string | null;
  /** The TTS voice when a job names none. */
  ttsVoice: string | null;
  /** How many times a spoken message is read when the job does not say skip_message_repeat. */
  ttsPlays: number | null;
  /** Read before every spoken message. */
  ttsPrefix: string | null;
  /** A spoken message's limit, under the daemon's own. */
  ttsMaxChars: number | null;
  /** SMS go in GSM 7-bit, anything outside it transliterated: never UCS-2 for a stray character. */
  asciiSms: boolean;
  /** Reports show no costs. */
  hideCosts: boolean;
  /** The From addresses and @domains its e-mail may use (core/allowed-senders.ts); null: unset. */
  emailSenders: string[] | null;
}

const flag = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';
const wholeIn = (v: unknown, min: number, max: number): number | null => {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : null;
};
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/**
 * What is wrong with a value given for one of these settings (checked when a user is written, so that
 * a job never meets a bad one), or null; null and '' clear a setting.
 */
export function settingProblem(field: string, value: unknown): string | null {
  if (value === null || value === '') return null;
  switch (field) {
    case 'call_back_url': {
      const checked = typeof value === 'string' ? checkUrl(value) : new UrlRefused('invalid', 'not a valid URL');
      return checked instanceof UrlRefused ? checked.message : null;
    }
    case 'default_sms_sender_id':
      return typeof value === 'string' ? senderProblem(value.trim()) : 'expected a string';
    case 'default_voice_caller_id':
      return typeof value === 'string' && /^\+?\d{3,20}$/.test(value.trim()) ? null : 'expected a phone number (digits, an optional leading +)';
    case 'default_tts_voice':
      return typeof value === 'string' && isVoice(value.trim()) ? null : `unknown voice; one of ${Object.keys(VOICES).join(', ')}`;
    case 'tts_repeat_count':
      return wholeIn(value, 1, MAX_PLAYS) === null ? `expected a whole number from 1 to ${MAX_PLAYS}` : null;
    case 'tts_max_character_limit':
      return wholeIn(value, 1, MAX_TTS_CHARS) === null ? `expected a whole number from 1 to ${MAX_TTS_CHARS}` : null;
    case 'tts_message_prefix':
      return typeof value === 'string' && value.length <= 500 ? null : 'expected a text of at most 500 characters';
    case 'default_sms_reply_email_address':
      return typeof value === 'string' ? emailListProblem(value, true) : 'expected an e-mail address';
    case 'additional_reports_address':
      return typeof value === 'string' ? emailListProblem(value) : 'expected e-mail addresses separated by commas';
    case 'maximum_document_retention_hours':
      return retentionHours(value) === null ? `expected a whole number of hours from 1 to ${MAX_RETENTION_HOURS}, or null to keep documents` : null;
    case 'report_type':
      return typeof value === 'string' && ['summary', 'detailed'].includes(value.trim().toLowerCase()) ? null : 'expected Summary or Detailed';
    case 'allowed_email_senders':
      return senderListProblem(value);
    // E-mail to fax (api/mail/email-to-fax.ts).
    case 'etob_email_address':
      return typeof value === 'string' ? emailListProblem(value, true) : 'expected an e-mail address';
    case 'etob_ip_whitelist_alert_address':
      return typeof value === 'string' ? emailListProblem(value) : 'expected e-mail addresses separated by commas';
    case 'etob_ip_whitelist':
      return typeof value === 'string' ? (value.length > 4000 ? 'at most 4000 characters' : ipListProblem(value.split(/[,\s]+/).filter(Boolean))) : 'expected IP addresses or CIDR blocks separated by commas';
    case 'etob_authentication_type':
      return etobAuthTypeOf(value) ? null : `expected one of ${ETOB_AUTH_TYPES.join(', ')}`;
    case 'etob_subject_behaviour':
      return etobSubjectOf(value) ? null : `expected one of ${ETOB_SUBJECTS.join(', ')}`;
    case 'etob_email_message_start_string':
    case 'etob_email_message_end_string':
      return typeof value === 'string' && value.length <= 200 ? null : 'expected a text of at most 200 characters';
    case 'etob_use_email_body_as_fax_cover':
    case 'etob_email_message_start_string_include':
    case 'etob_strip_non_ascii':
    case 'etob_disabled':
    case 'filter_non_ascii_in_sms':
    case 'hide_costs_in_reports':
    case 'receive_reports':
      return [true, false, 0, 1].includes(value as never) ? null : 'expected true or false';
    default:
      return null;
  }
}

/** The settings as a job reads them; a value written before it was checked and not valid counts as unset. */
export function jobDefaultsOf(profileJson: string | undefined): JobDefaults {
  const p = profileJson ? (JSON.parse(profileJson) as Record<string, unknown>) : {};
  const valid = (k: string): unknown => (p[k] !== undefined && p[k] !== null && p[k] !== '' && settingProblem(k, p[k]) === null ? p[k] : null);
  return {
    callbackUrl: text(valid('call_back_url')),
    smsSender: text(valid('default_sms_sender_id')),
    voiceCallerId: text(valid('default_voice_caller_id')),
    ttsVoice: text(valid('default_tts_voice')),
    ttsPlays: wholeIn(valid('tts_repeat_count'), 1, MAX_PLAYS),
    ttsPrefix: text(valid('tts_message_prefix')),
    ttsMaxChars: wholeIn(valid('tts_max_character_limit'), 1, MAX_TTS_CHARS),
    asciiSms: flag(valid('filter_non_ascii_in_sms')),
    hideCosts: flag(valid('hide_costs_in_reports')),
    emailSenders: (valid('allowed_email_senders') as string[] | null) ?? null,
  };
}
