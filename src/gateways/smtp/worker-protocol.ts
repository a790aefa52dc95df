import type { EmailMessage } from '../../core/email.js';
import type { SmtpFailure } from './reply.js';
import type { SmtpEndpoint, SmtpSettings } from './settings.js';

/** What an SMTP thread is started with: its share of the provider's connections, and the DKIM keys (read once on the main thread). */
export interface SmtpThreadData {
  endpoint: SmtpEndpoint;
  settings: SmtpSettings;
  /** This thread's connections (the provider's `max_connections` shared between its threads). */
  connections: number;
  dkim: { keys: Map<string, { selector: string; privateKey: string }>; cacheDir: string; cacheThreshold: number } | null;
}

/** One message to send: one recipient, the envelope sender chosen by the main thread (VERP). */
export interface SmtpJob {
  id: number;
  to: string;
  envelopeFrom: string;
  email: EmailMessage;
}

export type ToSmtpThread =
  | { t: 'send'; job: SmtpJob }
  /** The relay is up: take waiting messages onto the connections. */
  | { t: 'up' }
  /** Connect, EHLO, STARTTLS, AUTH as the pool does: answered by `verified`. */
  | { t: 'verify'; req: number }
  /** Start nothing more and give back what waits (answered by `released`), until `up`. */
  | { t: 'release'; req: number }
  /** Close the pool once what is on the wire is answered; the thread ends then. */
  | { t: 'close' };

export type FromSmtpThread = { t: 'sent'; id: number; peerId: string } | { t: 'failed'; id: number; failure: SmtpFailure } | { t: 'verified'; req: number; failure: SmtpFailure | null } | { t: 'released'; req: number; ids: number[] };
