import { authenticate, type DNSResolver } from 'mailauth';
import type { MailSession } from '../../core/mail-front.js';

export type { DNSResolver };

/**
 * A message's DMARC verdict (RFC 7489) by mailauth 4: SPF of the MAIL FROM from the client's address
 * and every DKIM signature, each aligned with the From header's domain. `resolver` answers its DNS
 * questions (the system's by default; a test's stub). A message with no DMARC record, or none mailauth
 * could decide, is not a pass.
 */
export async function dmarcVerdict(message: Uint8Array, session: MailSession, mta: string, resolver?: DNSResolver): Promise<string> {
  const result = await authenticate(Buffer.from(message), {
    ip: session.remoteAddress,
    helo: session.helo,
    sender: session.mailFrom,
    mta,
    disableArc: true,
    disableBimi: true,
    ...(resolver ? { resolver } : {}),
  });
  return result.dmarc ? result.dmarc.status.result : 'none';
}
