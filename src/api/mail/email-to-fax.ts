import { simpleParser, type Attachment } from 'mailparser';
import { FAX_DOCUMENT_TYPES } from '../../core/fax.js';
import type { Logger } from 'pino';
import type { Remote } from '../../store/remote.js';
import type { UserRow, UserStore } from '../../store/users.js';
import type { JobStore } from '../../store/jobs.js';
import type { EmailToFaxAccount, MailSenderStore } from '../../store/mail-senders.js';
import type { MailAnswer, MailDomain, MailSession } from '../../core/mail-front.js';
import type { Channel } from '../../core/model.js';
import type { EmailContent } from '../../core/content.js';
import { plainJob, type NewJob } from '../../core/jobs.js';
import { systemEmail } from '../../core/email.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { validateNumber } from '../../core/numbers.js';
import { parseFaxAddress } from '../../core/fax-address.js';
import { MediaRefused } from '../../media/refused.js';
import { acceptedMail, alertMail, JOB_ID_MARK, etobSettingsOf, faxHeader, faxParts, rejectedMail, sameAddress, senderAtData, senderAtRcpt, type EtobSettings, type MailRefusal, type SenderPass } from '../../core/email-to-fax.js';

/** A document to fax, as media/fax.ts takes it (its name gives the type; never a path). */
export interface FaxFile {
  name: string;
  bytes: Buffer;
}

export interface EmailToFaxDeps {
  users: Remote<UserStore>;
  senders: Remote<MailSenderStore>;
  jobs: Remote<JobStore>;
  /** The fax domains (lower case). */
  domains: readonly string[];
  /** Documents → one fax TIFF (media/fax.ts); throws MediaRefused naming the file. */
  prepareFax(files: FaxFile[]): Promise<{ path: string; pages: number }>;
  /** The message's DMARC verdict (mailauth: SPF and DKIM, aligned with the From's domain): 'pass', 'fail', 'none'… */
  dmarc(message: Uint8Array, session: MailSession): Promise<string>;
  /** Whether the client's address is in a list of IPs and CIDR blocks. */
  ipAllowed(ip: string, list: readonly string[]): boolean;
  onJobCreated(jobId: number, userId: number, channel: Channel, total: number): void;
  /** The From of the sender's e-mails (email.system_from); null: none are sent. */
  systemFrom: EmailContent['from'] | null;
  log: Logger;
}

/** Whose mail it is and by what settings it is judged: a v1 user's etob_*, or an ICTCore account's emailtofax program. */
interface Sender {
  user: UserRow;
  settings: EtobSettings;
  account: EmailToFaxAccount | null;
  /** Where its e-mails (accepted, rejected, sent, failed) go. */
  replyTo: string | null;
}

type Found = { ok: true; sender: Sender; pass: SenderPass } | { ok: false; refusal: MailRefusal; tell: Sender | null };

/** A user's alert address is told at most this often. */
const ALERT_EVERY_MS = 60_000;

const refusal = (code: number, status: string, text: string): MailRefusal => ({ code, status, text });
const profileOf = (u: UserRow): Record<string, unknown> => {
  try {
    return JSON.parse(u.profile || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
};
const dataOf = (json: string): Record<string, unknown> => {
  try {
    return JSON.parse(json || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
};
const firstAddress = (list: readonly (string | null | undefined)[]): string | null => {
  for (const a of list) {
    const c = a ? checkEmailAddress(a) : null;
    if (c?.ok) return c.address;
  }
  return null;
};

/** An ICTCore account's emailtofax program read as the etob settings it stands for: its address, an optional ip_whitelist, either way in. */
function accountSettings(a: EmailToFaxAccount): EtobSettings {
  const d = dataOf(a.program_data);
  const base = etobSettingsOf({ etob_email_address: a.email, etob_ip_whitelist: d.ip_whitelist, etob_ip_whitelist_alert_address: d.email, etob_use_email_body_as_fax_cover: d.cover, etob_subject_behaviour: d.subject });
  return { ...base, authType: 'either' };
}

/**
 * The fax domains on the SMTP front (issue 17's e-mail to fax): `<number>@` and RFC 3192 `FAX=+<number>@`.
 * The sender is authenticated before anything is made — SMTP AUTH as a user, or its etob_email_address
 * from its etob_ip_whitelist and a message whose DMARC passes (etob_authentication_type chooses; an
 * ICTCore account's emailtofax program: its address, or AUTH as its user) — else refused at RCPT TO or
 * at the end of DATA with a reply saying why, and the user's etob_ip_whitelist_alert_address told. The
 * attachments (and the body as a cover page, when asked) become one fax job to every recipient, stored
 * before the 250; the sender is told it was accepted, or why not, and later how each fax ended
 * (`follow-ups.ts`).
 */
export class EmailToFax implements MailDomain {
  readonly name = 'email-to-fax';
  /** When each user's alert address was last told: at most one alert a minute, however many refusals (a forger cannot flood it). */
  private readonly alerted = new Map<number, number>();

  constructor(private readonly deps: EmailToFaxDeps) {}

  async rcpt(address: string, session: MailSession): Promise<MailRefusal | null> {
    const parsed = parseFaxAddress(address, this.deps.domains);
    if (parsed.kind !== 'fax') return refusal(550, '5.1.3', `Not a fax address: ${parsed.kind === 'invalid' ? parsed.reason : 'unknown domain'}`);
    const found = await this.sender(session, address);
    if (!found.ok) return found.refusal;
    const number = validateNumber(parsed.number, found.sender.user.country);
    if (!number.ok) return refusal(550, '5.1.3', `Not a fax number: ${number.reason}`.slice(0, 200));
    return null;
  }

  async data(message: Uint8Array, recipients: string[], session: MailSession): Promise<MailAnswer> {
    const found = await this.sender(session, recipients[0] ?? '');
    if (!found.ok) return { ok: false, refusal: found.refusal };
    const { sender, pass } = found;
    const mail = await simpleParser(Buffer.from(message), { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });
    const from = mail.from?.value[0]?.address ?? null;
    const subject = mail.subject ?? '';
    const dmarc = pass.via === 'sender' ? await this.deps.dmarc(message, session) : 'skipped';
    const forged = senderAtData(pass, sender.settings, { from, dmarc });
    if (forged) {
      this.deps.log.warn({ user: sender.user.id, from, dmarc, ip: session.remoteAddress }, 'e-mail to fax refused at DATA');
      await this.alert(sender, forged.text, session, recipients[0] ?? '');
      return { ok: false, refusal: forged };
    }

    const numbers = recipients.flatMap((r) => {
      const p = parseFaxAddress(r, this.deps.domains);
      const n = p.kind === 'fax' ? validateNumber(p.number, sender.user.country) : null;
      return n?.ok ? [n.e164] : [];
    });
    const profile = profileOf(sender.user);
    const userHeader = typeof profile.fax_header_text === 'string' ? faxHeader(profile.fax_header_text) : null;
    const { cover, header } = faxParts(sender.settings, { subject, text: mail.text ?? '' }, userHeader);
    const attached = mail.attachments.filter((a) => a.content.length > 0 && !(a.related && a.contentDisposition === 'inline' && !a.filename));
    const files: FaxFile[] = [...(cover ? [{ name: 'cover.txt', bytes: Buffer.from(cover, 'utf8') }] : []), ...attached.map((a, i) => ({ name: this.fileName(a, i), bytes: a.content }))];
    if (files.length === 0) return this.rejected(sender, subject, refusal(554, '5.6.0', 'Nothing to fax: the message has no attachment (and its body is not used as a cover page)'));

    let fax: { path: string; pages: number };
    try {
      fax = await this.deps.prepareFax(files);
    } catch (err) {
      // A document refused is the sender's to fix (told, 554); anything else (LibreOffice down, a full disk) is ours: 451, sent again later.
      if (!(err instanceof MediaRefused)) throw err;
      this.deps.log.info({ err, user: sender.user.id }, 'e-mail to fax: documents refused');
      return this.rejected(sender, subject, refusal(554, '5.6.0', err.message.replace(/[\r\n]+/g, ' ').slice(0, 300)));
    }
    const fileNames = attached.map((a, i) => this.fileName(a, i));
    const job = plainJob({
      userId: sender.user.id,
      face: sender.account ? 'ictcore' : 'welcorp',
      channel: 'fax',
      name: (subject.replace(/[\r\n]+/g, ' ').trim() || 'E-mail to fax').slice(0, 200),
      content: { kind: 'fax', document: fax.path, pages: fax.pages, fine: false, header, fileNames: cover ? ['cover.txt', ...fileNames] : fileNames },
      options: { email_to_fax: { reply_to: sender.replyTo, from, message_id: mail.messageId ?? null, via: pass.via } },
      recipients: numbers.map((destination) => ({ destination, name: null, reference: null, fields: null, blackouts: null })),
      programId: sender.account?.program_id ?? null,
      accountId: sender.account?.account_id ?? null,
    });
    // The job and the sender's "accepted" e-mail in one transaction, committed on the engine's thread
    // before the 250: a crash after it loses nothing, one before it leaves nothing and the client sends again.
    const { subject: s, text } = acceptedMail(JOB_ID_MARK, numbers, fileNames, fax.pages);
    const notice = this.mail(sender.user.id, sender.replyTo, s, text, { system: 'email_to_fax_accepted' });
    const { jobId, noticeIds } = await this.deps.jobs.createAnnounced(job, notice ? [notice] : [], Date.now());
    this.deps.onJobCreated(jobId, job.userId, job.channel, job.recipients.length);
    for (const id of noticeIds) this.deps.onJobCreated(id, job.userId, 'email', 1);
    this.deps.log.info({ jobId, user: sender.user.id, via: pass.via, pages: fax.pages, recipients: numbers.length }, 'e-mail to fax: fax job made');
    return { ok: true, text: `Ok: fax job ${jobId}` };
  }

  /** Whose mail this is and whether it may be taken, from the envelope (the same at RCPT TO and at DATA). */
  private async sender(session: MailSession, to: string): Promise<Found> {
    const ip = session.remoteAddress;
    const candidates = await this.candidates(session);
    if (candidates.length === 0) return { ok: false, refusal: refusal(530, '5.7.0', 'Authentication required: log in (SMTP AUTH) to send faxes by e-mail'), tell: null };
    if (new Set(candidates.map((c) => c.user.id)).size > 1) return { ok: false, refusal: refusal(550, '5.7.1', 'This sender address belongs to several accounts; log in (SMTP AUTH) instead'), tell: null };
    const sender = candidates[0]!;
    const s = sender.settings;
    const ipAllowed = sender.account && s.ipWhitelist.length === 0 ? true : this.deps.ipAllowed(ip, s.ipWhitelist);
    const pass = senderAtRcpt(s, { authenticated: session.user?.id === sender.user.id, senderMatches: sameAddress(session.mailFrom, s.emailAddress), ipAllowed });
    if ('code' in pass) {
      this.deps.log.warn({ user: sender.user.id, ip, mailFrom: session.mailFrom, why: pass.text }, 'e-mail to fax refused at RCPT TO');
      await this.alert(sender, pass.text, session, to);
      return { ok: false, refusal: pass, tell: sender };
    }
    return { ok: true, sender, pass };
  }

  /** The users (with their settings) the session may be: the one logged in, else those whose sender address MAIL FROM is. */
  private async candidates(session: MailSession): Promise<Sender[]> {
    if (session.user) {
      const user = await this.deps.users.byId(session.user.id);
      if (!user || !user.active) return [];
      const accounts = await this.deps.senders.emailToFaxAccounts({ owner: user.id });
      return [this.of(user, accounts[0] ?? null)];
    }
    const mailFrom = checkEmailAddress(session.mailFrom);
    if (!mailFrom.ok) return [];
    const [users, accounts] = await Promise.all([this.deps.senders.etobUsers(mailFrom.address), this.deps.senders.emailToFaxAccounts({ address: mailFrom.address })]);
    const out: Sender[] = [];
    for (const u of users) {
      const row = await this.deps.users.byId(u.id);
      if (row) out.push(this.of(row, null));
    }
    for (const a of accounts) {
      const row = await this.deps.users.byId(a.owner);
      if (row && row.active) out.push(this.of(row, a));
    }
    return out;
  }

  private of(user: UserRow, account: EmailToFaxAccount | null): Sender {
    const settings = account ? accountSettings(account) : etobSettingsOf(profileOf(user));
    return { user, settings, account, replyTo: firstAddress([settings.emailAddress, account?.email, user.email]) };
  }

  /** An attachment's name as the converter reads its type: its own when it has a known extension, else one from its MIME type. */
  private fileName(a: Attachment, i: number): string {
    const own = (a.filename ?? '').replace(/[\\/\r\n\0]/g, '_').slice(-100);
    if (/\.[A-Za-z0-9]{1,5}$/.test(own)) return own;
    const ext = FAX_DOCUMENT_TYPES[a.contentType.toLowerCase()] ?? 'bin';
    return `${own || `attachment-${i + 1}`}.${ext}`;
  }

  private async rejected(sender: Sender, subject: string, why: MailRefusal): Promise<MailAnswer> {
    const { subject: s, text } = rejectedMail(why.text, subject);
    await this.mailTo(sender.user.id, sender.replyTo, s, text, { system: 'email_to_fax_rejected' });
    return { ok: false, refusal: why };
  }

  /** Mail refused in a user's name: its alert addresses are told, at most once a minute (never the sender, whose address may be forged). */
  private async alert(sender: Sender, why: string, session: MailSession, to: string): Promise<void> {
    const list = sender.settings.alertAddresses.flatMap((a) => {
      const c = checkEmailAddress(a);
      return c.ok ? [c.address] : [];
    });
    if (list.length === 0) return;
    const now = Date.now();
    if ((this.alerted.get(sender.user.id) ?? 0) > now - ALERT_EVERY_MS) return;
    if (this.alerted.size > 10_000) this.alerted.clear();
    this.alerted.set(sender.user.id, now);
    const { subject, text } = alertMail(why, { ip: session.remoteAddress, sender: session.mailFrom, to });
    for (const a of list.slice(0, 5)) await this.mailTo(sender.user.id, a, subject, text, { system: 'email_to_fax_alert' });
  }

  /** One of the daemon's own e-mails to `to`, as an `email` job of the user; null when there is no one to send it to or no system sender. */
  private mail(userId: number, to: string | null, subject: string, text: string, options: Record<string, unknown>): NewJob | null {
    if (!to || !this.deps.systemFrom) return null;
    return plainJob({
      userId,
      face: 'welcorp',
      channel: 'email',
      name: subject.slice(0, 200),
      content: systemEmail(this.deps.systemFrom, subject, text, []),
      options,
      recipients: [{ destination: to, name: null, reference: null, fields: null, blackouts: null }],
    });
  }

  /** Makes that e-mail now (not awaited to be sent). */
  private async mailTo(userId: number, to: string | null, subject: string, text: string, options: Record<string, unknown>): Promise<void> {
    const job = this.mail(userId, to, subject, text, options);
    if (!job) return;
    try {
      const id = await this.deps.jobs.create(job, Date.now());
      this.deps.onJobCreated(id, userId, 'email', 1);
    } catch (err) {
      this.deps.log.error({ err, userId }, "e-mail to fax: the sender's e-mail could not be made");
    }
  }
}
