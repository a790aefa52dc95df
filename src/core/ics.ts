/**
 * A meeting request as iCalendar (RFC 5545) with iTIP's METHOD:REQUEST (RFC 5546): one VEVENT, times
 * in UTC, the organizer and the attendees as mailto: addresses. Pure text: the e-mail carries it as a
 * `text/calendar; method=REQUEST` part.
 */
export interface CalendarInvite {
  /** Globally unique (RFC 5545 §3.8.4.7 suggests an id @ a domain). */
  uid: string;
  /** When the invite was made (DTSTAMP), and the event's start and end: epoch ms. */
  stamp: number;
  start: number;
  end: number;
  summary: string;
  organizer: { name: string | null; address: string };
  attendees: string[];
}

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A TEXT value (§3.3.11): backslash, semicolon and comma escaped, a line break written as \n. */
export function icsText(value: string): string {
  return value
    .replace(CONTROLS, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * A parameter value (§3.2): quoted when it holds ":", ";" or ",". A quoted value cannot hold a DQUOTE
 * and no value can hold a control, so those are dropped (a display name loses nothing that matters).
 */
export function icsParam(value: string): string {
  const v = value
    .replace(/[\r\n\t]+/g, ' ')
    .replace(CONTROLS, '')
    .replace(/"/g, '');
  return /[:;,]/.test(v) ? `"${v}"` : v;
}

/** A DATE-TIME in UTC (§3.3.5 form #2): 19980119T070000Z. */
export function icsUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * One content line folded (§3.1): at most 75 octets a line, each continuation starting with a space,
 * never splitting a UTF-8 character; lines end in CRLF.
 */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    // The first line has 75 octets; a continuation 74 after its leading space.
    const room = out.length === 0 ? 75 : 74;
    if (octets + n > room) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join('\r\n ') + '\r\n';
}

const mailto = (address: string) => `mailto:${address}`;

/** The whole VCALENDAR: METHOD:REQUEST, one VEVENT, every line folded and CRLF-terminated. */
export function inviteIcs(i: CalendarInvite): string {
  const organizer = `ORGANIZER${i.organizer.name ? `;CN=${icsParam(i.organizer.name)}` : ''}:${mailto(i.organizer.address)}`;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//switchpost//uContact e-mail//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${icsText(i.uid)}`,
    `DTSTAMP:${icsUtc(i.stamp)}`,
    `DTSTART:${icsUtc(i.start)}`,
    `DTEND:${icsUtc(i.end)}`,
    `SUMMARY:${icsText(i.summary)}`,
    organizer,
    ...i.attendees.map((a) => `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${mailto(a)}`),
    'SEQUENCE:0',
    'STATUS:CONFIRMED',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join('');
}
