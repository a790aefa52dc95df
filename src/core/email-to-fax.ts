/**
 * E-mail to fax (issue 17): what a user's etob_* settings (seed 000) mean, how a sender is
 * authenticated by them, and what of the message is faxed. Pure: the SMTP front gathers the facts
 * (SMTP AUTH, the client's address, mailauth's DMARC verdict) and these decide.
 */

/** How a user's mail to the fax domain is authenticated (etob_authentication_type). */
export type EtobAuthType = 'smtp_auth' | 'sender' | 'either';
/** What the Subject does (etob_subject_behaviour): nothing, the fax's header line, or the cover page's first line. */
export type EtobSubject = 'ignore' | 'header' | 'cover';

export const ETOB_AUTH_TYPES: readonly EtobAuthType[] = ['smtp_auth', 'sender', 'either'];
export const ETOB_SUBJECTS: readonly EtobSubject[] = ['ignore', 'header', 'cover'];

export interface EtobSettings {
  disabled: boolean;
  authType: EtobAuthType;
  /** The sender address mail is taken from without SMTP AUTH (etob_email_address), lower-cased domain. */
  emailAddress: string | null;
  /** The client addresses (IPs or CIDR blocks) it may come from (etob_ip_whitelist), as written. */
  ipWhitelist: string[];
  /** Who is told of mail refused in the user's name (etob_ip_whitelist_alert_address). */
  alertAddresses: string[];
  subject: EtobSubject;
  bodyAsCover: boolean;
  startString: string | null;
  startInclude: boolean;
  endString: string | null;
  stripNonAscii: boolean;
}

type Profile = Record<string, unknown>;
const flag = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const list = (v: unknown): string[] =>
  typeof v === 'string'
    ? v
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** etob_authentication_type as written (any case; "smtp auth", "smtp-auth" too); unset is SMTP AUTH. */
export function etobAuthTypeOf(v: unknown): EtobAuthType | null {
  if (v === null || v === undefined || v === '') return 'smtp_auth';
  if (typeof v !== 'string') return null;
  const k = v
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return (ETOB_AUTH_TYPES as readonly string[]).includes(k) ? (k as EtobAuthType) : null;
}

export function etobSubjectOf(v: unknown): EtobSubject | null {
  if (v === null || v === undefined || v === '') return 'ignore';
  if (typeof v !== 'string') return null;
  const k = v.trim().toLowerCase();
  return (ETOB_SUBJECTS as readonly string[]).includes(k) ? (k as EtobSubject) : null;
}

/** A user's settings as e-mail to fax reads them; a value that is not valid counts as unset (the face checks them when written). */
export function etobSettingsOf(p: Profile): EtobSettings {
  const address = str(p.etob_email_address)?.trim() ?? null;
  return {
    disabled: flag(p.etob_disabled),
    authType: etobAuthTypeOf(p.etob_authentication_type) ?? 'smtp_auth',
    emailAddress: address ? lowerDomain(address) : null,
    ipWhitelist: list(p.etob_ip_whitelist),
    alertAddresses: list(p.etob_ip_whitelist_alert_address),
    subject: etobSubjectOf(p.etob_subject_behaviour) ?? 'ignore',
    bodyAsCover: flag(p.etob_use_email_body_as_fax_cover),
    startString: str(p.etob_email_message_start_string),
    startInclude: flag(p.etob_email_message_start_string_include),
    endString: str(p.etob_email_message_end_string),
    stripNonAscii: flag(p.etob_strip_non_ascii),
  };
}

/** local@domain with the domain lower-cased (how addresses are compared: RFC 5321 §2.4). */
export function lowerDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

export const sameAddress = (a: string | null, b: string | null): boolean => a !== null && b !== null && lowerDomain(a.trim()) === lowerDomain(b.trim());

/** An SMTP refusal: its reply code, enhanced status and the words the client sees. */
export interface MailRefusal {
  code: number;
  status: string;
  text: string;
}

const refuse = (code: number, status: string, text: string): MailRefusal => ({ code, status, text });

/** How a sender passed (SMTP AUTH, or its address and client IP, which the message's DMARC must then confirm). */
export type SenderPass = { via: 'smtp_auth' } | { via: 'sender' };

/**
 * At RCPT TO: may this user's mail be taken, on what the envelope shows? `authenticated` is SMTP AUTH
 * as this user; `senderMatches` the MAIL FROM being its etob_email_address; `ipAllowed` the client in
 * its etob_ip_whitelist.
 */
export function senderAtRcpt(s: EtobSettings, facts: { authenticated: boolean; senderMatches: boolean; ipAllowed: boolean }): SenderPass | MailRefusal {
  if (s.disabled) return refuse(550, '5.7.1', 'E-mail to fax is turned off for this account');
  const bySender = s.emailAddress !== null && facts.senderMatches && facts.ipAllowed;
  if (s.authType !== 'sender' && facts.authenticated) return { via: 'smtp_auth' };
  if (s.authType !== 'smtp_auth' && bySender) return { via: 'sender' };
  if (s.authType === 'smtp_auth') return refuse(530, '5.7.0', 'Authentication required: log in (SMTP AUTH) to send faxes by e-mail');
  if (s.emailAddress === null) return refuse(550, '5.7.1', 'No e-mail to fax sender address is set for this account');
  if (!facts.senderMatches) return refuse(550, '5.7.1', 'This sender may not send faxes by e-mail');
  return refuse(550, '5.7.1', 'Your address is not in the list of addresses allowed to send faxes for this account');
}

/**
 * At the end of DATA, for a sender let in by address and IP: the message's From must be that address
 * (a forged From is refused) and DMARC (SPF or DKIM aligned with the From's domain) must pass.
 */
export function senderAtData(pass: SenderPass, s: EtobSettings, facts: { from: string | null; dmarc: string }): MailRefusal | null {
  if (pass.via === 'smtp_auth') return null;
  if (!sameAddress(facts.from, s.emailAddress)) return refuse(550, '5.7.1', "The message's From is not this account's e-mail to fax address");
  if (facts.dmarc !== 'pass') return refuse(550, '5.7.1', `The message failed its sender authentication (DMARC ${facts.dmarc.slice(0, 20)})`);
  return null;
}

/** The body cut between the start and end strings (the start kept when asked); a string not found cuts nothing. */
export function cutBody(body: string, s: Pick<EtobSettings, 'startString' | 'startInclude' | 'endString' | 'stripNonAscii'>): string {
  let text = body.replace(/\r\n?/g, '\n');
  if (s.startString) {
    const i = text.indexOf(s.startString);
    if (i >= 0) text = text.slice(s.startInclude ? i : i + s.startString.length);
  }
  if (s.endString) {
    const j = text.indexOf(s.endString);
    if (j >= 0) text = text.slice(0, j);
  }
  // Printable ASCII, tabs and line ends: what is left when etob_strip_non_ascii asks.
  if (s.stripNonAscii) text = text.replace(/[^\x20-\x7e\n\t]/g, '');
  return text.trim();
}

/** What of a message is faxed besides its attachments: a cover page's text (null: none) and the header line. */
export function faxParts(s: EtobSettings, mail: { subject: string; text: string }, userHeader: string | null): { cover: string | null; header: string | null } {
  const subject = oneLine(mail.subject, s.stripNonAscii);
  const body = s.bodyAsCover ? cutBody(mail.text, s) : '';
  const lines = [s.subject === 'cover' && subject ? subject : '', body].filter(Boolean);
  const header = s.subject === 'header' && subject ? faxHeader(subject) : userHeader;
  return { cover: lines.length ? lines.join('\n\n') : null, header };
}

function oneLine(t: string, ascii: boolean): string {
  const one = t.replace(/[\r\n\t]+/g, ' ').trim();
  return ascii ? one.replace(/[^\x20-\x7e]/g, '') : one;
}

/** A fax header line as the fax job keeps one (the v1 face's fax_header_text rule). */
export const faxHeader = (t: string): string | null => t.replace(/[^\p{L}\p{N} .,:;()/&@+_-]/gu, '').slice(0, 60) || null;

/** Where the store writes a new job's id in the e-mails made with it (JobStore.createAnnounced), before the id exists. */
export const JOB_ID_MARK = '{{job_id}}';

/** The sender's e-mails: what was taken, what was refused, how each fax ended. */
export const acceptedMail = (jobId: number | string, numbers: string[], files: string[], pages: number): { subject: string; text: string } => ({
  subject: `Fax job ${jobId} accepted`,
  text: [
    `Your e-mail to fax was accepted as fax job ${jobId}: ${pages} page${pages === 1 ? '' : 's'} to ${numbers.join(', ')}.`,
    '',
    files.length ? `Documents, in order: ${files.join(', ')}` : 'Documents: the cover page only.',
    '',
    'You will be told how each fax ends.',
  ].join('\n'),
});

export const rejectedMail = (why: string, subject: string): { subject: string; text: string } => ({
  subject: `Fax not sent: ${oneLine(subject, false).slice(0, 100) || '(no subject)'}`,
  text: [`Your e-mail to fax was not accepted, and nothing was faxed:`, '', why].join('\n'),
});

export const resultMail = (jobId: number, number: string, ok: boolean, detail: string | null): { subject: string; text: string } => ({
  subject: `Fax to ${number} ${ok ? 'sent' : 'failed'} (job ${jobId})`,
  text: ok ? `Your fax to ${number} (job ${jobId}) was sent${detail ? `: ${detail}` : '.'}` : `Your fax to ${number} (job ${jobId}) failed${detail ? `: ${detail}` : '.'}`,
});

export const alertMail = (why: string, facts: { ip: string; sender: string; to: string }): { subject: string; text: string } => ({
  subject: 'E-mail to fax refused in your name',
  text: [`Mail to ${facts.to} was refused: ${why}.`, '', `Client address: ${facts.ip}`, `Envelope sender: ${facts.sender || '(none)'}`].join('\n'),
});
