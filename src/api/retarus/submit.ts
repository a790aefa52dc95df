import { createHash, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { ApiError } from '../errors.js';
import { ValidationError } from '../../core/errors.js';
import type { NewJob, NewRecipient } from '../../core/jobs.js';
import type { Blackout } from '../../core/model.js';
import { controlCharacterIn } from '../../core/merge.js';
import { plausibleNumber } from '../../core/numbers.js';
import { parseBlackout } from '../../core/windows.js';
import { planSms, senderAddress, SmsAddressError, SmsEncodingError, type InvalidCharacters, type SmsEncoding, type SmsSendOptions } from '../../core/sms.js';
import { messageSchema, optionsSchema, MAX_MESSAGES, MAX_RECIPIENTS, type RetarusMessage, type RetarusOptions } from './request.js';
import { smsContent } from '../../core/content.js';

// 400: the options are wrong (qos, encoding…), a ValidationError; 422: the content is (invalid chars, no messages…).
// The 422 stays an ApiError: Retarus's own split of a bad request, which no catalogue code means on this face.
const invalid = (msg: string) => new ApiError(422, msg);

const ENCODINGS: Record<string, SmsEncoding> = { standard: 'gsm7', 'utf-16': 'ucs2', utf16: 'ucs2' };
const POLICIES: Record<string, InvalidCharacters> = { refuse: 'refuse', replace: 'replace', transliterate: 'transliterate' };
const QOS = ['EXPRESS', 'NORMAL'];

export interface Submitter {
  id: number;
  country: string;
}

/** "J.20180924-131731.737-0iey4kxqyTQCQDIFN1": the time the job came, and 20 random characters. */
export function newJobId(now: number): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const random = [...randomBytes(20)].map((b) => alphabet[b % 62]).join('');
  return `J.${DateTime.fromMillis(now, { zone: 'UTC' }).toFormat('yyyyMMdd-HHmmss.SSS')}-${random}`;
}

function blackouts(list: string[] | undefined, field: string): Blackout[] {
  return (list ?? []).map((text, i) => {
    const b = parseBlackout(text);
    if (typeof b === 'string') throw ValidationError.at(`${field}[${i}]`, b);
    return b;
  });
}

/** A validated JobRequest → a core job; every refusal names its field. */
export function toNewJob(body: unknown, user: Submitter, now: number): NewJob {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('body', 'the body must be a JSON object');
  const { options: rawOptions, messages: rawMessages, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new ValidationError(unknown[0]!, `unknown field "${unknown[0]}"`);
  const parsedOptions = optionsSchema.safeParse(rawOptions ?? {});
  if (!parsedOptions.success) {
    const i = parsedOptions.error.issues[0]!;
    throw ValidationError.at(`options.${i.path.join('.')}`, i.message);
  }
  const o: RetarusOptions = parsedOptions.data;
  const encoding = ENCODINGS[(o.encoding ?? 'standard').toLowerCase()];
  if (!encoding) throw ValidationError.at('options.encoding', 'expected "standard" or "utf-16"');
  const policy = POLICIES[(o.invalidCharacters ?? 'REFUSE').toLowerCase()];
  if (!policy) throw ValidationError.at('options.invalidCharacters', 'expected REFUSE, REPLACE or TRANSLITERATE');
  const qos = (o.qos ?? 'NORMAL').toUpperCase();
  if (!QOS.includes(qos)) throw ValidationError.at('options.qos', 'expected EXPRESS or NORMAL');
  if (o.src !== undefined) {
    try {
      senderAddress(o.src);
    } catch (err) {
      if (err instanceof SmsAddressError) throw ValidationError.at('options.src', err.message);
      throw err;
    }
  }
  let scheduledAt: number | null = null;
  if (o.jobPeriod !== undefined) {
    const t = DateTime.fromISO(o.jobPeriod, { setZone: true });
    if (!t.isValid || !/(Z|[+-]\d{2}:?\d{2})$/i.test(o.jobPeriod)) throw ValidationError.at('options.jobPeriod', 'expected an ISO 8601 date-time with an offset');
    scheduledAt = t.toMillis() > now ? t.toMillis() : null;
  }
  const jobBlackouts = blackouts(o.blackoutPeriods, 'options.blackoutPeriods');

  if (!Array.isArray(rawMessages) || rawMessages.length === 0) throw invalid('messages: at least one message is required');
  if (rawMessages.length > MAX_MESSAGES) throw invalid(`messages: at most ${MAX_MESSAGES}`);
  const sms: SmsSendOptions = { encoding, invalid: policy, maxParts: o.maxParts ?? 255, flash: o.flash === true, validityMinutes: o.validityMin ?? null };
  const texts: string[] = [];
  const recipients: NewRecipient[] = [];
  for (const [m, raw] of rawMessages.entries()) {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw invalid(`messages[${m}].${i.path.join('.')}: ${i.message}`);
    }
    const msg: RetarusMessage = parsed.data;
    if (msg.text === '') throw invalid(`messages[${m}].text: is empty`);
    const control = controlCharacterIn(msg.text);
    if (control) throw invalid(`messages[${m}].text: contains a control character (${control}); only LF, CR and TAB are taken`);
    if (msg.recipients.length === 0) throw invalid(`messages[${m}].recipients: at least one recipient is required`);
    try {
      // The texts are fixed (no merge fields): what is planned here is exactly what goes out.
      const plan = planSms(msg.text, { encoding, invalid: policy, maxParts: sms.maxParts });
      texts.push(plan.text);
    } catch (err) {
      if (err instanceof SmsEncodingError) throw invalid(`messages[${m}].text: ${err.message}`);
      throw err;
    }
    for (const [r, rcpt] of msg.recipients.entries()) {
      const problem = plausibleNumber(rcpt.dst);
      if (problem) throw invalid(`messages[${m}].recipients[${r}].dst: ${problem}`);
      recipients.push({
        destination: rcpt.dst.trim(),
        name: null,
        reference: rcpt.customerRef ?? null,
        fields: { __message: String(m) },
        blackouts: rcpt.blackoutPeriods ? blackouts(rcpt.blackoutPeriods, `messages[${m}].recipients[${r}].blackoutPeriods`) : null,
      });
      if (recipients.length > MAX_RECIPIENTS) throw invalid(`messages: at most ${MAX_RECIPIENTS} recipients in all`);
    }
  }
  return {
    userId: user.id,
    face: 'retarus',
    channel: 'sms',
    name: o.customerRef ?? null,
    content: smsContent({ texts }, sms),
    options: { ...o, encoding: encoding === 'ucs2' ? 'utf-16' : 'standard', invalidCharacters: policy.toUpperCase(), qos },
    callbackUrl: null,
    sender: o.src ?? null,
    scheduledAt,
    validUntil: null,
    replyUntil: null,
    cutoff: null,
    blackouts: jobBlackouts,
    recipients,
    externalId: newJobId(now),
    ...(o.duplicateDetection ? { dedupeKey: dedupeKeyOf(texts, rawMessages as RetarusMessage[]) } : {}),
  };
}

/** Same texts to the same recipients, in any order. */
function dedupeKeyOf(texts: string[], messages: RetarusMessage[]): string {
  const pairs = messages.flatMap((m, i) => m.recipients.map((r) => `${texts[i]}\u0000${r.dst.replace(/[^\d+]/g, '')}`)).sort();
  const h = createHash('sha256');
  for (const p of pairs) h.update(p).update('\u0001');
  return h.digest('hex');
}
