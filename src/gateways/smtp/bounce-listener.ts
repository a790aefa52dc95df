import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { GatewaySink } from '../gateway.js';
import type { MailAnswer, MailDomain } from '../../core/mail-front.js';
import type { MailRefusal } from '../../core/email-to-fax.js';
import { parseReturnPath, type ReturnPathIds } from '../../core/verp.js';
import { readBounce, type DsnRecipient } from './dsn.js';
import type { BounceAddress } from './smtp-gateway.js';

export interface BounceDomainOptions {
  /** How long a message waits for its bounces to be stored before it is answered 451 (the sender tries again). */
  commitTimeoutMs: number;
}

const OK: MailAnswer = { ok: true, text: 'Ok: bounce recorded' };

/**
 * The bounce domain on the daemon's SMTP front (`smtp-front.ts`): mail is taken only for the return
 * paths the smtp driver made (`core/verp.ts`: on the bounce domain, with the right tag; anything else is
 * refused at RCPT TO with 550). A message is read as a delivery status notification (`dsn.ts`,
 * mailparser): each recipient block with `Action: failed` fails the attempt its return path names, with
 * the Diagnostic-Code as the reason, even after it was sent; `delayed` (and the other actions) change
 * nothing. A message that is no DSN is taken and ignored (refusing it would only make the relay bounce
 * the bounce). The message is answered 250 once what it reported is stored. Nothing is read from it but
 * its report part, nothing of it used as a path or a command.
 */
export class BounceDomain implements MailDomain {
  readonly name = 'bounces';

  constructor(
    private readonly opts: BounceDomainOptions,
    private readonly bounce: BounceAddress,
    private readonly sink: Pick<GatewaySink, 'report'>,
    private readonly log: Logger,
  ) {}

  get domain(): string {
    return this.bounce.domain.toLowerCase();
  }

  rcpt(address: string): Promise<MailRefusal | null> {
    return Promise.resolve(this.idsOf(address) ? null : { code: 550, status: '5.1.1', text: 'No such address here' });
  }

  async data(message: Uint8Array, recipients: string[]): Promise<MailAnswer> {
    let result: Awaited<ReturnType<typeof readBounce>>;
    try {
      result = await readBounce(Readable.from([Buffer.from(message)]));
    } catch (err) {
      this.log.warn({ err }, 'a message to a return path could not be read');
      return { ok: false, refusal: { code: 554, status: '5.6.0', text: 'The message could not be read' } };
    }
    const targets = recipients.flatMap((r) => this.idsOf(r) ?? []);
    if (result.kind === 'not-dsn') {
      this.log.info({ why: result.why }, 'a message to a return path that is no DSN: ignored');
      return OK;
    }
    const failed = result.recipients.find((r) => r.action === 'failed');
    if (!failed) {
      this.log.info({ actions: result.recipients.map((r) => r.action) }, 'a DSN that fails no one (delayed, delivered): nothing changes');
      return OK;
    }
    const stored = await Promise.all(targets.map((ids) => this.report(ids, failed)));
    return stored.every(Boolean) ? OK : { ok: false, refusal: { code: 451, status: '4.3.0', text: 'Could not record the bounce now, try again later' } };
  }

  private idsOf(address: string): ReturnPathIds | null {
    return parseReturnPath(address, this.bounce.domain, this.bounce.key, this.bounce.prefix);
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
