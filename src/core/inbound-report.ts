import { DateTime } from 'luxon';
import type { InboundFax, InboundMessage } from './inbound.js';

/**
 * What the owner is told of a message received (issue 17): the inbound transmission's outcome, the
 * e-mail's subject and body, the callback's fields. Pure: the spool's inbound router sends them.
 */

/** A received fax in three words: every page came, some did, none did. */
export type FaxReceipt = 'received' | 'partial' | 'failed';

export function faxReceipt(f: InboundFax): FaxReceipt {
  if (f.pages <= 0 || f.pdf === null) return 'failed';
  const short = f.total_pages !== undefined && f.total_pages > f.pages;
  return f.success && !short ? 'received' : 'partial';
}

/** The inbound transmission's state: a fax that is not whole failed, with why and the pages that came. */
export function receivedOutcome(m: InboundMessage): { state: 'delivered' | 'failed'; reason: string | null } {
  const fax = m.data?.fax;
  if (m.channel !== 'fax' || !fax) return { state: 'delivered', reason: null };
  const r = faxReceipt(fax);
  if (r === 'received') return { state: 'delivered', reason: null };
  return { state: 'failed', reason: `${r === 'partial' ? 'partial' : 'failed'}: ${pagesText(fax)} received (${fax.result_code} ${fax.result_text})` };
}

const pagesText = (f: InboundFax): string => `${f.pages}${f.total_pages !== undefined ? ` of ${f.total_pages}` : ''} page${(f.total_pages ?? f.pages) === 1 ? '' : 's'}`;

/** A time as the owner reads it, in its zone. */
export function localTime(ms: number, zone: string): string {
  const t = DateTime.fromMillis(ms, { zone });
  return `${(t.isValid ? t : DateTime.fromMillis(ms, { zone: 'UTC' })).toFormat('yyyy-MM-dd HH:mm:ss')} (${t.isValid ? zone : 'UTC'})`;
}

const WHAT = { sms: 'SMS', mms: 'MMS', fax: 'fax', email: 'e-mail' } as const;

/** The e-mail that tells the owner of a message received: subject and plain-text body. */
export function inboundMail(m: InboundMessage, zone: string): { subject: string; text: string } {
  const when = localTime(m.at, zone);
  const fax = m.data?.fax;
  if (m.channel === 'fax' && fax) {
    const r = faxReceipt(fax);
    const head = r === 'received' ? 'Fax' : r === 'partial' ? 'Partial fax' : 'Failed fax';
    const lines = [
      r === 'received' ? `A fax of ${pagesText(fax)} was received.` : r === 'partial' ? `A fax was received only in part: ${pagesText(fax)} arrived.` : 'A fax call came in but no page arrived.',
      '',
      `From:      ${m.from}${fax.remote_station_id ? ` (station id ${fax.remote_station_id})` : ''}`,
      `To:        ${m.to ?? '-'}`,
      `Received:  ${when}`,
      `Pages:     ${pagesText(fax)}`,
      `Result:    ${fax.result_code} ${fax.result_text}`,
      ...(fax.pdf ? ['', 'The pages received are attached as a PDF.'] : []),
    ];
    return { subject: `${head} from ${m.from}: ${fax.pages} page${fax.pages === 1 ? '' : 's'}, ${when}`, text: lines.join('\n') };
  }
  const lines = [`An ${m.channel === 'email' ? 'e-mail' : WHAT[m.channel]} was received.`, '', `From:      ${m.from}`, `To:        ${m.to ?? '-'}`, `Received:  ${when}`, '', m.text];
  return { subject: `${WHAT[m.channel]} from ${m.from} to ${m.to ?? 'your number'}`, text: lines.join('\n') };
}

/** The callback's form fields for a message received (its transmission's id, and a fax's result). */
export function inboundFields(m: InboundMessage, transmissionId: number, document: string | null): Record<string, string> {
  const f: Record<string, string> = {
    type: 'inbound',
    channel: m.channel,
    transmission_id: String(transmissionId),
    from: m.from,
    to: m.to ?? '',
    message: m.text,
    received_at: new Date(m.at).toISOString(),
  };
  const fax = m.data?.fax;
  if (m.channel === 'fax' && fax) {
    Object.assign(f, { fax_status: faxReceipt(fax), pages: String(fax.pages), result_code: String(fax.result_code), result_text: fax.result_text, document: document ?? '' });
    if (fax.total_pages !== undefined) f.total_pages = String(fax.total_pages);
    if (fax.remote_station_id) f.remote_station_id = fax.remote_station_id;
  }
  return f;
}
