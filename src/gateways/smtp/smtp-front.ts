import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import type { MailDomain, MailSession } from '../../core/mail-front.js';
import type { MailRefusal } from '../../core/email-to-fax.js';
import { splitAddress } from '../../core/fax-address.js';

export interface SmtpFrontOptions {
  host: string;
  port: number;
  /** The name in the greeting and EHLO. */
  name: string;
  /** PEM files for STARTTLS; without them STARTTLS is not offered. */
  tlsKeyFile: string | null;
  tlsCertFile: string | null;
  /** Largest message taken, in bytes (the SIZE extension; more is answered 552). */
  maxBytes: number;
  /** Recipients taken in one message. */
  maxRecipients: number;
  /** AUTH offered in clear (no STARTTLS yet): loopback tests only. */
  allowInsecureAuth: boolean;
}

/** Checks an SMTP AUTH login; null when refused. */
export type SmtpLogin = (username: string, password: string, remoteAddress: string) => Promise<{ id: number; code: string } | null>;

const smtpError = (r: MailRefusal) => Object.assign(new Error(`${r.status} ${r.text}`), { responseCode: r.code });

/**
 * The daemon's one SMTP listener (smtp-server): each RCPT TO is routed by its domain to the mail domain
 * that owns it (the bounce domain, the fax domains, the receive domains); any other domain is refused
 * with 550, so it relays nothing. A message goes to one domain: a recipient of another in the same
 * transaction is answered 452, and the client sends it in a transaction of its own. AUTH (PLAIN, LOGIN)
 * is the daemon's users' passwords, offered after STARTTLS unless `allowInsecureAuth`; it is optional
 * here, each domain deciding whether it needs it. The answer to DATA is the domain's, given only once
 * what it made of the message is stored.
 */
export class SmtpFront {
  private readonly server: SMTPServer;
  private address: { host: string; port: number } | null = null;
  /** The domain each session's first recipient went to. */
  private readonly chosen = new WeakMap<SMTPServerSession, MailDomain>();

  constructor(
    private readonly opts: SmtpFrontOptions,
    /** Each domain (lower case) and the mail domain that takes its mail. */
    private readonly domains: ReadonlyMap<string, MailDomain>,
    login: SmtpLogin | null,
    private readonly log: Logger,
  ) {
    const tls = opts.tlsKeyFile && opts.tlsCertFile ? { key: readFileSync(opts.tlsKeyFile), cert: readFileSync(opts.tlsCertFile) } : null;
    this.server = new SMTPServer({
      name: opts.name,
      banner: 'switchpost',
      ...(tls ? tls : { hideSTARTTLS: true }),
      ...(login ? { authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: opts.allowInsecureAuth } : { disabledCommands: ['AUTH'] }),
      authOptional: true,
      disableReverseLookup: true,
      size: opts.maxBytes,
      logger: false,
      maxClients: 50,
      socketTimeout: 60_000,
      closeTimeout: 1000,
      onAuth: (auth, session, cb) => {
        if (!login || auth.method === 'XOAUTH2' || auth.method === 'CRAM-MD5') return cb(new Error('5.7.8 Authentication method not offered'));
        login(auth.username ?? '', auth.password ?? '', session.remoteAddress).then(
          (user) => (user ? cb(null, { user }) : cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }))),
          (err: unknown) => {
            this.log.warn({ err }, 'an SMTP login could not be checked');
            cb(Object.assign(new Error('4.7.0 Temporary authentication failure'), { responseCode: 454 }));
          },
        );
      },
      onMailFrom: (_address, session, cb) => {
        // A new transaction on the same connection chooses its domain afresh.
        this.chosen.delete(session);
        cb();
      },
      onRcptTo: (address, session, cb) => {
        if (session.envelope.rcptTo.length >= opts.maxRecipients) return cb(smtpError({ code: 452, status: '4.5.3', text: 'Too many recipients' }));
        const domain = this.domains.get(splitAddress(address.address)?.domain ?? '');
        if (!domain) return cb(smtpError({ code: 550, status: '5.7.1', text: 'Relaying denied: no such domain here' }));
        const first = this.chosen.get(session);
        if (first && first !== domain) return cb(smtpError({ code: 452, status: '4.5.3', text: 'Send mail for this domain in a message of its own' }));
        domain.rcpt(address.address, this.facts(session)).then(
          (refused) => {
            if (refused) return cb(smtpError(refused));
            this.chosen.set(session, domain);
            cb();
          },
          (err: unknown) => {
            this.log.warn({ err, domain: domain.name }, 'a recipient could not be checked');
            cb(smtpError({ code: 451, status: '4.3.0', text: 'Could not check the recipient now, try again later' }));
          },
        );
      },
      onData: (stream, session, cb) => {
        void this.take(stream, session).then(
          (answer) => (answer.ok ? cb(null, answer.text) : cb(smtpError(answer.refusal))),
          (err: unknown) => {
            this.log.warn({ err }, 'a message could not be taken');
            cb(smtpError({ code: 451, status: '4.3.0', text: 'The message could not be taken now, try again later' }));
          },
        );
      },
    });
    this.server.on('error', (err) => this.log.warn({ err }, 'SMTP listener error'));
  }

  /** Where it listens (its port, when 0 was asked). */
  get listening(): { host: string; port: number } | null {
    return this.address;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.server.address();
    this.address = { host: this.opts.host, port: typeof a === 'object' && a ? a.port : this.opts.port };
    this.log.info({ ...this.address, domains: [...this.domains.keys()] }, 'SMTP listener up');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private facts(session: SMTPServerSession): MailSession {
    const user = session.user as { id: number; code: string } | undefined;
    return { remoteAddress: session.remoteAddress, helo: session.hostNameAppearsAs ?? '', mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', user: user ?? null };
  }

  /** Reads the message (at most maxBytes: over it, 552 and nothing of it is used) and hands it to its domain. */
  private async take(stream: Readable & { sizeExceeded?: boolean }, session: SMTPServerSession) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= this.opts.maxBytes) chunks.push(chunk);
    }
    if (stream.sizeExceeded || size > this.opts.maxBytes) return { ok: false as const, refusal: { code: 552, status: '5.3.4', text: `Message too big for this system (at most ${Math.floor(this.opts.maxBytes / 1024)} KB)` } };
    const domain = this.chosen.get(session);
    if (!domain) return { ok: false as const, refusal: { code: 503, status: '5.5.1', text: 'No valid recipients' } };
    return domain.data(
      Buffer.concat(chunks),
      session.envelope.rcptTo.map((r) => r.address),
      this.facts(session),
    );
  }
}
