import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestSmtp } from '../peers/smtp.js';

// 2FA codes by e-mail (seed 000, client_verification with message_type "email"): an `email` job from
// the configured system sender, received by a real SMTP server, the code validated as an SMS code is.
let d: TestDaemon;
let smtp: TestSmtp;
let u: { id: number; auth: string };

const codeIn = (text: string) => /(\d{6})/.exec(text)![1]!;
const received = (rcpt: string) => smtp.messages.filter((m) => m.rcptTo.includes(rcpt));

describe('v1 client verification and report e-mails by e-mail', () => {
  beforeAll(async () => {
    smtp = new TestSmtp({ users: {}, script: (rcpt: string) => (rcpt.startsWith('nobody@') ? { at: 'rcpt', code: 550, text: '5.1.1 User unknown' } : null) });
    const port = await smtp.listen();
    d = await testDaemon({
      sandbox: { enabled: false },
      email: { system_from: 'noreply@switchpost.test', system_from_name: 'Switchpost' },
      providers: [{ name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port, settings: { security: 'none', probe_ms: 200, timeout_ms: 5000 } }],
    });
    u = d.addUser('app', 'user', { email: 'app@example.com' });
  }, 30_000);
  afterAll(async () => {
    await d?.close();
    await smtp?.close();
  });

  it('mails the code from the system sender, validates it once, and keeps only the template once sent', async () => {
    const r = await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'user-9', message_type: 'email', message_destination: 'Jane@Example.COM', company_name: 'TEST COMPANY' } });
    expect(r.json).toEqual({ status: 200, data: 'message sent' });
    await d.waitFor(() => received('Jane@example.com').length === 1);
    const mail = await simpleParser(received('Jane@example.com')[0]!.raw);
    expect(mail.from?.value).toEqual([{ address: 'noreply@switchpost.test', name: 'Switchpost' }]);
    expect(mail.subject).toBe('Your TEST COMPANY verification code');
    expect(mail.text?.trim()).toMatch(/^Your TEST COMPANY verification code is \d{6}$/);
    const code = codeIn(mail.text!);
    const job = d.db.prepare(`SELECT id, channel, options FROM jobs ORDER BY id DESC LIMIT 1`).get() as { id: number; channel: string; options: string };
    expect(job.channel).toBe('email');
    expect(JSON.parse(job.options)).toMatchObject({ two_factor: true, client_ref: 'user-9' });
    const validate = (entered: string) => d.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'user-9', entered_code: entered } });
    expect((await validate(code === '000000' ? '111111' : '000000')).json.data).toBe('invalid');
    expect((await validate(code)).json.data).toBe('valid');
    expect((await validate(code)).json.data).toBe('invalid');
    // Once the job is final, the database keeps the template, never the code.
    await d.waitFor(() => !JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job.id) as { content: string }).content).text.includes(code));
    expect(JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job.id) as { content: string }).content).text).toBe('Your TEST COMPANY verification code is [[code]]');
  });

  it("sends a client's template as written: merge-field syntax in it is not merged", async () => {
    const r = await d.api('GET', '/api/v1/client_verification/sendCode?client_ref=user-10&message_type=email&message_destination=tom@example.org&message_template=Code+for+%25%25name%25%25:+[[code]]', { auth: u.auth });
    expect(r.json.data).toBe('message sent');
    await d.waitFor(() => received('tom@example.org').length === 1);
    const mail = await simpleParser(received('tom@example.org')[0]!.raw);
    expect(mail.subject).toBe('Your verification code');
    expect(mail.text?.trim()).toMatch(/^Code for %%name%%: \d{6}$/);
  });

  it('refuses an address that is not one mailbox with 422, storing nothing', async () => {
    const before = (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const r = await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'x', message_type: 'email', message_destination: '61491570008', company_name: 'X' } });
    expect(r.status).toBe(422);
    expect(r.json.errors).toEqual(['message_destination: not an e-mail address (expected name@domain)']);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(before);
  });

  // The report e-mails ride on the same relay: a job's report, as the relay received it.
  it('sends a Detailed report with its CSV attachment, as received byte for byte', async () => {
    d.db.prepare(`UPDATE users SET profile = json_patch(profile, ?) WHERE id = ?`).run(JSON.stringify({ report_type: 'Detailed' }), u.id);
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: u.auth,
      body: {
        job_type: 'email',
        job_name: 'news',
        from_email: 'news@example.com',
        subject: 'Hello',
        text_message: 'Hi',
        additional_report_emails: 'report@example.net',
        recipients: [
          { destination: 'ann@example.org', reference: 'a' },
          { destination: 'nobody@example.org', reference: 'b' },
        ],
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(() => received('report@example.net').length === 1, 20_000);
    const mail = await simpleParser(received('report@example.net')[0]!.raw);
    expect(mail.from?.value).toEqual([{ address: 'noreply@switchpost.test', name: 'Switchpost' }]);
    expect(mail.subject).toBe(`Report of "news" (job ${job}): Complete`);
    expect(mail.text).toContain('Recipients: 2\nSent:       1\nFailed:     1\n');
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([[`job-${job}-report.csv`, 'text/csv']]);
    const content = JSON.parse((d.db.prepare(`SELECT content FROM jobs WHERE json_extract(options, '$.for_job') = ?`).get(job) as { content: string }).content);
    expect(mail.attachments[0]!.content.equals(readFileSync(content.attachments[0].file))).toBe(true);
    const lines = mail.attachments[0]!.content.toString('utf8').split('\r\n');
    expect(lines.slice(1, 3).map((l) => l.split(',').slice(1, 6))).toEqual([
      ['a', '', 'ann@example.org', 'SENT', 'Unconfirmed'],
      ['b', '', 'nobody@example.org', 'FAILED', 'Undeliverable'],
    ]);
  }, 30_000);
});

describe('v1 client verification by e-mail without a system sender', () => {
  it('answers 501 naming what is missing', async () => {
    const dd = await testDaemon();
    try {
      const a = dd.addUser('app', 'user');
      const r = await dd.api('POST', '/api/v1/client_verification/sendCode', { auth: a.auth, body: { client_ref: 'x', message_type: 'email', message_destination: 'a@example.com', company_name: 'X' } });
      expect(r.status).toBe(501);
      expect(r.json.errors[0]).toMatch(/email\.system_from/);
    } finally {
      await dd.close();
    }
  });
});
