/**
 * What a relay's answers mean for one message. Pure: the gateway hands in the fields nodemailer puts on
 * its results and errors (`response`, `responseCode`, `code`, `command`, `originalCode`; see
 * https://nodemailer.com/errors), and gets the outcome's words back.
 */

/**
 * The relay's queue id in its 250 reply to the message's data, as the common relays write it:
 * Postfix "250 2.0.0 Ok: queued as 4Bq3xY1z2Kz9", Exim "250 OK id=1tQ5aB-000Abc-3x", Sendmail
 * "250 2.0.0 4B3LqKx9012345 Message accepted for delivery", Exchange "250 2.6.0 <id@host> … Queued mail
 * for delivery"; null when the reply names none.
 */
export function queueIdOf(reply: string): string | null {
  const text = reply.trim();
  const patterns = [/\bqueued as ([A-Za-z0-9][A-Za-z0-9._-]{0,127})/i, /\bid=([A-Za-z0-9][A-Za-z0-9._-]{0,127})/i, /^250[ -](?:[245]\.\d{1,3}\.\d{1,3} )?([A-Za-z0-9]{8,64}) Message accepted/i, /<([^<>\s]{1,250})>/];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) return m[1]!;
  }
  return null;
}

/** The fields of a nodemailer error this reads (documented at https://nodemailer.com/errors). */
export interface SmtpErrorFields {
  message: string;
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
  command?: string | undefined;
  originalCode?: string | undefined;
}

export type SmtpFailure =
  /** The relay cannot be reached or will not take us (refused, dropped, TLS, credentials): the work waits for it. */
  | { kind: 'link'; reason: string }
  /** A 4xx for this message, or a failure that may clear: retried by the job's policy. `code`: nodemailer's, when no reply says why. */
  | { kind: 'temporary'; code: string | undefined; reason: string }
  /** A 5xx: final, the reason the relay's reply (its code first). `recipient` when RCPT TO refused the address itself. */
  | { kind: 'permanent'; reason: string; recipient: boolean };

// Nodemailer's codes for a connection that failed or went (https://nodemailer.com/errors, "Connection", "TLS/Security", "Authentication").
const LINK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'EDNS', 'ESOCKET', 'ETLS', 'EREQUIRETLS', 'EAUTH', 'ENOAUTH', 'EPROXY']);

/** The relay's reply without its line breaks (a multi-line reply is one reason). */
const oneLine = (s: string): string => s.replace(/\s*\r?\n\s*/g, ' ').trim();

export function classifySmtpError(e: SmtpErrorFields): SmtpFailure {
  const reply = e.response ? oneLine(e.response) : null;
  // Credentials refused (535) are the provider's problem, not the message's: it waits for a fix.
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return { kind: 'link', reason: `the relay refused our login: ${reply ?? e.message}` };
  const status = e.responseCode;
  if (status !== undefined && status >= 500 && status < 600) return { kind: 'permanent', reason: reply ?? e.message, recipient: e.command === 'RCPT TO' };
  if (status !== undefined && status >= 400 && status < 500) return { kind: 'temporary', code: undefined, reason: reply ?? e.message };
  if (e.code && LINK_CODES.has(e.code)) return { kind: 'link', reason: `${e.originalCode ? `${e.originalCode}: ` : ''}${oneLine(e.message)}` };
  return { kind: 'temporary', code: e.code, reason: oneLine(e.message) };
}
