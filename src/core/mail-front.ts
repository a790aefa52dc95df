/**
 * The daemon's one SMTP front (gateways/smtp/smtp-front.ts) routes each RCPT TO by its domain to a
 * mail domain: the bounce domain (DSNs), the fax domains (e-mail to fax), the receive domains (ICTCore's
 * receiveemail). These are the shapes between the front and the domains, which live in different layers.
 */
import type { MailRefusal } from './email-to-fax.js';

/** What the front knows of the SMTP session when a domain is asked. */
export interface MailSession {
  /** The client's IP address. */
  remoteAddress: string;
  /** What it said in EHLO/HELO. */
  helo: string;
  /** MAIL FROM ('' for the null sender). */
  mailFrom: string;
  /** The user it logged in as with SMTP AUTH, or null. */
  user: { id: number; code: string } | null;
}

/** A domain's answer to a message: null is 250 with the text given, or the refusal. */
export type MailAnswer = { ok: true; text: string } | { ok: false; refusal: MailRefusal };

export interface MailDomain {
  /** Its name in the logs. */
  readonly name: string;
  /** RCPT TO for an address of this domain: null takes it, else the refusal. */
  rcpt(address: string, session: MailSession): Promise<MailRefusal | null>;
  /**
   * The whole message for its recipients (all of this domain, as taken at RCPT TO). Resolves only once
   * what it made of the message is stored: the front answers 250 then, never before.
   */
  data(message: Uint8Array, recipients: string[], session: MailSession): Promise<MailAnswer>;
}
