import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestSmtp } from '../peers/smtp.js';

// Forms/sendEmail through the smtp driver to a real SMTP server (smtp-server on loopback, plain SMTP):
// the message as received carries the merged variables and the calendar invite as text/calendar; method=REQUEST.
let d: TestDaemon;
let smtp: TestSmtp;

describe('uContact sendEmail through a real SMTP server', () => {
  beforeAll(async () => {
    smtp = new TestSmtp({ users: {} });
    const port = await smtp.listen();
    d = await testDaemon({
      sandbox: { enabled: false },
      providers: [{ name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port, settings: { security: 'none', max_connections: 1, probe_ms: 200, timeout_ms: 5000 } }],
    });
  }, 30_000);
  afterAll(async () => {
    await d?.close();
    await smtp?.close();
  });

  it('sends the merged subject and body, the named file byte for byte, and the .ics invite as a text/calendar; method=REQUEST part', async () => {
    const u = d.addUser('agent1', 'user', { password: 'uc-password-1', timezone: 'America/Montevideo' });
    d.db.prepare("UPDATE users SET email = 'agent1@acme.example.com', first_name = 'Ana' WHERE id = ?").run(u.id);
    // A file "in the uContact server", named by its location.
    const jpg = randomBytes(5000);
    mkdirSync(join(d.dir, 'media', 'ucontact-files', '020212'), { recursive: true });
    writeFileSync(join(d.dir, 'media', 'ucontact-files', '020212', 'file1.jpg'), jpg);
    const login = await fetch(`${d.url}/IntegraChannels/resources/auth/getUserToken`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=agent1&password=uc-password-1' });
    const token = ((await login.json()) as string[])[2]!;
    const res = await fetch(`${d.url}/IntegraChannels/resources/Forms/sendEmail`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${token}` },
      body: JSON.stringify({
        campaign: 'Email',
        to: 'jane@example.org',
        subject: 'Meeting with %%var1%%',
        body: '<p>Dear %%var1%%, see you at %%var2%%</p>',
        schedule: { title: 'Quarterly review, Q3', organizer: 'Myself', from: '2018-08-24 00:00:00', to: '2018-08-24 01:00:00' },
        variables: { var1: 'Jane & Co', var2: 'noon' },
        attachments: ['020212/file1.jpg'],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const { guid } = (await res.json()) as { guid: string };
    const got = await d.waitFor(() => smtp.messages.find((m) => m.rcptTo.includes('jane@example.org')), 20_000);
    expect(got.mailFrom).toBe('agent1@acme.example.com');
    const mail = await simpleParser(got.raw);
    expect(mail.subject).toBe('Meeting with Jane & Co');
    expect(String(mail.html).trim()).toBe('<p>Dear Jane &amp; Co, see you at noon</p>');
    expect(mail.from?.value).toEqual([{ address: 'agent1@acme.example.com', name: 'Ana' }]);
    // nodemailer's icalEvent: a text/calendar alternative with the method, and the same as invite.ics.
    const raw = got.raw.toString('utf8');
    expect(raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i);
    const ics = mail.attachments.find((a) => a.filename === 'invite.ics');
    expect(ics).toBeDefined();
    const lines = ics!.content.toString('utf8').replace(/\r\n /g, '').split('\r\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'METHOD:REQUEST',
        `UID:${guid}@acme.example.com`,
        'DTSTART:20180824T030000Z',
        'DTEND:20180824T040000Z',
        'SUMMARY:Quarterly review\\, Q3',
        'ORGANIZER;CN=Myself:mailto:agent1@acme.example.com',
        'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:jane@example.org',
      ]),
    );
    const file = mail.attachments.find((a) => a.filename === 'file1.jpg');
    expect(file?.contentType).toBe('image/jpeg');
    expect(file && Buffer.compare(file.content, jpg)).toBe(0);
    await d.waitFor(() => (d.db.prepare("SELECT status FROM jobs WHERE face = 'ucontact'").get() as { status: string }).status === 'complete');
    expect(d.db.prepare("SELECT state FROM recipients WHERE destination = 'jane@example.org'").get()).toEqual({ state: 'sent' });
  }, 60_000);
});
