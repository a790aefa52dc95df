import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import type { Delivery, Gateway, GatewaySink } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { returnPath } from '../../core/verp.js';
import { AttachmentParts } from './attachment-parts.js';
import { classifySmtpError, queueIdOf, type SmtpErrorFields } from './reply.js';
import { relayConnection, type SmtpEndpoint, type SmtpSettings } from './settings.js';

type EmailDelivery = Extract<Delivery, { kind: 'email' }>;

/** Where bounces go: each attempt's envelope sender is its own address on this domain (core/verp.ts). */
export interface BounceAddress {
  domain: string;
  prefix: string;
  key: Buffer;
}

/** DKIM keys by sending domain (lower case), and where nodemailer spools a large body while it signs. */
export interface DkimSigning {
  keys: ReadonlyMap<string, { selector: string; privateKey: string }>;
  /** A directory of the daemon's (inside data_dir): bodies over `cacheThreshold` bytes are buffered there, not in memory. */
  cacheDir: string;
  cacheThreshold: number;
}

/**
 * E-mail through an SMTP relay: a nodemailer pool of `max_connections` connections, each carrying one
 * message at a time and `max_messages` before it is replaced. The gateway's room is its free
 * connections and one message queued behind each, so the spool hands it work as connections free up
 * (and paces it by the provider's throughput, as every driver); nothing more waits here. Each message has one
 * recipient, so the relay's answer is that recipient's outcome. See README.md.
 */
export class SmtpGateway implements Gateway {
  private readonly transport: ReturnType<typeof createPool>;
  private readonly waiting: EmailDelivery[] = [];
  private readonly attachmentParts = new AttachmentParts();
  private active = 0;
  private up = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly providerId: number,
    private readonly endpoint: SmtpEndpoint,
    private readonly settings: SmtpSettings,
    private readonly bounce: BounceAddress | null,
    private readonly dkim: DkimSigning | null,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
  ) {
    this.transport = createPool(endpoint, settings);
  }

  async start(): Promise<void> {
    await this.probe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.drain();
    // Messages on the wire finish (or fail, and are reported) first.
    this.transport.close();
  }

  drain(): void {
    for (const d of this.waiting.splice(0)) this.report(d, { kind: 'held', reason: 'the daemon is stopping', retryMs: this.settings.probe_ms });
  }

  isUp(): boolean {
    return this.up;
  }

  /**
   * Free connections, and three messages waiting behind each: a connection that finishes takes the next
   * at once instead of idling for the spool's round trip (the outcome's flush, the claim it wakes, the
   * hand-over: two commits), which with one behind each still left connections idle in
   * bench/email-smtp.js. Not much more: work waiting here is work the spool cannot give another provider.
   */
  room(): number {
    return Math.max(0, 4 * this.settings.max_connections - this.active - this.waiting.length);
  }

  send(d: Delivery): void {
    if (d.kind !== 'email') return this.report(d, { kind: 'failed', retryable: false, state: 'rejected', reason: `an SMTP provider carries e-mail, not ${d.channel}`, code: 'channel' });
    if (!this.up || this.stopped) return this.report(d, { kind: 'held', reason: 'the SMTP relay is not reachable', retryMs: this.settings.probe_ms });
    this.waiting.push(d);
    this.pump();
  }

  private report(d: Delivery, outcome: Outcome): void {
    this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
  }

  private pump(): void {
    while (this.up && this.active < this.settings.max_connections && this.waiting.length > 0) {
      const d = this.waiting.shift()!;
      this.active++;
      void this.deliver(d).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async deliver(d: EmailDelivery): Promise<void> {
    const m = d.email;
    // Without a bounce domain the envelope sender is the From address, as any mail client sends.
    const envelopeFrom = this.bounce ? returnPath({ recipientId: d.recipientId, attemptId: d.attemptId }, this.bounce.domain, this.bounce.key, this.bounce.prefix) : m.from.address;
    try {
      const attachments = await this.attachmentParts.parts(m.attachments);
      const info = await this.transport.sendMail({
        envelope: { from: envelopeFrom, to: [d.destination] },
        from: m.from.name ? { name: m.from.name, address: m.from.address } : m.from.address,
        to: d.destination,
        subject: m.subject,
        ...this.dkimFor(m.from.address),
        // ORCPT names the recipient in the DSN too, besides the return path.
        ...(this.settings.dsn ? { dsn: { notify: this.settings.dsn.notify, ret: this.settings.dsn.ret, recipient: d.destination } } : {}),
        ...(m.text !== null ? { text: m.text } : {}),
        ...(m.html !== null ? { html: m.html } : {}),
        // Each of the job's files as a part made once (its base64 is the same for every recipient).
        attachments,
        // nodemailer sends it as a text/calendar; method=… alternative and an invite.ics attachment (as Outlook does).
        ...(m.invite ? { icalEvent: { method: m.invite.method, content: m.invite.ics, filename: 'invite.ics' } } : {}),
        // The content is the client's: nothing in it may make nodemailer read a file or fetch a URL.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      this.report(d, { kind: 'accepted', peerId: queueIdOf(info.response) ?? info.messageId, awaitReceipt: false });
    } catch (err) {
      const failure = classifySmtpError(err as SmtpErrorFields);
      switch (failure.kind) {
        case 'link':
          this.report(d, { kind: 'held', reason: failure.reason, retryMs: this.settings.probe_ms });
          return this.setUp(false, failure.reason);
        case 'temporary':
          return this.report(d, { kind: 'failed', retryable: true, reason: failure.reason, code: failure.code });
        case 'permanent':
          return this.report(d, { kind: 'failed', retryable: false, state: failure.recipient ? 'undeliverable' : 'rejected', reason: failure.reason });
      }
    }
  }

  /** nodemailer's per-message dkim option for the From address's domain, when a key is set for it; else nothing (unsigned). */
  private dkimFor(from: string) {
    const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
    const key = this.dkim?.keys.get(domain);
    if (!this.dkim || !key) return {};
    return { dkim: { domainName: domain, keySelector: key.selector, privateKey: key.privateKey, cacheDir: this.dkim.cacheDir, cacheTreshold: this.dkim.cacheThreshold } };
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.sink.health(this.providerId, up, reason);
    if (up) return this.pump();
    this.log.warn({ reason }, 'the SMTP relay is down; its work is held');
    for (const d of this.waiting.splice(0)) this.report(d, { kind: 'held', reason: 'the SMTP relay is not reachable', retryMs: this.settings.probe_ms });
    this.scheduleProbe();
  }

  /** A connection, EHLO, STARTTLS and AUTH as the pool makes them: the relay is up when it takes us. */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.transport.verify();
      this.setUp(true);
    } catch (err) {
      const failure = classifySmtpError(err as SmtpErrorFields);
      if (failure.reason.includes('login')) this.log.error({ reason: failure.reason }, 'the SMTP relay refused our credentials');
      else this.log.warn({ reason: failure.reason }, 'the SMTP relay is not reachable');
      if (this.up) this.setUp(false, failure.reason);
      else this.scheduleProbe();
    }
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, this.settings.probe_ms);
    this.probeTimer.unref();
  }
}

function createPool(e: SmtpEndpoint, s: SmtpSettings) {
  return createTransport({
    pool: true,
    ...relayConnection(e, s),
    maxConnections: s.max_connections,
    maxMessages: s.max_messages,
    // A message whose connection dropped comes back to us (held, or retried by policy), not resent by the pool.
    maxRequeues: 0,
    connectionTimeout: s.timeout_ms,
    greetingTimeout: s.timeout_ms,
    socketTimeout: s.timeout_ms,
    // Pacing is the spool's (the provider's throughput), not nodemailer's rateLimit.
    logger: false,
  });
}
