import type { MmsContent, MmsMedia } from './content.js';
import { compileTemplate, type Template } from './merge.js';
import type { MergeFields } from './model.js';

/**
 * One recipient's MMS as every delivery path sends it (MM7 today; WAP Push over SMPP and the SMS link
 * read the same): the subject and text merged, and the job's media parts, stored once for the job.
 */
export interface MmsMessage {
  /** One header line; empty: no subject. */
  subject: string;
  /** The text part; empty: none. */
  text: string;
  media: MmsMedia[];
  /** What the media was fitted within (a path may refuse a message larger than its own limit). */
  maxBytes: number;
  /** An earlier try's WAP Push expired unfetched with a link fallback: this try is the SMS with a link. */
  pushExpired?: boolean;
}

// Compiled once per job's content object (the job cache keeps one per job), merged per recipient.
const subjects = new WeakMap<MmsContent, Template>();

/** A recipient's MMS: `text` is its text already merged (job-cache's template); the subject is merged here, on one line. */
export function mmsMessage(c: MmsContent, text: string, fields: MergeFields): MmsMessage {
  let subject = subjects.get(c);
  if (!subject) subjects.set(c, (subject = compileTemplate(c.subject)));
  return {
    subject: subject(fields)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    text,
    media: c.media,
    maxBytes: c.maxBytes,
  };
}

/** The bytes an MMS's parts take before any envelope: the text as UTF-8 and the media. */
export const mmsBodyBytes = (m: MmsMessage): number => Buffer.byteLength(m.text) + m.media.reduce((n, p) => n + p.size, 0);
