import type { JobRequest } from './job-request.js';
import { MAX_MMS_TEXT_BYTES, MAX_SMS_CHARS, MAX_SMS_PARTS, parseListIds } from './job-request.js';
import { channelOf, JOB_TYPES } from './job-types.js';
import { SwitchpostError, ValidationError } from '../../core/errors.js';
import type { NewJob, NewRecipient } from '../../core/jobs.js';
import { callContent, smsContent, type CallContent, type EmailAttachment, type EmailContent, type FaxContent, type MmsContent, type MmsMedia } from '../../core/content.js';
import { checkEmailAddress } from '../../core/email-address.js';
import type { Channel } from '../../core/model.js';
import { listDestinationName, type ListPick } from '../../core/contact.js';
import { canonicalNumber, plausibleNumber } from '../../core/numbers.js';
import { compileTemplate, normaliseFields } from '../../core/merge.js';
import { fewestParts, planSms, type SmsSendOptions } from '../../core/sms.js';
import { emailListProblem, jobDefaultsOf, senderProblem, type JobDefaults } from './user-settings.js';
import { dedupe } from '../../core/dedupe.js';
import { parseLocalDateTime } from '../../core/windows.js';
import { checkUrl, UrlRefused } from '../../net/safe-http.js';
import { senderRefusal } from '../../core/allowed-senders.js';
import { isVoice, MAX_TTS_CHARS, VOICES } from '../../media/tts.js';

export interface Submitter {
  id: number;
  timezone: string;
  country: string;
  /** The user's profile (default_voice_caller_id, default_sms_sender_id…). */
  profile?: string;
  /** The user's own e-mail address: without allowed_email_senders, its domain is the one it may send from. */
  email?: string | null;
  /** An admin without allowed_email_senders may send from any address (core/allowed-senders.ts). */
  role?: string;
}

/**
 * Why this user may not send this e-mail job's from_email (core/allowed-senders.ts), or null. Asked
 * before any media work, so that a refused sender fetches and stores nothing; a from_email that is no
 * address is left to the content's own check.
 */
export function emailSenderRefusal(req: JobRequest, user: Submitter): string | null {
  if (channelOf(req.job_type) !== 'email' || !req.from_email) return null;
  const from = checkEmailAddress(req.from_email);
  return from.ok ? senderRefusal(from.address, jobDefaultsOf(user.profile).emailSenders, user.email ?? null, user.role === 'admin') : null;
}

const HOUR = 3_600_000;

/** A fax job's document (converted at submit), resolution and header (the user's fax_header_text). */
function faxContentOf(fax: { path: string; pages: number }, req: JobRequest, user: Submitter): FaxContent {
  const profile = user.profile ? (JSON.parse(user.profile) as Record<string, unknown>) : {};
  const header = typeof profile.fax_header_text === 'string' ? profile.fax_header_text.replace(/[^\p{L}\p{N} .,:;()/&@+_-]/gu, '').slice(0, 60) : null;
  return { kind: 'fax', document: fax.path, pages: fax.pages, fine: req.use_high_resolution === true, header: header || null, fileNames: (req.files ?? []).map((f) => f.name) };
}

/** A TTS job's call fields, checked: the voice exists, keys are unique, redirects are numbers. */
function callContentOf(req: JobRequest, message: string, twoWay: boolean, country: string, audio: { path: string; name: string } | null, defaults: JobDefaults): CallContent {
  const voice = req.voice?.trim() || defaults.ttsVoice || 'default';
  if (!isVoice(voice)) throw ValidationError.at('voice', `unknown voice "${voice}"; one of ${Object.keys(VOICES).join(', ')}`);
  const responses = twoWay ? (req.two_way_key_responses ?? []) : [];
  if (!twoWay && req.two_way_key_responses?.length) throw ValidationError.at('two_way_key_responses', 'only for "2 way tts" jobs');
  const seen = new Set<string>();
  const keys = responses.map((r, i) => {
    if (seen.has(r.key_press)) throw ValidationError.at(`two_way_key_responses.${i}.key_press`, `key ${r.key_press} is given twice`);
    seen.add(r.key_press);
    let redirect: string | null = null;
    if (r.redirect_to) {
      const bad = plausibleNumber(r.redirect_to);
      if (bad) throw ValidationError.at(`two_way_key_responses.${i}.redirect_to`, bad);
      // The seed writes international numbers without "+" ("6987654321"); a leading 0 is national.
      const given = r.redirect_to.trim();
      redirect = /^\d+$/.test(given) && !given.startsWith('0') ? `+${given}` : canonicalNumber(given, country);
    }
    if (!r.response_message && !redirect) throw ValidationError.at(`two_way_key_responses.${i}`, 'give response_message, redirect_to or both');
    return { key: r.key_press, message: r.response_message ?? null, redirectTo: redirect };
  });
  // The user's tts_message_prefix is read before the message itself (not before a recording).
  const spoken = defaults.ttsPrefix && !audio ? `${defaults.ttsPrefix} ${message}` : message;
  return callContent(
    { template: spoken },
    {
      header: req.header ?? null,
      voicemail: req.voicemail_message ?? null,
      voice,
      recording: audio ? { file: audio.path, name: audio.name } : null,
      repeat: req.skip_message_repeat !== true,
      ...(defaults.ttsPlays !== null ? { plays: defaults.ttsPlays } : {}),
      responses: keys,
    },
  );
}

const ONE_LINE = /[\r\n]/;

/** An e-mail job's sender, subject and bodies, checked: one body at least, a From address, header fields on one line. */
function emailContentOf(req: JobRequest, attachments: EmailAttachment[]): EmailContent {
  const text = req.text_message?.trim() ? req.text_message : null;
  const html = req.html_message?.trim() ? req.html_message : null;
  if (text === null && html === null) throw ValidationError.at(req.html_message !== undefined && req.html_message !== null ? 'html_message' : 'text_message', 'give text_message, html_message or both (one of them must have a value)');
  if (!req.from_email?.trim()) throw ValidationError.at('from_email', 'is required for email jobs');
  const from = checkEmailAddress(req.from_email);
  if (!from.ok) throw ValidationError.at('from_email', from.reason);
  const name = req.from_name?.trim() || null;
  if (name !== null && ONE_LINE.test(name)) throw ValidationError.at('from_name', 'must be one line');
  const subject = req.subject ?? '';
  if (ONE_LINE.test(subject)) throw ValidationError.at('subject', 'must be one line');
  return { kind: 'email', from: { address: from.address, name }, subject, text, html, attachments };
}

/** The media a v1 MMS job's files were fitted into (once, at submit), and the size they were fitted within. */
export interface FittedMms {
  media: MmsMedia[];
  maxBytes: number;
}

/** An MMS job's subject, text and fitted media: a subject on one line, a text within MAX_MMS_TEXT_BYTES (fields empty). */
function mmsContentOf(req: JobRequest, fitted: FittedMms): MmsContent {
  const subject = req.subject ?? '';
  if (ONE_LINE.test(subject)) throw ValidationError.at('subject', 'must be one line');
  const message = req.message ?? '';
  const bytes = Buffer.byteLength(compileTemplate(message)({}));
  if (bytes > MAX_MMS_TEXT_BYTES) throw ValidationError.at('message', `an MMS text is at most ${MAX_MMS_TEXT_BYTES} bytes in UTF-8 (${bytes} given)`);
  return { kind: 'mms', subject, text: { template: message }, media: fitted.media, maxBytes: fitted.maxBytes };
}

/** A recipient's destination as its channel takes it: a mailbox for e-mail, a number otherwise; why not, or null. */
function destinationProblem(channel: Channel, destination: string): string | null {
  if (channel !== 'email') return plausibleNumber(destination);
  const c = checkEmailAddress(destination);
  return c.ok ? null : c.reason;
}

/**
 * The job's callback URL and the field it came from: `callback_url`, or — as the seed's own example
 * does — a URL given in `callback_on_sms_status_update` (taken as "true" and as the URL).
 */
export function callbackOf(req: JobRequest): { field: 'callback_url' | 'callback_on_sms_status_update'; url: string } | null {
  if (req.callback_url) return { field: 'callback_url', url: req.callback_url };
  const flag = req.callback_on_sms_status_update;
  return typeof flag === 'string' && /^https?:/i.test(flag) ? { field: 'callback_on_sms_status_update', url: flag } : null;
}

/**
 * The list ids toNewJob will ask `lists` for: none when it refuses the job_type or the ids first. The
 * lists are read (asynchronously) beforehand with these, so that its refusals come in the same order.
 */
export function listIdsWanted(req: JobRequest, available: ReadonlySet<Channel>): number[] {
  const channel = channelOf(req.job_type);
  if (!channel || !available.has(channel)) return [];
  return parseListIds(req.user_list_ids) ?? [];
}

/** Which of a list contact's numbers the job goes to (called only for a known job_type). */
export function listPickOf(req: JobRequest): ListPick {
  const preferred = req.preferred_destination_type?.toLowerCase();
  return { channel: channelOf(req.job_type)!, preferred: preferred === 'mobile' || preferred === 'phone' ? preferred : null };
}

type FileGiven = NonNullable<JobRequest['audiofile']>;
/** A file as the job's detail echoes it: its name and URL, never its contents (a fax's base64 is megabytes, and the client's own). */
const fileEcho = (f: FileGiven) => ({ name: f.name, ...(f.url ? { url: f.url } : {}) });

/** The request as it is stored for the job's detail: file contents left out. */
export function withoutFileContents(req: JobRequest): JobRequest {
  return {
    ...req,
    ...(req.files ? { files: req.files.map(fileEcho) } : {}),
    ...(req.attachments ? { attachments: req.attachments.map(fileEcho) } : {}),
    ...(req.audiofile ? { audiofile: fileEcho(req.audiofile) } : {}),
  };
}

/** Turn a validated v1 job request into a core job; every refusal names its field. */
export function toNewJob(
  req: JobRequest,
  user: Submitter,
  available: ReadonlySet<Channel>,
  now: number,
  audio: { path: string; name: string } | null = null,
  fax: { path: string; pages: number } | null = null,
  lists: (ids: number[]) => NewRecipient[] | string = () => 'contact lists are not available here',
  attachments: EmailAttachment[] = [],
  fittedMms: FittedMms | null = null,
): NewJob {
  const channel = channelOf(req.job_type);
  if (!channel) throw ValidationError.at('job_type', `must be one of ${JOB_TYPES.map((t) => `"${t}"`).join(', ')}`);
  if (!available.has(channel)) throw new SwitchpostError('not_implemented', `job_type: "${req.job_type}" jobs are not available on this server yet`);

  const listIds = parseListIds(req.user_list_ids);
  if (listIds === null) throw ValidationError.at('user_list_ids', 'expected list ids as a number, a comma separated string or an array');
  // Lists are the contact groups of the ICTCore face. With lists, the seed says, "the recipient array
  // will be ignored".
  const fromLists = listIds.length > 0 ? lists(listIds) : [];
  if (typeof fromLists === 'string') throw ValidationError.at('user_list_ids', fromLists);
  if (!req.recipients && listIds.length === 0) throw ValidationError.at('recipients', 'give recipients or user_list_ids');
  const given = listIds.length > 0 ? [] : (req.recipients ?? []);
  if (listIds.length > 0 && fromLists.length === 0) throw ValidationError.at('user_list_ids', `the lists have no contacts with ${listDestinationName(channel)}`);
  if (given.length === 0 && listIds.length === 0) throw ValidationError.at('recipients', 'at least one recipient is required');

  const email = channel === 'email' ? emailContentOf(req, attachments) : null;
  const message = req.message ?? '';
  const isCall = channel === 'tts' || channel === 'tts2way' || channel === 'voice';
  if (channel === 'voice' && !audio) throw ValidationError.at('audiofile', 'is required for voice jobs');
  if (channel === 'fax' && !fax) throw ValidationError.at('files', 'at least one document is required for fax jobs');
  if (channel === 'mms' && !fittedMms) throw ValidationError.at('files', 'at least one media file is required for mms jobs');
  // An MMS may be its media alone: the seed makes its message and subject optional.
  const mms = channel === 'mms' ? mmsContentOf(req, fittedMms!) : null;
  if (message.trim() === '' && channel !== 'voice' && channel !== 'fax' && channel !== 'email' && channel !== 'mms') throw ValidationError.at('message', 'is required');
  const defaults = jobDefaultsOf(user.profile);
  const maxChars = isCall ? Math.min(MAX_TTS_CHARS, defaults.ttsMaxChars ?? MAX_TTS_CHARS) : MAX_SMS_CHARS;
  if (!mms && [...message].length > maxChars) throw ValidationError.at('message', `must be at most ${maxChars} characters${isCall && defaults.ttsMaxChars !== null ? " (the user's tts_max_character_limit)" : ''}`);
  // 10 parts hold for each recipient's text as sent (1530 GSM characters): the gateway that plans the
  // merged text refuses more (that recipient fails, naming the limit); here the template, fields empty.
  // filter_non_ascii_in_sms: GSM 7-bit, anything outside it transliterated, so that a stray character never makes the message UCS-2.
  const smsLimits: SmsSendOptions | null = channel === 'sms' || channel === 'sms2way' ? { maxParts: MAX_SMS_PARTS, ...(defaults.asciiSms ? { encoding: 'gsm7', invalid: 'transliterate' } : {}) } : null;
  if (smsLimits) {
    // The provider is not known yet: refused only when no encoding a provider could use (GSM, Latin-1,
    // UCS-2, the text unchanged) fits it in 10 parts; the gateway's own plan is exact per recipient.
    const template = compileTemplate(message)({});
    const best = defaults.asciiSms ? { encoding: 'gsm7', parts: planSms(template, { encoding: 'gsm7', invalid: 'transliterate', maxParts: Infinity }).parts.length } : fewestParts(template);
    if (best.parts > MAX_SMS_PARTS) throw ValidationError.at('message', `the message needs ${best.parts} parts in ${best.encoding}, more than the limit of ${MAX_SMS_PARTS} parts`);
  }
  const call = isCall ? callContentOf(req, message, channel === 'tts2way', user.country, audio, defaults) : null;

  let scheduledAt: number | null = null;
  if (req.scheduled_date) {
    scheduledAt = parseLocalDateTime(req.scheduled_date, user.timezone);
    if (scheduledAt === null) throw ValidationError.at('scheduled_date', 'expected a date and time such as "2024-05-01 09:30" or ISO 8601');
  }
  const cutoffRaw = req.cutoff_hour ?? req.cut_off_hour ?? null;
  let cutoff: string | null = null;
  if (cutoffRaw) {
    const m = /^(\d{1,2}):([0-5]\d)$/.exec(cutoffRaw.trim());
    if (!m || Number(m[1]) > 23) throw ValidationError.at(req.cutoff_hour ? 'cutoff_hour' : 'cut_off_hour', 'expected HH:MM in 24-hour time');
    cutoff = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  }

  const callback = callbackOf(req);
  // The user's call_back_url serves a job that names none (checked when it was set).
  const callbackUrl = callback?.url ?? defaults.callbackUrl;
  if (callback) {
    const checked = checkUrl(callback.url);
    if (checked instanceof UrlRefused) throw ValidationError.at(callback.field, checked.message);
  }
  const statusFlag = req.callback_on_sms_status_update;
  const statusUpdates = statusFlag === true || statusFlag === 1 || (typeof statusFlag === 'string' && statusFlag !== '' && statusFlag !== 'false' && statusFlag !== '0');

  // Calls show the user's default voice caller id (else the provider's); SMS the given sender, else the user's default_sms_sender_id.
  // E-mail's sender is its From (in the content), not an SMS sender id: the job's own stays empty.
  const manual = isCall || email ? null : req.manual_sender_id?.trim() || null;
  const manualProblem = manual === null ? null : senderProblem(manual);
  if (manualProblem) throw ValidationError.at('manual_sender_id', manualProblem);
  const sender = email ? null : isCall ? defaults.voiceCallerId : (manual ?? defaults.smsSender);

  const recipients: NewRecipient[] = [];
  for (let i = 0; i < given.length; i++) {
    const { destination: raw, reference, recipient, ...rest } = given[i]!;
    const destination = String(raw);
    const bad = destinationProblem(channel, destination);
    if (bad) throw ValidationError.at(`recipients.${i}.destination`, bad);
    const fields = Object.keys(rest).length ? normaliseFields(rest) : null;
    recipients.push({ destination: destination.trim(), name: recipient ?? null, reference: reference ?? null, fields, blackouts: null });
  }
  recipients.push(...fromLists);
  // E-mail: one address however its case is written (mailbox names are case-blind in practice).
  const canonical = channel === 'email' ? (r: NewRecipient) => r.destination.trim().toLowerCase() : (r: NewRecipient) => canonicalNumber(r.destination, user.country);
  const kept = req.dedupe ? dedupe(recipients, canonical).kept : recipients;

  // The addresses its reply and report e-mails go to (src/api/welcorp/mail-follow-ups.ts), checked here so that none fails later.
  const replyTo = req.response_email_address?.trim() ? emailListProblem(req.response_email_address, true) : null;
  if (replyTo) throw ValidationError.at('response_email_address', replyTo);
  const reportTo = req.additional_report_emails?.trim() ? emailListProblem(req.additional_report_emails) : null;
  if (reportTo) throw ValidationError.at('additional_report_emails', reportTo);

  const twoWay = channel === 'sms2way' || channel === 'mms';
  const { recipients: _omit, ...echo } = withoutFileContents(req);
  return {
    userId: user.id,
    face: 'welcorp',
    channel,
    name: req.job_name ?? null,
    content: email ?? mms ?? (fax ? faxContentOf(fax, req, user) : (call ?? smsContent({ template: message }, smsLimits ?? {}))),
    options: { ...echo, dedupe: req.dedupe ? 1 : 0, callback_on_sms_status_update: statusUpdates },
    optoutCode: req.optout_code ?? null,
    callbackUrl,
    sender,
    scheduledAt,
    validUntil: null,
    replyUntil: twoWay ? now + (req.expires ?? 24) * HOUR : null,
    cutoff,
    blackouts: [],
    recipients: kept,
  };
}
