import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

// The v1 API's reply and report e-mails (seed 000): `email` jobs of the job's user from
// email.system_from, made by the spool in the transaction of the reply or of the job's end, and sent
// by the sandbox as any e-mail job is (src/gateways/sandbox/README.md: +61491570006 replies "Yes, thanks",
// +61491570007 replies "STOP"; any e-mail address but the test ones is delivered).
let d: TestDaemon;
let u: { id: number; auth: string };

type Mail = { id: number; status: string; options: Record<string, unknown>; content: { subject: string; text: string; from: unknown; attachments: { file: string; name: string; size: number }[] }; to: string[] };
const mails = (forJob: number, kind: string): Mail[] =>
  (
    d.db.prepare(`SELECT id, status, options, content FROM jobs WHERE json_extract(options, '$.for_job') = ? AND json_extract(options, '$.system') = ? ORDER BY id`).all(forJob, kind) as {
      id: number;
      status: string;
      options: string;
      content: string;
    }[]
  ).map((r) => ({
    id: r.id,
    status: r.status,
    options: JSON.parse(r.options),
    content: JSON.parse(r.content),
    to: (d.db.prepare('SELECT destination FROM recipients WHERE job_id = ? ORDER BY seq').all(r.id) as { destination: string }[]).map((x) => x.destination),
  }));
const replies = (job: number) => (d.db.prepare('SELECT COUNT(*) AS n FROM inbound WHERE job_id = ?').get(job) as { n: number }).n;
const status = (job: number) => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status;
const setProfile = (fields: Record<string, unknown>) => d.db.prepare(`UPDATE users SET profile = json_patch(profile, ?) WHERE id = ?`).run(JSON.stringify(fields), u.id);
const post = async (body: Record<string, unknown>) => {
  const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body });
  expect(r.status, r.text).toBe(200);
  return r.json.data as number;
};
const twoWay = (extra: Record<string, unknown>) => ({
  job_type: '2 way sms',
  job_name: 'My 2 Way SMS test',
  message: 'Please reply!',
  optout_code: 'STOP',
  recipients: [
    { destination: '+61491570006', recipient: 'Jane Smith', reference: 'Main tester' },
    { destination: '+61491570156', recipient: 'Tom' },
  ],
  ...extra,
});

describe('v1 API: reply and report e-mails', () => {
  beforeAll(async () => {
    d = await testDaemon({ email: { system_from: 'noreply@switchpost.test', system_from_name: 'Switchpost' } });
    u = d.addUser('alice', 'user');
  }, 30_000);
  afterAll(async () => {
    await d?.close();
  });

  it('mails each reply to response_email_address, from the system sender, as an email job that is sent', async () => {
    const job = await post(twoWay({ response_email_address: 'smsresponses@mydomain.com' }));
    const [m] = await d.waitFor(() => mails(job, 'reply').length === 1 && mails(job, 'reply'));
    expect(m!.to).toEqual(['smsresponses@mydomain.com']);
    expect(m!.content.from).toEqual({ address: 'noreply@switchpost.test', name: 'Switchpost' });
    expect(m!.content.subject).toBe(`Reply from +61491570006 to "My 2 Way SMS test" (job ${job})`);
    expect(m!.content.text).toContain(`A reply to your 2 Way SMS job "My 2 Way SMS test" (job ${job}):`);
    expect(m!.content.text).toMatch(/From: +\+61491570006\n/);
    expect(m!.content.text).toMatch(/Received: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Australia\/Sydney\)\n/);
    expect(m!.content.text).toContain('Recipient: Jane Smith (reference Main tester)');
    expect(m!.content.text.endsWith('\n\nYes, thanks')).toBe(true);
    await d.waitFor(() => status(m!.id) === 'complete');
    expect(d.db.prepare('SELECT state FROM recipients WHERE job_id = ?').get(m!.id)).toEqual({ state: 'sent' });
  });

  it("uses the user's default_sms_reply_email_address when the job names none; none at all: no e-mail", async () => {
    const none = await post(twoWay({}));
    await d.waitFor(() => replies(none) === 1);
    setProfile({ default_sms_reply_email_address: 'desk@example.org' });
    const job = await post(twoWay({}));
    const [m] = await d.waitFor(() => mails(job, 'reply').length === 1 && mails(job, 'reply'));
    expect(m!.to).toEqual(['desk@example.org']);
    expect(mails(none, 'reply')).toEqual([]);
    setProfile({ default_sms_reply_email_address: null });
  });

  it('with batch_replies, sends one e-mail listing every reply once its expires runs out (a durable timer)', async () => {
    const job = await post(
      twoWay({
        response_email_address: 'batch@example.com',
        batch_replies: true,
        expires: 48,
        recipients: [
          { destination: '+61491570006', recipient: 'Jane' },
          { destination: '+61491570007', recipient: 'Opt' },
        ],
      }),
    );
    await d.waitFor(() => replies(job) === 2);
    const timer = d.db.prepare('SELECT kind, due_at FROM mail_timers WHERE job_id = ?').all(job) as { kind: string; due_at: number }[];
    const replyUntil = (d.db.prepare('SELECT reply_until FROM jobs WHERE id = ?').get(job) as { reply_until: number }).reply_until;
    expect(timer).toEqual([{ kind: 'replies', due_at: replyUntil }]);
    expect(replyUntil - Date.now()).toBeGreaterThan(47 * 3_600_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(mails(job, 'replies')).toEqual([]);
    // Its reply window ends now.
    d.db.prepare('UPDATE mail_timers SET due_at = ? WHERE job_id = ?').run(Date.now(), job);
    d.db.prepare('UPDATE jobs SET reply_until = ? WHERE id = ?').run(Date.now(), job);
    const [m] = await d.waitFor(() => mails(job, 'replies').length === 1 && mails(job, 'replies'));
    expect(m!.to).toEqual(['batch@example.com']);
    expect(m!.content.subject).toBe(`2 replies to "My 2 Way SMS test" (job ${job})`);
    expect(m!.content.text).toContain('Yes, thanks');
    expect(m!.content.text).toContain('\n\nSTOP\n');
    expect(m!.content.text).toMatch(/^2 replies to your 2 Way SMS job "My 2 Way SMS test"/);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM mail_timers WHERE job_id = ?').get(job)).toEqual({ n: 0 });
    expect(mails(job, 'reply')).toEqual([]);
  });

  it('records a reply that comes after expires but mails none', async () => {
    const number = deliveredTestNumber(4321);
    const job = await post(twoWay({ response_email_address: 'late@example.com', recipients: [{ destination: number, recipient: 'Late' }] }));
    await d.waitFor(() => status(job) === 'complete');
    // Its reply window is over (the job left the spool's cache when it finished, so this is what a reply reads).
    d.db.prepare('UPDATE jobs SET reply_until = ? WHERE id = ?').run(Date.now() - 1000, job);
    const login = await fetch(`${d.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user: 'alice', password: 'pw-alice-secret' }) });
    const token = (JSON.parse(await login.text()) as { token: string }).token;
    const res = await fetch(`${d.url}/Integra/resources/InboundSMS/ReceiveURLSMS?phone=${encodeURIComponent(number)}&message=too+late`, { headers: { authorization: token } });
    expect(res.status).toBe(200);
    await d.waitFor(() => replies(job) === 1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(mails(job, 'reply')).toEqual([]);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM mail_timers WHERE job_id = ?').get(job)).toEqual({ n: 0 });
  });

  it("mails a finished job's summary to additional_report_emails; the report e-mail sends none of its own", async () => {
    const job = await post({ job_type: 'sms', job_name: 'Quick Send', message: 'Hi', additional_report_emails: 'a@example.com, B@Example.com', recipients: [{ destination: '+61491570156' }, { destination: '+61491570001' }] });
    await d.waitFor(() => status(job) === 'complete');
    const [m] = await d.waitFor(() => mails(job, 'report').length === 1 && mails(job, 'report'));
    expect(m!.to).toEqual(['a@example.com', 'B@example.com']);
    expect(m!.content.subject).toBe(`Report of "Quick Send" (job ${job}): Complete`);
    expect(m!.content.text).toContain('Recipients: 2\nSent:       1\nFailed:     1\n');
    expect(m!.content.attachments).toEqual([]);
    await d.waitFor(() => status(m!.id) === 'complete');
    await new Promise((r) => setTimeout(r, 1200));
    expect(mails(m!.id, 'report')).toEqual([]);
  });

  it("with the user's receive_reports and report_type Detailed, attaches every recipient's report as CSV", async () => {
    setProfile({ receive_reports: true, report_type: 'Detailed', additional_reports_address: 'test@ts.com' });
    d.db.prepare('UPDATE users SET email = ? WHERE id = ?').run('jsmith@mydomain.com', u.id);
    const recipients = Array.from({ length: 1200 }, (_, i) => ({ destination: i === 5 ? '+61491570001' : '+61491570156', reference: `r${i}`, recipient: i === 0 ? 'Quote "me", please' : `n${i}` }));
    const job = await post({ job_type: 'sms', job_name: 'Big', message: 'Hi', recipients });
    await d.waitFor(() => status(job) === 'complete', 30_000);
    const [m] = await d.waitFor(() => mails(job, 'report').length === 1 && mails(job, 'report'));
    expect(m!.to).toEqual(['jsmith@mydomain.com', 'test@ts.com']);
    expect(m!.content.attachments.map((a) => a.name)).toEqual([`job-${job}-report.csv`]);
    const csv = readFileSync(m!.content.attachments[0]!.file, 'utf8');
    expect(m!.content.attachments[0]!.size).toBe(Buffer.byteLength(csv));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('report_id,reference,recipient,destination,status,stage,notes,send_date_time,duration,message_cost');
    expect(lines.length).toBe(1202); // header, 1,200 records, the last CRLF
    expect(lines[1]).toMatch(/^\d+,r0,"Quote ""me"", please",\+61491570156,SENT,/);
    expect(lines.filter((l) => /,FAILED,/.test(l))).toHaveLength(1);
    setProfile({ receive_reports: false, report_type: null, additional_reports_address: null });
  });

  it('refuses addresses that are not mailboxes with 422 naming the field, storing nothing', async () => {
    const count = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const before = count();
    const a = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: twoWay({ response_email_address: 'not an address' }) });
    expect(a.status).toBe(422);
    expect(JSON.stringify(a.json)).toContain('response_email_address');
    const b = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'x', additional_report_emails: 'a@example.com,b@', recipients: [{ destination: '+61491570156' }] } });
    expect(b.status).toBe(422);
    expect(JSON.stringify(b.json)).toContain('additional_report_emails');
    expect(count()).toBe(before);
    const c = await d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body: { report_type: 'Weekly' } });
    expect(c.status).toBe(422);
    expect(JSON.stringify(c.json)).toContain('report_type');
  });
});
