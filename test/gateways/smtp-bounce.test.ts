import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { join } from 'node:path';
import { hasOpenssl, makeCertificate, TestSmtp } from '../peers/smtp.js';
import { parseDeliveryStatus, parseQsbmf } from '../../dist/gateways/smtp/dsn.js';

// Bounces: the daemon's SMTP listener takes DSNs sent by a real SMTP client (nodemailer) to the return
// paths its smtp driver used, and fails the recipient named by the address, even after it was sent.
const BOUNCE_DOMAIN = 'bounces.switchpost.test';
let d: TestDaemon;
let relay: TestSmtp;
let auth: string;
let cert: ReturnType<typeof makeCertificate> | null = null;

type Row = { id: number; destination: string; state: string; reason: string | null; status: string; response: string | null };
const rows = (job: number) => d.db.prepare('SELECT r.id, r.destination, r.state, r.reason, a.status, a.response FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.job_id = ? ORDER BY r.seq').all(job) as Row[];
const counters = (job: number) => d.db.prepare('SELECT status, remaining, succeeded, failed FROM jobs WHERE id = ?').get(job) as { status: string; remaining: number; succeeded: number; failed: number };
const returnPathOf = (rcpt: string) => relay.messages.find((m) => m.rcptTo.includes(rcpt))!.mailFrom;

/** A DSN as an MTA writes it (RFC 3464): a human part, the machine-readable report, the returned headers. */
function dsn(rcpt: string, action: 'failed' | 'delayed', status: string, diagnostic: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>',
    `To: ${BOUNCE_DOMAIN}`,
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="BOUNDARY-1"',
    '',
    '--BOUNDARY-1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'I am sorry to have to inform you that your message could not be delivered.',
    `Action: failed (this line is not the report and must not be read as it)`,
    '',
    '--BOUNDARY-1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    'Arrival-Date: Thu,  3 Dec 2026 06:00:00 +0000 (UTC)',
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Original-Recipient: rfc822;${rcpt}`,
    `Action: ${action}`,
    `Status: ${status}`,
    'Remote-MTA: dns; mail.example.org',
    `Diagnostic-Code: smtp; ${diagnostic.slice(0, 30)}`,
    `    ${diagnostic.slice(30)}`,
    '',
    '--BOUNDARY-1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: news@example.com',
    `To: ${rcpt}`,
    'Subject: Hello',
    '',
    '--BOUNDARY-1--',
    '',
  ].join('\r\n');
}

const client = () => createTransport({ host: '127.0.0.1', port: d.bounces!.port, secure: false, ignoreTLS: true, logger: false });
const sendTo = (to: string, raw: string) => client().sendMail({ envelope: { from: 'mailer-daemon@mx.example.org', to: [to] }, raw });

describe('bounce listener', () => {
  beforeAll(async () => {
    relay = new TestSmtp({ users: {}, dsn: true });
    const port = await relay.listen();
    cert = hasOpenssl() ? makeCertificate() : null;
    const tls = cert ? { tls_key_file: join(cert.dir, 'key.pem'), tls_cert_file: cert.certFile } : {};
    d = await testDaemon({
      sandbox: { enabled: false },
      email: { bounce_domain: BOUNCE_DOMAIN, listener: { enabled: true, port: 0, max_message_kb: 16, ...tls } },
      providers: [{ name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port, settings: { security: 'none', probe_ms: 200, timeout_ms: 5000, dsn: { notify: ['FAILURE', 'DELAY'], ret: 'HDRS' } } }],
    });
    auth = d.addUser('u', 'user', { email: 'u@example.com' }).auth;
  }, 30_000);

  afterAll(async () => {
    await d?.close();
    await relay?.close();
    cert?.remove();
  });

  let job: number;
  it('a DSN with Action: failed after the 250 moves the recipient from sent to undeliverable, with the diagnostic', async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'email', from_email: 'news@example.com', subject: 'Hello', text_message: 'Hi', recipients: [{ destination: 'jane@example.org' }, { destination: 'tom@example.net' }, { destination: 'ann@example.net' }] },
    });
    expect(r.status, r.text).toBe(200);
    job = r.json.data as number;
    await d.waitFor(() => counters(job).status === 'complete');
    expect(rows(job).map((x) => x.state)).toEqual(['sent', 'sent', 'sent']);
    expect(counters(job)).toMatchObject({ succeeded: 3, failed: 0 });
    // The DSN request, as the relay read it: RET=HDRS with MAIL FROM, NOTIFY and ORCPT with RCPT TO.
    const sent = relay.messages.find((m) => m.rcptTo.includes('jane@example.org'))!;
    expect(sent.dsn).toMatchObject({ ret: 'HDRS' });
    expect(sent.rcptDsn).toEqual([{ notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;jane@example.org' }]);

    const diag = '550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown in virtual mailbox table';
    const info = await sendTo(returnPathOf('jane@example.org'), dsn('jane@example.org', 'failed', '5.1.1', diag));
    expect(info.response).toMatch(/^250 /);
    // Answered once stored: the row has moved already.
    const jane = rows(job)[0]!;
    expect(jane.state).toBe('undeliverable');
    expect(jane.reason).toBe(diag);
    expect(jane.status).toBe('undeliverable');
    expect(jane.response).toBe(`5.1.1 ${diag}`);
    expect(counters(job)).toMatchObject({ status: 'complete', remaining: 0, succeeded: 2, failed: 1 });
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth })).json.data;
    const byDest = Object.fromEntries(report.reports.map((x: { destination: string; status: string; stage: string; notes: string | null }) => [x.destination, [x.status, x.stage, x.notes]]));
    expect(byDest['jane@example.org']).toEqual(['FAILED', 'Undeliverable', diag]);
    expect(byDest['tom@example.net']).toEqual(['SENT', 'Unconfirmed', null]);
  });

  it('the same bounce again changes nothing more (counted once)', async () => {
    const diag = '550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown';
    const info = await sendTo(returnPathOf('jane@example.org'), dsn('jane@example.org', 'failed', '5.1.1', diag));
    expect(info.response).toMatch(/^250 /);
    expect(counters(job)).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it('a DSN with Action: delayed changes nothing', async () => {
    const info = await sendTo(returnPathOf('tom@example.net'), dsn('tom@example.net', 'delayed', '4.4.1', '451 4.4.1 connection timed out, will keep trying for 4 days'));
    expect(info.response).toMatch(/^250 /);
    expect(rows(job)[1]!.state).toBe('sent');
    expect(counters(job)).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it('a message that is no DSN is taken and ignored', async () => {
    const raw = ['From: tom@example.net', 'To: someone', 'Subject: Out of office', 'Content-Type: text/plain', '', 'Action: failed', 'Status: 5.1.1', ''].join('\r\n');
    const info = await sendTo(returnPathOf('tom@example.net'), raw);
    expect(info.response).toMatch(/^250 /);
    expect(rows(job)[1]!.state).toBe('sent');
  });

  it("reads qmail's plain-text bounces (QSBMF) and RFC 6533's internationalized DSNs; an automatic reply is none", async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'email', from_email: 'news@example.com', subject: 'Again', text_message: 'Hi', recipients: [{ destination: 'q@example.org' }, { destination: 'g@example.org' }, { destination: 'v@example.org' }] },
    });
    const second = r.json.data as number;
    await d.waitFor(() => counters(second).status === 'complete');
    // qmail-send's bounce (cr.yp.to's QSBMF): the intro, a recipient paragraph, the break, the message.
    const qsbmf = [
      'From: MAILER-DAEMON@mx.example.org',
      'Subject: failure notice',
      '',
      'Hi. This is the qmail-send program at mx.example.org.',
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.",
      '',
      '<q@example.org>:',
      '192.0.2.7 does not like recipient.',
      'Remote host said: 550 5.1.1 <q@example.org>: user unknown',
      'Giving up on 192.0.2.7.',
      '',
      '--- Below this line is a copy of the message.',
      '',
      'Return-Path: <x@example.com>',
      '',
      '<not-a-recipient@example.org>:',
      'this paragraph is the returned message and must not be read',
      '',
    ].join('\r\n');
    expect((await sendTo(returnPathOf('q@example.org'), qsbmf)).response).toMatch(/^250 /);
    expect(rows(second)[0]).toMatchObject({ state: 'undeliverable', reason: '192.0.2.7 does not like recipient. Remote host said: 550 5.1.1 <q@example.org>: user unknown Giving up on 192.0.2.7.' });
    expect(rows(second)[0]!.response).toMatch(/^5\.1\.1 /);

    // RFC 6533: report-type=global-delivery-status, its part message/global-delivery-status in UTF-8.
    const global = dsn('g@example.org', 'failed', '5.2.2', '552 5.2.2 Mailbox full: boîte aux lettres pleine — Ελληνικά')
      .replace('report-type=delivery-status', 'report-type=global-delivery-status')
      .replace('Content-Type: message/delivery-status', 'Content-Type: message/global-delivery-status');
    expect((await sendTo(returnPathOf('g@example.org'), global)).response).toMatch(/^250 /);
    expect(rows(second)[1]).toMatchObject({ state: 'undeliverable', reason: '552 5.2.2 Mailbox full: boîte aux lettres pleine — Ελληνικά' });

    // A vacation notice to the return path that happens to read like a bounce: Auto-Submitted says what it is.
    const vacation = qsbmf.replace('Subject: failure notice', 'Auto-Submitted: auto-replied\r\nSubject: Away').replace('<q@example.org>:', '<v@example.org>:');
    expect((await sendTo(returnPathOf('v@example.org'), vacation)).response).toMatch(/^250 /);
    // A report whose part does not match its report type is no DSN either.
    const mismatched = dsn('v@example.org', 'failed', '5.1.1', '550 5.1.1 user unknown, but the part is of the wrong type').replace('report-type=delivery-status', 'report-type=global-delivery-status');
    expect((await sendTo(returnPathOf('v@example.org'), mismatched)).response).toMatch(/^250 /);
    expect(rows(second)[2]!.state).toBe('sent');
    expect(counters(second)).toMatchObject({ succeeded: 1, failed: 2 });
  });

  it('refuses at RCPT TO an address with a wrong tag, of another domain, or not a return path at all', async () => {
    const good = returnPathOf('ann@example.net');
    const at = good.lastIndexOf('@');
    const tag = good.slice(at - 10, at);
    const badTag = `${good.slice(0, at - 10)}${tag === '0000000000' ? '1111111111' : '0000000000'}${good.slice(at)}`;
    const otherDomain = `${good.slice(0, at)}@example.com`;
    for (const to of [badTag, otherDomain, `postmaster@${BOUNCE_DOMAIN}`]) {
      const err = await sendTo(to, dsn('ann@example.net', 'failed', '5.1.1', '550 5.1.1 user unknown here at this mailbox')).then(
        () => null,
        (e: { responseCode?: number; command?: string }) => e,
      );
      expect(err, to).toMatchObject({ responseCode: 550 });
    }
    expect(rows(job)[2]!.state).toBe('sent');
  });

  it('refuses a message over the size limit (552) and changes nothing', async () => {
    const big = dsn('ann@example.net', 'failed', '5.1.1', '550 5.1.1 user unknown here at this mailbox').replace('I am sorry', 'x'.repeat(20 * 1024));
    const err = await sendTo(returnPathOf('ann@example.net'), big).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(err).toMatchObject({ responseCode: 552 });
    expect(rows(job)[2]!.state).toBe('sent');
  });

  it.skipIf(!hasOpenssl())('takes a bounce over STARTTLS with its certificate', async () => {
    const tlsClient = createTransport({ host: '127.0.0.1', port: d.bounces!.port, secure: false, requireTLS: true, tls: { ca: cert!.cert, servername: 'localhost' }, logger: false });
    const info = await tlsClient.sendMail({ envelope: { from: 'mailer-daemon@mx.example.org', to: [returnPathOf('ann@example.net')] }, raw: dsn('ann@example.net', 'failed', '5.2.1', '550 5.2.1 mailbox disabled for this recipient here') });
    expect(info.response).toMatch(/^250 /);
    expect(rows(job)[2]!).toMatchObject({ state: 'undeliverable', reason: '550 5.2.1 mailbox disabled for this recipient here' });
  });
});

describe('delivery-status fields', () => {
  it('reads each recipient block, its folded diagnostic, and skips the message block', () => {
    const body = [
      'Reporting-MTA: dns; mx.example.org',
      'Action: failed',
      '',
      'Final-Recipient: rfc822; a@example.org',
      'Action: Failed',
      'Status: 5.2.2 (mailbox full)',
      'Diagnostic-Code: smtp; 552 5.2.2',
      ' Mailbox full',
      '',
      'Final-Recipient: rfc822; b@example.org',
      'Action: delayed',
      'Status: 4.4.7',
      '',
    ].join('\r\n');
    expect(parseDeliveryStatus(body)).toEqual([
      { action: 'failed', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full', finalRecipient: 'a@example.org' },
      { action: 'delayed', status: '4.4.7', diagnostic: null, finalRecipient: 'b@example.org' },
    ]);
  });

  it('reads each QSBMF recipient paragraph up to the break, with a status code where the text has one', () => {
    const body = [
      'Hi. This is the qmail-send program at a.example.',
      'Sorry.',
      '',
      '<a@example.org>:',
      'Sorry, no mailbox here by that name. (#5.1.1)',
      '',
      '<b@example.org>:',
      "Sorry, I couldn't find any host by that name.",
      '',
      '<>:',
      'an empty address',
      '',
      'not a recipient paragraph',
      '',
      '--- Below this line is a copy of the message.',
      '',
      '<c@example.org>:',
      'returned text',
      '',
    ].join('\n');
    expect(parseQsbmf(body)).toEqual([
      { action: 'failed', status: '5.1.1', diagnostic: 'Sorry, no mailbox here by that name. (#5.1.1)', finalRecipient: 'a@example.org' },
      { action: 'failed', status: null, diagnostic: "Sorry, I couldn't find any host by that name.", finalRecipient: 'b@example.org' },
      { action: 'failed', status: null, diagnostic: 'an empty address', finalRecipient: null },
    ]);
  });
});
