import { describe, expect, it } from 'vitest';
import { classifySmtpError, queueIdOf } from '../../dist/gateways/smtp/reply.js';

describe('SMTP replies', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4Bq3xY1z2Kz9', '4Bq3xY1z2Kz9'], // Postfix
    ['250 OK id=1tQ5aB-000Abc-3x', '1tQ5aB-000Abc-3x'], // Exim
    ['250 2.0.0 4B3LqKx9012345 Message accepted for delivery', '4B3LqKx9012345'], // Sendmail
    ['250 2.6.0 <a1b2c3@mail.example.com> [InternalId=123] Queued mail for delivery', 'a1b2c3@mail.example.com'], // Exchange
    ['250 OK: message queued', null], // smtp-server's default names none
  ])('reads the queue id of %j', (reply, id) => {
    expect(queueIdOf(reply)).toBe(id);
  });

  it("tells the link, a 4xx and a 5xx apart, with the relay's words", () => {
    expect(classifySmtpError({ message: 'connect ECONNREFUSED 127.0.0.1:2525', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' })).toEqual({ kind: 'link', reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:2525' });
    expect(classifySmtpError({ message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN' })).toMatchObject({ kind: 'link' });
    expect(classifySmtpError({ message: 'Invalid login: 535 5.7.8 Error: authentication failed', code: 'EAUTH', response: '535 5.7.8 Error: authentication failed', responseCode: 535, command: 'AUTH PLAIN' })).toEqual({
      kind: 'link',
      reason: 'the relay refused our login: 535 5.7.8 Error: authentication failed',
    });
    expect(classifySmtpError({ message: "Can't send mail", code: 'EENVELOPE', response: '451 4.7.1 Greylisted', responseCode: 451, command: 'RCPT TO' })).toEqual({ kind: 'temporary', code: undefined, reason: '451 4.7.1 Greylisted' });
    expect(classifySmtpError({ message: "Can't send mail", code: 'EENVELOPE', response: '550 5.1.1 User unknown', responseCode: 550, command: 'RCPT TO' })).toEqual({ kind: 'permanent', reason: '550 5.1.1 User unknown', recipient: true });
    expect(classifySmtpError({ message: 'Message failed', code: 'EMESSAGE', response: '554-5.7.1 Rejected\r\n554 5.7.1 as spam', responseCode: 554, command: 'DATA' })).toEqual({
      kind: 'permanent',
      reason: '554-5.7.1 Rejected 554 5.7.1 as spam',
      recipient: false,
    });
    expect(classifySmtpError({ message: 'Stream error', code: 'ESTREAM' })).toEqual({ kind: 'temporary', code: 'ESTREAM', reason: 'Stream error' });
  });
});
