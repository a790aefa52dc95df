import { z } from 'zod';
import { compileTemplate, type Template } from './merge.js';
import type { Channel } from './model.js';
import type { SmsSendOptions } from './sms.js';

/**
 * What a job sends, in the domain's words: one kind per channel family. Faces map their own wire fields
 * onto it (each face's mapping is its only knowledge of these shapes); the spool stores it as JSON and reads
 * it back through `parseContent`; the core makes each recipient's plan from it (see core/delivery-plan.ts).
 *
 * A new channel is one more kind here, its schema below, its entry in CONTENT_KIND, and its plan.
 */
export type Content = SmsContent | CallContent | FaxContent | EmailContent | MmsContent;
export type ContentKind = Content['kind'];

/**
 * The words of a message: one template merged with each recipient's fields, or fixed texts taken literally,
 * each recipient picking its own by its `__message` field (Retarus messages[], uContact campaigns, 2FA codes).
 */
export type MessageText = { template: string } | { texts: string[] };

export interface SmsContent {
  kind: 'sms';
  text: MessageText;
  sms: SmsSendOptions;
}

/** A key a 2-way call listens for: what it says back (a template) and where it bridges the call. */
export interface KeyResponse {
  key: string;
  message: string | null;
  /** E.164 number the call is bridged to. */
  redirectTo: string | null;
}

/** A TTS, 2-way TTS or recorded-voice call (seed 000's TTS fields). */
export interface CallContent {
  kind: 'call';
  text: MessageText;
  voice: string;
  /** Read before the message (a template). */
  header: string | null;
  /** Read instead of the message when an answering machine answers (a template). */
  voicemail: string | null;
  /** A voice job's recording, played instead of a spoken message: the converted WAV in the data dir, and the client's file name. */
  recording: { file: string; name: string } | null;
  /** A spoken message is read twice unless the client asked otherwise (skip_message_repeat). */
  repeat: boolean;
  /** How many times a repeated message is read, when not twice (the user's tts_repeat_count). */
  plays?: number;
  /** 2-way TTS: the keys the call listens for. */
  responses: KeyResponse[];
}

/** A fax: the document as converted (a fax TIFF in the data dir) and how it goes. */
export interface FaxContent {
  kind: 'fax';
  document: string;
  pages: number;
  fine: boolean;
  /** The page header the sender's profile gives (fax_header), or none. */
  header: string | null;
  /** The client's names of the documents the TIFF was made from (for reports). */
  fileNames: string[];
}

/** A file an e-mail carries: stored once for the job (its path in the data dir), the name recipients see. */
export interface EmailAttachment {
  file: string;
  name: string;
  size: number;
}

/**
 * An e-mail: its sender, a subject and bodies that are templates merged per recipient (the HTML body's
 * merge values HTML-escaped; see core/email.ts), at least one body, and the same attachments for all.
 */
export interface EmailContent {
  kind: 'email';
  /** The From header: a mailbox checked by core/email-address.ts, and the display name. */
  from: { address: string; name: string | null };
  subject: string;
  text: string | null;
  html: string | null;
  attachments: EmailAttachment[];
  /**
   * A calendar invite sent with the message, the same for every recipient: the iCalendar text
   * (core/ics.ts) and its iTIP method, sent as a `text/calendar; method=…` part. Absent: none.
   */
  invite?: CalendarPart;
  /**
   * Subject and bodies sent as written, not merged: the daemon's own e-mails (2FA codes, replies and
   * reports), whose texts come from elsewhere (an SMS reply may hold "%%x%%"). Absent: templates.
   */
  literal?: true;
}

/**
 * One media part of an MMS as fitted once for the job (media/mms.ts): the stored file (named by its
 * content hash in the data dir), its real type as sniffed from the bytes, its size and hash, the
 * client's name. Every delivery path (MM7, WAP Push, a hosted link) sends these bytes as they are.
 */
export interface MmsMedia {
  file: string;
  contentType: string;
  size: number;
  /** sha256 of the fitted bytes, hex: the file's name and the part's identity across paths. */
  sha256: string;
  name: string;
}

/**
 * An MMS: a subject and a text, each a template merged per recipient (either may be empty), and the
 * media parts, the same for every recipient. `maxBytes` is the size the media was fitted within.
 */
export interface MmsContent {
  kind: 'mms';
  subject: string;
  text: MessageText;
  media: MmsMedia[];
  maxBytes: number;
}

/** An iCalendar object as an e-mail carries it. */
export interface CalendarPart {
  method: 'REQUEST';
  ics: string;
}

/** Which kind of content each channel carries; null: no content kind yet (the channel answers 501). */
export const CONTENT_KIND: Record<Channel, ContentKind | null> = {
  sms: 'sms',
  sms2way: 'sms',
  tts: 'call',
  tts2way: 'call',
  voice: 'call',
  fax: 'fax',
  mms: 'mms',
  email: 'email',
};

const messageText = z.union([z.strictObject({ template: z.string() }), z.strictObject({ texts: z.array(z.string()) })]);

const smsOptions = z.strictObject({
  encoding: z.enum(['auto', 'gsm7', 'latin1', 'ucs2']).optional(),
  invalid: z.enum(['refuse', 'replace', 'transliterate']).optional(),
  maxParts: z.number().int().min(1).max(255).optional(),
  flash: z.boolean().optional(),
  validityMinutes: z.number().nullable().optional(),
});

const nullableText = z.string().nullable();

const contentSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sms'), text: messageText, sms: smsOptions }),
  z.strictObject({
    kind: z.literal('call'),
    text: messageText,
    voice: z.string().min(1),
    header: nullableText,
    voicemail: nullableText,
    recording: z.strictObject({ file: z.string().min(1), name: z.string() }).nullable(),
    repeat: z.boolean(),
    plays: z.number().int().min(1).max(5).optional(),
    responses: z.array(z.strictObject({ key: z.string().regex(/^[0-9*#]$/), message: nullableText, redirectTo: nullableText })),
  }),
  z
    .strictObject({
      kind: z.literal('email'),
      from: z.strictObject({ address: z.string().min(3), name: nullableText }),
      subject: z.string(),
      text: nullableText,
      html: nullableText,
      attachments: z.array(z.strictObject({ file: z.string().min(1), name: z.string().min(1), size: z.number().int().min(0) })),
      invite: z.strictObject({ method: z.literal('REQUEST'), ics: z.string().min(1) }).optional(),
      literal: z.literal(true).optional(),
    })
    .refine((e) => e.text !== null || e.html !== null, { message: 'an e-mail needs a text or an HTML body', path: ['text'] }),
  z.strictObject({
    kind: z.literal('mms'),
    subject: z.string(),
    text: messageText,
    media: z.array(z.strictObject({ file: z.string().min(1), contentType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/), size: z.number().int().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), name: z.string().min(1) })).min(1),
    maxBytes: z.number().int().min(1),
  }),
  z.strictObject({ kind: z.literal('fax'), document: z.string(), pages: z.number().int().min(0), fine: z.boolean(), header: nullableText, fileNames: z.array(z.string()) }),
]) satisfies z.ZodType<Content>;

/** Content that breaks its shape, or that a channel does not carry: a fault of the face that built it. */
export class ContentError extends Error {
  override name = 'ContentError';
  readonly code = 'content';
}

/** Check content once, where a job is made: its shape, and that its channel carries its kind. */
export function checkContent(channel: Channel, content: Content): Content {
  const parsed = contentSchema.safeParse(content);
  if (!parsed.success) throw new ContentError(`${channel} content: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'content'}: ${i.message}`).join('; ')}`);
  if (CONTENT_KIND[channel] !== parsed.data.kind) throw new ContentError(`a ${channel} job cannot carry ${parsed.data.kind} content`);
  return parsed.data;
}

/** Content as stored (JSON written by `checkContent`'s output), read back. */
export function parseContent(json: string): Content {
  const parsed = contentSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new ContentError(`stored content: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Each recipient's text: the template merged with its fields, or the fixed text its `__message` field points at. */
export function textFor(text: MessageText): Template {
  if ('texts' in text) {
    const texts = text.texts;
    return (fields) => texts[Number(fields.__message ?? 0)] ?? '';
  }
  return compileTemplate(text.template);
}

/** The job's message template as the client wrote it, or null when its texts are fixed per recipient (or it has none). */
export const templateOf = (c: Content): string | null => ((c.kind === 'sms' || c.kind === 'call' || c.kind === 'mms') && 'template' in c.text ? c.text.template : null);

/** The same content with other words (a finished 2FA job keeps its template, not the codes sent). */
export const withText = (c: SmsContent | CallContent, text: MessageText): Content => ({ ...c, text });

/** SMS content with the job's choices (none: the link's defaults). */
export const smsContent = (text: MessageText, sms: SmsSendOptions = {}): SmsContent => ({ kind: 'sms', text, sms });

/** A spoken call with the defaults seed 000 gives (default voice, read twice, no keys), as far as `o` says otherwise. */
export const callContent = (text: MessageText, o: Partial<Omit<CallContent, 'kind' | 'text'>> = {}): CallContent => ({
  kind: 'call',
  text,
  voice: 'default',
  header: null,
  voicemail: null,
  recording: null,
  repeat: true,
  responses: [],
  ...o,
});
