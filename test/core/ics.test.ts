import { describe, expect, it } from 'vitest';
import { foldLine, icsParam, icsText, icsUtc, inviteIcs } from '../../dist/core/ics.js';

describe('iCalendar invite (RFC 5545)', () => {
  it('escapes TEXT values: backslash, semicolon, comma, line breaks (§3.3.11)', () => {
    expect(icsText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
    expect(icsText('plain: colon stays')).toBe('plain: colon stays');
  });

  it('quotes a parameter value holding : ; or , and drops what no value may hold', () => {
    expect(icsParam('Myself')).toBe('Myself');
    expect(icsParam('Doe, Jane')).toBe('"Doe, Jane"');
    expect(icsParam('Say "hi"\r\nnow')).toBe('Say hi now');
  });

  it('writes UTC date-times', () => {
    expect(icsUtc(Date.UTC(2018, 7, 24, 3, 4, 5, 678))).toBe('20180824T030405Z');
  });

  it('folds lines at 75 octets without splitting a UTF-8 character (§3.1)', () => {
    const long = 'SUMMARY:' + 'x'.repeat(200);
    const folded = foldLine(long);
    const lines = folded.split('\r\n');
    expect(lines.pop()).toBe('');
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    expect(lines.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    // Unfolding (remove CRLF + one space) gives the line back.
    expect(folded.replace(/\r\n /g, '').replace(/\r\n$/, '')).toBe(long);
    const wide = 'SUMMARY:' + 'ñ€😀'.repeat(30);
    const wideFolded = foldLine(wide);
    for (const l of wideFolded.split('\r\n')) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    expect(wideFolded.replace(/\r\n /g, '').replace(/\r\n$/, '')).toBe(wide);
    expect(foldLine('SHORT:1')).toBe('SHORT:1\r\n');
  });

  it('builds a METHOD:REQUEST VCALENDAR with one VEVENT, UTC times, organizer and attendees', () => {
    const ics = inviteIcs({
      uid: 'abc@example.com',
      stamp: Date.UTC(2018, 7, 20, 12, 0, 0),
      start: Date.UTC(2018, 7, 24, 3, 0, 0),
      end: Date.UTC(2018, 7, 24, 4, 0, 0),
      summary: 'Review; budget, Q3',
      organizer: { name: 'Doe, Jane', address: 'jane@example.com' },
      attendees: ['tom@example.org', 'ann@example.net'],
    });
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '').includes('\n')).toBe(false);
    const lines = ics.replace(/\r\n /g, '').split('\r\n');
    expect(lines).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//switchpost//uContact e-mail//EN',
      'CALSCALE:GREGORIAN',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      'UID:abc@example.com',
      'DTSTAMP:20180820T120000Z',
      'DTSTART:20180824T030000Z',
      'DTEND:20180824T040000Z',
      'SUMMARY:Review\\; budget\\, Q3',
      'ORGANIZER;CN="Doe, Jane":mailto:jane@example.com',
      'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:tom@example.org',
      'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.net',
      'SEQUENCE:0',
      'STATUS:CONFIRMED',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ]);
    // The attendee lines are longer than 75 octets: they were folded.
    for (const l of ics.split('\r\n')) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
  });
});
