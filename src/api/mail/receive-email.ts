import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import type { Remote } from '../../store/remote.js';
import type { MailSenderStore } from '../../store/mail-senders.js';
import type { MailAnswer, MailDomain, MailSession } from '../../core/mail-front.js';
import type { MailRefusal } from '../../core/email-to-fax.js';
import type { InboundMessage } from '../../core/inbound.js';
import { checkEmailAddress } from '../../core/email-address.js';

export interface ReceiveEmailDeps {
  senders: Remote<MailSenderStore>;
  /** The spool's inbound path (spool/inbound-router.ts); `committed` runs once the message is stored. */
  inbound(m: InboundMessage, committed: () => void): void;
  /** How long a message waits to be stored before it is answered 451 (the sender tries again). */
  commitTimeoutMs: number;
  /** Largest text kept of a message. */
  maxTextChars: number;
  log: Logger;
}

/**
 * The receive domains on the SMTP front (ICTCore's receiveemail): mail to an active account's address
 * is taken (any other address of the domain: 550 at RCPT TO) and handed to the inbound router as an
 * e-mail received, which stores it as the account's inbound transmission and runs its receive program;
 * answered 250 once stored. One message to several accounts is one inbound message each.
 */
export class ReceiveEmail implements MailDomain {
  readonly name = 'receive-email';

  constructor(private readonly deps: ReceiveEmailDeps) {}

  async rcpt(address: string): Promise<MailRefusal | null> {
    const c = checkEmailAddress(address);
    if (!c.ok || !(await this.deps.senders.hasAccountAddress(c.address))) return { code: 550, status: '5.1.1', text: 'No such mailbox here' };
    return null;
  }

  async data(message: Uint8Array, recipients: string[], session: MailSession): Promise<MailAnswer> {
    const mail = await simpleParser(Buffer.from(message), { skipTextToHtml: true, skipImageLinks: true });
    const from = mail.from?.value[0]?.address ?? session.mailFrom;
    const text = (mail.text ?? '').slice(0, this.deps.maxTextChars);
    const subject = (mail.subject ?? '').replace(/[\r\n]+/g, ' ').slice(0, 998);
    const stored = await Promise.all(
      recipients.map(
        (to) =>
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), this.deps.commitTimeoutMs);
            this.deps.inbound({ providerId: null, channel: 'email', from, to, text, at: Date.now(), data: { subject, via: 'smtp' } }, () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
      ),
    );
    if (!stored.every(Boolean)) {
      this.deps.log.warn({ recipients: recipients.length }, 'a received e-mail could not be stored in time');
      return { ok: false, refusal: { code: 451, status: '4.3.0', text: 'Could not store the message now, try again later' } };
    }
    return { ok: true, text: 'Ok: received' };
  }
}
