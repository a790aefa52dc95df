import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import type { GatewaySink } from '../gateway.js';
import { parseReturnPath, type ReturnPathIds } from '../../core/verp.js';
import { readBounce, type DsnRecipient } from './dsn.js';
import type { BounceAddress } from './smtp-gateway.js';

export interface BounceListenerOptions {
  host: string;
  port: number;
  /** PEM files for STARTTLS; without them STARTTLS is not offered. */
  tlsKeyFile: string | null;
  tlsCertFile: string | null;
  /** Largest message taken, in bytes (a DSN with the returned headers is a few KB). */
  maxBytes: number;
  /** Recipients (return paths) taken in one message. */
  maxRecipients: number;
  /** How long a message waits for its bounces to be stored before it is answered 451 (the sender tries again). */
  commitTimeoutMs: number;
}

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/**
 * The daemon's own SMTP listener for bounces: mail is taken only for the return paths the smtp driver
 * made (`core/verp.ts`: on the bounce domain, with the right tag; anything else is refused at RCPT TO
 * with 550). A message is read as a delivery status notification (`dsn.ts`, mailparser): each recipient
 * block with `Action: failed` fails the attempt its return path names, with the Diagnostic-Code as the
 * reason, even after it was sent; `delayed` (and the other actions) change nothing. A message that is
 * no DSN is taken and ignored (refusing it would only make the relay bounce the bounce). The message is
 * answered 250 once what it reported is stored. No AUTH, no relaying, nothing read from it but its
 * report part, nothing of it used as a path or a command.
 */
export class BounceListener {
  private readonly server: SMTPServer;
  private address: { host: string; port: number } | null = null;

  constructor(
    private readonly opts: BounceListenerOptions,
    private readonly bounce: BounceAddress,
    private readonly sink: Pick<GatewaySink, 'report'>,
    private readonly log: Logger,
  ) {
    const tls = opts.tlsKeyFile && opts.tlsCertFile ? { key: readFileSync(opts.tlsKeyFile), cert: readFileSync(opts.tlsCertFile) } : null;
    this.server = new SMTPServer({
      name: bounce.domain,
      banner: 'switchpost bounces',
      ...(tls ? tls : { hideSTARTTLS: true }),
      disabledCommands: ['AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      size: opts.maxBytes,
      rejectOversized: true,
      logger: false,
      maxClients: 50,
      socketTimeout: 60_000,
      closeTimeout: 1000,
      onRcptTo: (address, session, cb) => {
        if (session.envelope.rcptTo.length >= opts.maxRecipients) return cb(smtpError(452, '4.5.3 Too many recipients'));
        if (!this.idsOf(address.address)) return cb(smtpError(550, '5.1.1 No such address here'));
        cb();
      },
      onData: (stream, session, cb) => {
        void this.take(stream, session).then(
          (answer) => cb(answer ?? null, answer ? undefined : 'Ok: bounce recorded'),
          (err: unknown) => {
            this.log.warn({ err }, 'a message to a return path could not be read');
            cb(smtpError(554, '5.6.0 The message could not be read'));
          },
        );
      },
    });
    this.server.on('error', (err) => this.log.warn({ err }, 'bounce listener error'));
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
    this.log.info(this.address, 'bounce listener up');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private idsOf(address: string): ReturnPathIds | null {
    return parseReturnPath(address, this.bounce.domain, this.bounce.key, this.bounce.prefix);
  }

  /** Reads one message; resolves with the error to answer, or null for 250. */
  private async take(stream: Readable & { sizeExceeded?: boolean }, session: SMTPServerSession): Promise<Error | null> {
    const result = await readBounce(stream);
    // Over the size limit smtp-server answers 552 itself (rejectOversized); nothing of it is used.
    if (stream.sizeExceeded) return null;
    const targets = session.envelope.rcptTo.flatMap((r) => this.idsOf(r.address) ?? []);
    if (result.kind === 'not-dsn') {
      this.log.info({ why: result.why }, 'a message to a return path that is no DSN: ignored');
      return null;
    }
    const failed = result.recipients.find((r) => r.action === 'failed');
    if (!failed) {
      this.log.info({ actions: result.recipients.map((r) => r.action) }, 'a DSN that fails no one (delayed, delivered): nothing changes');
      return null;
    }
    const stored = await Promise.all(targets.map((ids) => this.report(ids, failed)));
    return stored.every(Boolean) ? null : smtpError(451, '4.3.0 Could not record the bounce now, try again later');
  }

  private report(ids: ReturnPathIds, r: DsnRecipient): Promise<boolean> {
    const reason = r.diagnostic ?? `bounced${r.status ? ` (${r.status})` : ''}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.opts.commitTimeoutMs);
      this.sink.report({ attemptId: ids.attemptId, at: Date.now(), outcome: { kind: 'bounced', reason, code: r.status ?? undefined } }, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
