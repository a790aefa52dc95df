import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasOpenssl, makeCertificate, TestSmtp } from '../peers/smtp.js';
import { parseReturnPath } from '../../dist/core/verp.js';

// The smtp driver against a real SMTP server (smtp-server): STARTTLS with a certificate the provider
// verifies, AUTH, scripted answers per recipient, and the messages checked as the server received them.
const BOUNCE_DOMAIN = 'bounces.switchpost.test';
let d: TestDaemon;
let smtp: TestSmtp;
let cert: ReturnType<typeof makeCertificate>;
let auth: string;
// A document served over HTTP for url attachments, counting its fetches.
const DOC = randomBytes(100 * 1024);
let docServer: http.Server;
let docFetches = 0;
let docUrl: string;

const script = (rcpt: string, tries: number) => {
  if (rcpt.startsWith('grey@')) return tries === 0 ? { at: 'rcpt', code: 451, text: '4.7.1 Greylisted, try again later' } : null;
  if (rcpt.startsWith('nobody@')) return { at: 'rcpt', code: 550, text: '5.1.1 <nobody@example.org>: Recipient address rejected: User unknown' };
  if (rcpt.startsWith('spam@')) return { at: 'data', code: 554, text: '5.7.1 Message rejected as spam' };
  return null;
};

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
type Row = { id: number; destination: string; state: string; reason: string | null; tries: number; attempt_id: number; peer_id: string | null };
const rows = (job: number) => d.db.prepare('SELECT r.id, r.destination, r.state, r.reason, r.tries, r.attempt_id, a.peer_id FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id WHERE r.job_id = ? ORDER BY r.seq').all(job) as Row[];
const post = async (body: Record<string, unknown>) => {
  const r = await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'email', from_email: 'news@example.com', subject: 'Hello', text_message: 'Hi', ...body } });
  expect(r.status, r.text).toBe(200);
  return r.json.data as number;
};
const receivedBy = (rcpt: string) => smtp.messages.filter((m) => m.rcptTo.includes(rcpt));

describe.skipIf(!hasOpenssl())('smtp driver through a real SMTP server', () => {
  beforeAll(async () => {
    cert = makeCertificate();
    smtp = new TestSmtp({ cert, script, holdMs: 60 });
    const port = await smtp.listen();
    docServer = http.createServer((req, res) => {
      docFetches++;
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(DOC);
    });
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
    docUrl = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/download/test_doc_v2.pdf`;
    d = await testDaemon({
      media: { allow_private: ['127.0.0.1'] },
      sandbox: { enabled: false },
      email: { bounce_domain: BOUNCE_DOMAIN },
      providers: [
        {
          name: 'relay',
          driver: 'smtp',
          services: ['email'],
          host: '127.0.0.1',
          port,
          username: 'relay',
          password: 'relay-secret',
          settings: { security: 'starttls', tls_ca_file: cert.certFile, max_connections: 2, max_messages: 3, probe_ms: 200, timeout_ms: 5000 },
        },
      ],
    });
    auth = d.addUser('u', 'user', { email: 'u@example.com' }).auth;
  }, 30_000);

  afterAll(async () => {
    await d?.close();
    await smtp?.close();
    cert?.remove();
    await new Promise((r) => docServer?.close(r));
  });

  it('sends each recipient its own message: VERP return path, From with its name, merged subject, both bodies, the HTML escaped', async () => {
    const job = await post({
      from_name: 'Example News',
      subject: 'Schedule for %%recipient%%',
      text_message: 'Hi %%recipient%%,\nyour code is %%code%%.',
      html_message: '<p>Hi %%recipient%%, your code is <b>%%code%%</b>.</p>',
      recipients: [
        { destination: 'jane@example.org', recipient: 'Jane <Doe> & Co', code: '"42"' },
        { destination: 'tom@example.net', recipient: 'Tom', code: '7' },
      ],
    });
    await d.waitFor(complete(job));
    const [jane, tom] = rows(job);
    expect([jane!.state, tom!.state]).toEqual(['sent', 'sent']);
    const key = Buffer.from(readFileSync(join(d.dir, 'verp.key'), 'utf8').trim(), 'base64');
    const m = receivedBy('jane@example.org');
    expect(m).toHaveLength(1);
    const got = m[0]!;
    // The envelope: one recipient, and a return path naming this recipient's attempt.
    expect(got.rcptTo).toEqual(['jane@example.org']);
    expect(got.mailFrom).toMatch(new RegExp(`^bounce\\+[0-9a-z]+-[0-9a-z]+-[0-9a-f]{10}@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}$`));
    expect(parseReturnPath(got.mailFrom, BOUNCE_DOMAIN, key)).toEqual({ recipientId: jane!.id, attemptId: jane!.attempt_id });
    expect(got.user).toBe('relay');
    expect(got.secure).toBe(true);
    // The relay's queue id is the attempt's peer id.
    expect(jane!.peer_id).toBe(got.queueId);
    const mail = await simpleParser(got.raw);
    expect(mail.from?.value).toEqual([{ address: 'news@example.com', name: 'Example News' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : null).toEqual(['jane@example.org']);
    expect(mail.subject).toBe('Schedule for Jane <Doe> & Co');
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(mail.text?.trim()).toBe('Hi Jane <Doe> & Co,\nyour code is "42".');
    expect(mail.html).toBe('<p>Hi Jane &lt;Doe&gt; &amp; Co, your code is <b>&quot;42&quot;</b>.</p>');
    const tomMail = await simpleParser(receivedBy('tom@example.net')[0]!.raw);
    expect(tomMail.subject).toBe('Schedule for Tom');
    expect(tomMail.text?.trim()).toBe('Hi Tom,\nyour code is 7.');
  }, 30_000);

  it("attaches the job's files byte for byte to every recipient's message, fetching a url once for the whole job", async () => {
    const jpg = randomBytes(3000);
    const job = await post({
      html_message: '<p>see attached</p>',
      attachments: [
        { name: 'my test doc.pdf', url: docUrl },
        { name: 'map.jpg', base64content: jpg.toString('base64') },
      ],
      recipients: [{ destination: 'att1@example.org' }, { destination: 'att2@example.org' }, { destination: 'att3@example.org' }],
    });
    await d.waitFor(complete(job));
    expect(docFetches).toBe(1);
    for (const rcpt of ['att1@example.org', 'att2@example.org', 'att3@example.org']) {
      const mail = await simpleParser(receivedBy(rcpt)[0]!.raw);
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/mixed' });
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.length])).toEqual([
        ['my test doc.pdf', 'application/pdf', DOC.length],
        ['map.jpg', 'image/jpeg', jpg.length],
      ]);
      expect(mail.attachments[0]!.content.equals(DOC)).toBe(true);
      expect(mail.attachments[1]!.content.equals(jpg)).toBe(true);
      expect(mail.text?.trim()).toBe('Hi');
      expect(mail.html?.trim()).toBe('<p>see attached</p>');
    }
  }, 30_000);

  it('sends a text-only or HTML-only e-mail as that one part', async () => {
    const job = await post({ text_message: null, html_message: '<p>only html</p>', recipients: [{ destination: 'html@example.org' }] });
    await d.waitFor(complete(job));
    const mail = await simpleParser(receivedBy('html@example.org')[0]!.raw);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'text/html' });
    expect(mail.html?.trim()).toBe('<p>only html</p>');
    expect(mail.from?.value).toEqual([{ address: 'news@example.com', name: '' }]);
  }, 30_000);

  it("retries a 4xx by the policy and fails a 5xx with the relay's text", async () => {
    const job = await post({ recipients: [{ destination: 'grey@example.org' }, { destination: 'nobody@example.org' }, { destination: 'spam@example.org' }] });
    await d.waitFor(complete(job));
    const [grey, nobody, spam] = rows(job);
    expect(grey).toMatchObject({ state: 'sent', tries: 2 });
    expect(receivedBy('grey@example.org')).toHaveLength(1);
    expect(smtp.offers.filter((o) => o.rcpt === 'grey@example.org').map((o) => o.answered)).toEqual([451, 250]);
    expect(nobody).toMatchObject({ state: 'undeliverable', tries: 1 });
    expect(nobody!.reason).toBe('550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown');
    expect(spam).toMatchObject({ state: 'rejected', tries: 1 });
    expect(spam!.reason).toBe('554 5.7.1 Message rejected as spam');
    const attempt = d.db.prepare('SELECT status, response FROM attempts WHERE recipient_id = ? ORDER BY id').all(grey!.id) as { status: string; response: string }[];
    expect(attempt[0]).toEqual({ status: 'failed_retryable', response: '451 4.7.1 Greylisted, try again later' });
  }, 30_000);

  it('keeps to max_connections, however many recipients are due', async () => {
    const before = smtp.maxOpen;
    smtp.maxOpen = smtp.open;
    const connections = smtp.connections;
    const job = await post({ recipients: Array.from({ length: 12 }, (_, i) => ({ destination: `many${i}@example.org` })) });
    await d.waitFor(complete(job));
    expect(rows(job).every((r) => r.state === 'sent')).toBe(true);
    // Two connections of the pool (max_connections: 2), and no third; each message took 60 ms on the server.
    expect(smtp.maxOpen).toBeLessThanOrEqual(2);
    expect(Math.max(before, smtp.maxOpen)).toBe(2);
    // max_messages: 3 — twelve messages need at least four connections.
    expect(smtp.connections - connections).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('holds the work while the relay is down (no try used) and sends it when it is back', async () => {
    const port = smtp.port;
    await smtp.close();
    // The pool's idle connections notice; a job posted now finds the relay gone.
    const job = await post({ recipients: [{ destination: 'later@example.org' }] });
    const held = await d.waitFor(() => {
      const r = rows(job)[0]!;
      return r.state === 'queued' && r.reason && /reachable|ECONNREFUSED|closed/i.test(r.reason) ? r : null;
    });
    expect(held.tries).toBe(0);
    const health = () => d.db.prepare("SELECT status FROM attempts WHERE job_id = ? AND status = 'held'").all(job).length;
    expect(health()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(receivedBy('later@example.org')).toHaveLength(0);
    await smtp.listen(port);
    await d.waitFor(complete(job), 20_000);
    expect(rows(job)[0]).toMatchObject({ state: 'sent' });
    expect(receivedBy('later@example.org')).toHaveLength(1);
  }, 40_000);
});
