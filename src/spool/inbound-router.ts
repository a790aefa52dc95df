import { statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { JobStore } from '../store/jobs.js';
import type { NumberStore } from '../store/numbers.js';
import type { InboundAccount, InboundOwners, InboundUser, ReceiveProgram } from '../store/inbound-owners.js';
import type { CallbackStore } from '../store/callbacks.js';
import type { ReplyScope } from '../store/replies.js';
import type { SpoolEvent } from '../events/bus.js';
import type { InboundMessage } from '../core/inbound.js';
import type { Channel } from '../core/model.js';
import { plainJob, type NewJob } from '../core/jobs.js';
import { smsContent, type Content, type EmailAttachment, type EmailContent } from '../core/content.js';
import { systemEmail } from '../core/email.js';
import { checkEmailAddress } from '../core/email-address.js';
import { numberForms } from '../core/reply-match.js';
import { validateNumber } from '../core/numbers.js';
import { inboundFields, inboundMail, receivedOutcome } from '../core/inbound-report.js';
import { checkUrl, UrlRefused } from '../net/safe-http.js';

/** Whose a message received is: the user, and the ICTCore account (with its receive program) it came in on. */
export interface InboundRoute {
  userId: number;
  account: InboundAccount | null;
  program: ReceiveProgram | null;
  /** The account's faxtoemail program, when it has one (a fax is e-mailed to the account's address). */
  faxToEmail: ReceiveProgram | null;
}

export interface InboundRouterOptions {
  dataDir: string;
  /** email.system_from: the From of the e-mails made here; null: none are made. */
  systemFrom: EmailContent['from'] | null;
}

/** Each channel's receive programs, the first one found being the transmission's program. */
const RECEIVE_TYPES: Record<InboundMessage['channel'], readonly string[]> = { sms: ['receivesms'], mms: ['receivesms'], fax: ['receivefax', 'faxtoemail'], email: ['receiveemail'] };

const FORM = 'application/x-www-form-urlencoded';

type Profile = Record<string, unknown>;
const profileOf = (u: InboundUser): Profile => {
  try {
    return JSON.parse(u.profile || '{}') as Profile;
  } catch {
    return {};
  }
};
/** The first valid address of a setting (a comma-separated list, as the v1 API keeps them). */
const firstAddress = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  for (const part of v.split(',')) {
    const c = checkEmailAddress(part);
    if (c.ok) return c.address;
  }
  return null;
};
const programEmail = (p: ReceiveProgram | null): string | null => {
  if (!p) return null;
  try {
    return firstAddress((JSON.parse(p.data) as Record<string, unknown>).email);
  } catch {
    return null;
  }
};

/**
 * A message that answers no 2-way job, routed by where it was sent (issue 17): to the owner of the
 * number (`numbers`, an admin's assignment; else an ICTCore account whose phone it is) or of the
 * address (an account's e-mail). The owner's receive program runs in the caller's transaction: an
 * inbound transmission (a job of one final recipient, `direction: inbound`), a callback to the owner's
 * `call_back_url`, and an e-mail where the program or the owner's settings say so. A message nobody
 * owns, or whose owner the link it came by may not reach (a reseller's provider, an injecting user), is
 * given to no one.
 */
export class InboundRouter {
  constructor(
    private readonly jobs: JobStore,
    private readonly numbers: NumberStore,
    private readonly owners: InboundOwners,
    private readonly callbacks: CallbackStore,
    private readonly opts: InboundRouterOptions,
    private readonly log: Logger,
  ) {}

  /** Whose `m` is, within what the link it came by may reach; null: nobody's. */
  route(m: InboundMessage, scope: ReplyScope): InboundRoute | null {
    if (m.to === null || m.to.trim() === '') return null;
    const found = m.channel === 'email' ? this.byAddress(m.to) : this.byNumber(m.to, scope.country);
    if (!found) return null;
    if (scope.owner !== null && found.userId !== scope.owner) {
      // A reseller's provider (or a user injecting) reaches only its own numbers and its users'.
      const u = this.owners.user(found.userId);
      if (!scope.withUsers || u?.agent_id !== scope.owner) {
        this.log.warn({ to: m.to, owner: found.userId, scope: scope.owner }, "inbound message to another tenant's number through a provider that may not reach it; given to no one");
        return null;
      }
    }
    const programs = found.account ? this.owners.receivePrograms(found.account.id, RECEIVE_TYPES[m.channel]) : [];
    const program = programs.find((p) => p.type !== 'faxtoemail') ?? programs[0] ?? null;
    return { userId: found.userId, account: found.account, program, faxToEmail: programs.find((p) => p.type === 'faxtoemail') ?? null };
  }

  /** An account's address; several owners claiming it: nobody's. */
  private byAddress(to: string): { userId: number; account: InboundAccount | null } | null {
    const c = checkEmailAddress(to);
    if (!c.ok) return null;
    return this.onlyOwner(this.owners.accountsByEmail(c.address), to);
  }

  /** An assigned number (its owner's, with its account of that number if any); else an account's phone. */
  private byNumber(to: string, country: string): { userId: number; account: InboundAccount | null } | null {
    const forms = [...numberForms(to, country)];
    if (forms.length === 0 || !forms[0]!.startsWith('+')) return null;
    const owner = this.numbers.ownerOf(forms);
    const accounts = this.owners.accountsByPhoneTail(forms[0]!).filter((a) => {
      if (!a.phone) return false;
      const e164 = validateNumber(a.phone, this.owners.user(a.owner)?.country ?? country);
      return e164.ok && forms.includes(e164.e164);
    });
    // An admin's assignment decides: an account's phone (its user writes it) never takes another's number.
    if (owner !== undefined) return { userId: owner, account: accounts.find((a) => a.owner === owner) ?? null };
    return this.onlyOwner(accounts, to);
  }

  private onlyOwner(accounts: InboundAccount[], to: string): { userId: number; account: InboundAccount } | null {
    if (accounts.length === 0) return null;
    if (new Set(accounts.map((a) => a.owner)).size > 1) {
      this.log.warn({ to, accounts: accounts.map((a) => a.id) }, "inbound message to a number or address several users' accounts claim; given to no one");
      return null;
    }
    return { userId: accounts[0]!.owner, account: accounts[0]! };
  }

  /**
   * Run the owner's receive program, inside the caller's transaction: the inbound transmission, its
   * callback and e-mail. The transmission's recipient id.
   */
  receive(m: InboundMessage, r: InboundRoute, now: number, events: SpoolEvent[]): number {
    const user = this.owners.user(r.userId);
    if (!user) throw new Error(`inbound owner ${r.userId} no longer exists`);
    const profile = profileOf(user);
    const fax = m.channel === 'fax' ? (m.data?.fax ?? null) : null;
    const document = fax?.pdf ? this.document(fax.pdf) : null;
    const channel: Channel = m.channel === 'mms' ? 'sms' : m.channel;
    const options: Record<string, unknown> = { direction: 'inbound', origin: m.from, destination: m.to, text: m.text, provider_id: m.providerId };
    if (fax) Object.assign(options, { document: document?.relative ?? null, pages: fax.pages, total_pages: fax.total_pages ?? null, fax: fax });
    if (m.data?.via) options.via = m.data.via;
    const job = plainJob({
      userId: r.userId,
      face: 'ictcore',
      channel,
      name: `${m.channel} from ${m.from}`.slice(0, 200),
      content: this.content(m, document?.relative ?? null),
      options,
      sender: m.to,
      recipients: [{ destination: m.from, name: null, reference: null, fields: null, blackouts: null }],
      programId: r.program?.id ?? r.faxToEmail?.id ?? null,
      accountId: r.account?.id ?? null,
    });
    const { jobId, recipientId } = this.jobs.createReceived(job, receivedOutcome(m), now);

    const url = typeof profile.call_back_url === 'string' ? profile.call_back_url.trim() : '';
    if (url && !(checkUrl(url) instanceof UrlRefused)) {
      const body = new URLSearchParams(inboundFields(m, recipientId, document?.relative ?? null)).toString();
      this.callbacks.enqueue({ kind: 'inbound', url, contentType: FORM, body }, { userId: r.userId, jobId, recipientId }, now);
    }

    const to = this.mailTo(m, r, profile);
    if (to && this.opts.systemFrom) {
      const { subject, text } = inboundMail(m, user.timezone);
      const attachments: EmailAttachment[] = document ? [{ file: document.file, name: `fax-${m.from.replace(/[^0-9A-Za-z+]/g, '')}-${new Date(m.at).toISOString().slice(0, 19).replace(/[:T]/g, '')}.pdf`, size: document.size }] : [];
      const mail = plainJob({
        userId: r.userId,
        face: 'welcorp',
        channel: 'email',
        name: `Inbound ${m.channel} ${recipientId}`,
        content: systemEmail(this.opts.systemFrom, subject, text, attachments),
        options: { system: 'inbound', for_transmission: recipientId },
        recipients: [{ destination: to, name: null, reference: null, fields: null, blackouts: null }],
      });
      this.make(mail, now, events);
    } else if (to) this.log.warn({ transmission: recipientId }, 'an inbound message is to be e-mailed but email.system_from is not set; not mailed');

    events.push({ type: 'inbound.received', at: now, userId: r.userId, from: m.from, to: m.to, text: m.text, channel: m.channel, transmissionId: recipientId });
    return recipientId;
  }

  private make(job: NewJob, now: number, events: SpoolEvent[]): void {
    const jobId = this.jobs.create(job, now);
    events.push({ type: 'job.created', at: now, userId: job.userId, jobId, channel: job.channel, total: job.recipients.length });
  }

  /**
   * Where the owner's copy goes: the receive program's `email`; a fax, else, to the faxtoemail
   * program's account, then the v1 user's email_address_for_inbound_fax; an SMS to its
   * default_sms_reply_email_address. None: not mailed.
   */
  private mailTo(m: InboundMessage, r: InboundRoute, profile: Profile): string | null {
    const own = programEmail(r.program);
    if (own) return own;
    if (m.channel === 'fax') return programEmail(r.faxToEmail) ?? (r.faxToEmail ? firstAddress(r.account?.email) : null) ?? firstAddress(profile.email_address_for_inbound_fax);
    if (m.channel === 'sms' || m.channel === 'mms') return firstAddress(profile.default_sms_reply_email_address);
    return null;
  }

  /** A received document under the data dir (the gateway names it relative to it); anything else is not attached. */
  private document(pdf: string): { relative: string; file: string; size: number } | null {
    const file = resolve(this.opts.dataDir, pdf);
    const rel = relative(this.opts.dataDir, file);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      this.log.warn({ pdf }, "a received fax's document is outside the data dir; not kept");
      return null;
    }
    try {
      return { relative: rel, file: join(this.opts.dataDir, rel), size: statSync(file).size };
    } catch (err) {
      this.log.warn({ err, pdf }, "a received fax's document cannot be read; not attached");
      return null;
    }
  }

  private content(m: InboundMessage, document: string | null): Content {
    if (m.channel === 'fax') {
      const fax = m.data?.fax;
      return { kind: 'fax', document: document ?? '', pages: fax?.pages ?? 0, fine: false, header: null, fileNames: document ? [basename(document)] : [] };
    }
    if (m.channel === 'email') {
      const from = checkEmailAddress(m.from);
      return { kind: 'email', from: { address: from.ok ? from.address : m.from.slice(0, 320) || 'unknown', name: null }, subject: (m.data?.subject ?? '').replace(/[\r\n]+/g, ' '), text: m.text, html: null, attachments: [] };
    }
    return smsContent({ template: m.text });
  }
}
