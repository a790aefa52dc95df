import { describe, expect, it } from 'vitest';
import { parseFaxAddress } from '../../dist/core/fax-address.js';
import { cutBody, etobSettingsOf, faxParts, senderAtData, senderAtRcpt } from '../../dist/core/email-to-fax.js';
import { ipInList, ipListProblem } from '../../dist/net/ip-list.js';

const FAX = ['fax.switchpost.test'];

describe('fax addresses (core/fax-address.ts)', () => {
  it('reads <number>@ and RFC 3192 FAX=+<number>@ on a fax domain, the domain in any case', () => {
    expect(parseFaxAddress('61299990000@fax.switchpost.test', FAX)).toEqual({ kind: 'fax', number: '61299990000', domain: 'fax.switchpost.test', subAddress: null });
    expect(parseFaxAddress('+61-2-9999.0000@FAX.Switchpost.TEST', FAX)).toMatchObject({ kind: 'fax', number: '+61299990000' });
    expect(parseFaxAddress('0299990000@fax.switchpost.test', FAX)).toMatchObject({ kind: 'fax', number: '0299990000' });
    expect(parseFaxAddress('FAX=+61299990000@fax.switchpost.test', FAX)).toMatchObject({ kind: 'fax', number: '+61299990000' });
    expect(parseFaxAddress('fax=+1-202-765-3000/T33S=1387@fax.switchpost.test', FAX)).toEqual({ kind: 'fax', number: '+12027653000', domain: 'fax.switchpost.test', subAddress: '1387' });
  });

  it('refuses what is no fax number: letters, shell and dial-string characters, unknown qualifiers, too few or many digits', () => {
    for (const a of [
      'jane@fax.switchpost.test',
      '612;rm -rf@fax.switchpost.test',
      '6129999${x}@fax.switchpost.test',
      '61299990000|bridge@fax.switchpost.test',
      'FAX=61299990000@fax.switchpost.test',
      'FAX=+6129999/POSTAL=x@fax.switchpost.test',
      '12@fax.switchpost.test',
      `${'1'.repeat(21)}@fax.switchpost.test`,
      '+@fax.switchpost.test',
    ])
      expect(parseFaxAddress(a, FAX).kind, a).toBe('invalid');
    expect(parseFaxAddress('61299990000@example.com', FAX)).toEqual({ kind: 'other', domain: 'example.com' });
    expect(parseFaxAddress('no-at-sign', FAX).kind).toBe('invalid');
  });
});

describe('etob settings and the sender checks (core/email-to-fax.ts)', () => {
  const settings = (p: Record<string, unknown>) => etobSettingsOf(p);
  const facts = (authenticated: boolean, senderMatches: boolean, ipAllowed: boolean) => ({ authenticated, senderMatches, ipAllowed });

  it('reads the settings; unset authentication is SMTP AUTH, subject ignored', () => {
    const s = settings({ etob_email_address: 'Fax@Example.COM', etob_ip_whitelist: '192.0.2.0/24, 198.51.100.7', etob_ip_whitelist_alert_address: 'a@example.com,b@example.com', etob_disabled: '1' });
    expect(s).toMatchObject({ authType: 'smtp_auth', emailAddress: 'Fax@example.com', ipWhitelist: ['192.0.2.0/24', '198.51.100.7'], alertAddresses: ['a@example.com', 'b@example.com'], disabled: true, subject: 'ignore' });
    expect(settings({ etob_authentication_type: 'SMTP Auth' }).authType).toBe('smtp_auth');
    expect(settings({ etob_authentication_type: 'bogus' }).authType).toBe('smtp_auth');
  });

  it('smtp_auth takes a logged-in user only; sender takes its address from an allowed IP only; either takes both', () => {
    const auth = settings({ etob_email_address: 'fax@example.com', etob_ip_whitelist: '127.0.0.1' });
    expect(senderAtRcpt(auth, facts(true, false, false))).toEqual({ via: 'smtp_auth' });
    expect(senderAtRcpt(auth, facts(false, true, true))).toMatchObject({ code: 530, status: '5.7.0' });
    const sender = { ...auth, authType: 'sender' as const };
    expect(senderAtRcpt(sender, facts(false, true, true))).toEqual({ via: 'sender' });
    expect(senderAtRcpt(sender, facts(true, false, false))).toMatchObject({ code: 550, text: expect.stringMatching(/may not send/) });
    expect(senderAtRcpt(sender, facts(false, true, false))).toMatchObject({ code: 550, text: expect.stringMatching(/not in the list/) });
    const either = { ...auth, authType: 'either' as const };
    expect(senderAtRcpt(either, facts(true, false, false))).toEqual({ via: 'smtp_auth' });
    expect(senderAtRcpt(either, facts(false, true, true))).toEqual({ via: 'sender' });
    expect(senderAtRcpt({ ...either, disabled: true }, facts(true, true, true))).toMatchObject({ code: 550, text: expect.stringMatching(/turned off/) });
  });

  it('a sender let in by address needs a From of that address and DMARC pass', () => {
    const s = { ...settings({ etob_email_address: 'fax@example.com' }), authType: 'sender' as const };
    expect(senderAtData({ via: 'sender' }, s, { from: 'fax@EXAMPLE.com', dmarc: 'pass' })).toBeNull();
    expect(senderAtData({ via: 'sender' }, s, { from: 'boss@example.com', dmarc: 'pass' })).toMatchObject({ code: 550, text: expect.stringMatching(/From/) });
    expect(senderAtData({ via: 'sender' }, s, { from: 'fax@example.com', dmarc: 'fail' })).toMatchObject({ code: 550, text: expect.stringMatching(/DMARC fail/) });
    expect(senderAtData({ via: 'smtp_auth' }, s, { from: 'anyone@example.org', dmarc: 'none' })).toBeNull();
  });

  it('cuts the body between the start and end strings, keeps the start when asked, strips non-ASCII when asked', () => {
    const body = 'Hi\r\n--FAX--\r\nDear Sir, café ☕\r\n--END--\r\nsignature';
    expect(cutBody(body, { startString: '--FAX--', startInclude: false, endString: '--END--', stripNonAscii: false })).toBe('Dear Sir, café ☕');
    expect(cutBody(body, { startString: '--FAX--', startInclude: true, endString: '--END--', stripNonAscii: true })).toBe('--FAX--\nDear Sir, caf');
    expect(cutBody(body, { startString: 'absent', startInclude: false, endString: null, stripNonAscii: false })).toBe(body.replace(/\r\n/g, '\n'));
  });

  it('makes a cover page of the body only when asked; the subject is ignored, the header, or the cover heading', () => {
    const mail = { subject: 'Invoice 42', text: 'Please find attached.' };
    expect(faxParts(settings({}), mail, 'ACME')).toEqual({ cover: null, header: 'ACME' });
    expect(faxParts(settings({ etob_use_email_body_as_fax_cover: true }), mail, null)).toEqual({ cover: 'Please find attached.', header: null });
    expect(faxParts(settings({ etob_subject_behaviour: 'header' }), mail, 'ACME')).toEqual({ cover: null, header: 'Invoice 42' });
    expect(faxParts(settings({ etob_subject_behaviour: 'cover', etob_use_email_body_as_fax_cover: 1 }), mail, null)).toEqual({ cover: 'Invoice 42\n\nPlease find attached.', header: null });
  });
});

describe('IP lists (net/ip-list.ts)', () => {
  it('matches addresses and CIDR blocks, an IPv4-mapped client as its IPv4', () => {
    expect(ipInList('192.0.2.77', ['192.0.2.0/24'])).toBe(true);
    expect(ipInList('::ffff:127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(ipInList('198.51.100.8', ['198.51.100.7', '2001:db8::/32'])).toBe(false);
    expect(ipInList('2001:db8::1', ['2001:db8::/32'])).toBe(true);
    expect(ipInList('192.0.2.1', ['not-an-ip'])).toBe(false);
    expect(ipListProblem(['192.0.2.0/24', '::1'])).toBeNull();
    expect(ipListProblem(['192.0.2.0/33'])).toMatch(/not an IP address or CIDR/);
  });
});
