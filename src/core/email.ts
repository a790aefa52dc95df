import type { CalendarPart, EmailAttachment, EmailContent } from './content.js';
import { compileTemplate, htmlEscape, type Template } from './merge.js';
import type { MergeFields } from './model.js';

/** One recipient's e-mail as a gateway sends it: everything merged. */
export interface EmailMessage {
  from: { address: string; name: string | null };
  subject: string;
  text: string | null;
  html: string | null;
  attachments: EmailAttachment[];
  /** The job's calendar invite, or null. */
  invite: CalendarPart | null;
}

interface Compiled {
  subject: Template;
  text: Template | null;
  html: Template | null;
}

// Compiled once per job's content (the job cache keeps one content object per job), merged per recipient.
const compiled = new WeakMap<EmailContent, Compiled>();

function compile(c: EmailContent): Compiled {
  let t = compiled.get(c);
  if (!t) {
    const as = (text: string, escape?: (v: string) => string): Template => (c.literal ? () => text : compileTemplate(text, escape));
    t = { subject: as(c.subject), text: c.text === null ? null : as(c.text), html: c.html === null ? null : as(c.html, htmlEscape) };
    compiled.set(c, t);
  }
  return t;
}

/**
 * A recipient's e-mail: subject and both bodies merged with its fields, the HTML body's values escaped
 * (a field never becomes markup). A subject is one header line: line breaks a value brings become spaces.
 */
export function emailMessage(c: EmailContent, fields: MergeFields): EmailMessage {
  const t = compile(c);
  return {
    from: c.from,
    subject: t.subject(fields).replace(/[\r\n]+/g, ' '),
    text: t.text?.(fields) ?? null,
    html: t.html?.(fields) ?? null,
    attachments: c.attachments,
    invite: c.invite ?? null,
  };
}

/** The daemon's own e-mail (a 2FA code, replies, a report): from the configured system sender, its texts sent as written. */
export function systemEmail(from: EmailContent['from'], subject: string, text: string, attachments: EmailAttachment[] = []): EmailContent {
  return { kind: 'email', from, subject: subject.replace(/[\r\n]+/g, ' '), text, html: null, attachments, literal: true };
}
