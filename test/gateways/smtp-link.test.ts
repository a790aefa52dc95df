import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasOpenssl, makeCertificate, TestSmtp } from '../peers/smtp.js';

// How the smtp driver reaches its relay: the certificate is verified unless told otherwise, credentials
// refused hold the work, implicit TLS and AUTH LOGIN, and no VERP without a bounce domain.
let cert: ReturnType<typeof makeCertificate>;
let starttls: TestSmtp;
let implicit: TestSmtp;

async function daemonFor(port: number, settings: Record<string, unknown>, more: Record<string, unknown> = {}) {
  const d = await testDaemon({
    sandbox: { enabled: false },
    providers: [{ name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port, username: 'relay', password: 'relay-secret', settings: { probe_ms: 200, timeout_ms: 3000, ...settings }, ...more }],
  });
  const auth = d.addUser('u', 'user', { email: 'u@example.com' }).auth;
  const r = await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'email', from_email: 'news@example.com', from_name: 'News', subject: 'Hi', text_message: 'Hello', recipients: [{ destination: 'jane@example.org' }] } });
  expect(r.status, r.text).toBe(200);
  return { d, job: r.json.data as number };
}
const recipient = (d: TestDaemon, job: number) => d.db.prepare('SELECT state, reason, tries FROM recipients WHERE job_id = ?').get(job) as { state: string; reason: string | null; tries: number };
const complete = (d: TestDaemon, job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';

describe.skipIf(!hasOpenssl())('smtp driver: TLS, credentials, return path', () => {
  beforeAll(async () => {
    cert = makeCertificate();
    starttls = new TestSmtp({ cert });
    await starttls.listen();
    implicit = new TestSmtp({ cert, secure: true });
    await implicit.listen();
  });
  afterAll(async () => {
    await starttls?.close();
    await implicit?.close();
    cert?.remove();
  });

  it("verifies the relay's certificate by default: one it cannot trust keeps the provider down and the work held", async () => {
    const { d, job } = await daemonFor(starttls.port, {});
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const r = recipient(d, job);
      expect(r.state).toBe('queued');
      expect(r.tries).toBe(0);
      expect(starttls.messages.filter((m) => m.rcptTo.includes('jane@example.org'))).toHaveLength(0);
      expect(starttls.authMethods).toHaveLength(0);
    } finally {
      await d.close();
    }
  }, 20_000);

  it('sends over the same relay once verification is turned off', async () => {
    const before = starttls.messages.length;
    const { d, job } = await daemonFor(starttls.port, { tls_verify: false });
    try {
      await d.waitFor(complete(d, job));
      expect(recipient(d, job).state).toBe('sent');
      expect(starttls.messages.length).toBe(before + 1);
      expect(starttls.messages.at(-1)!.secure).toBe(true);
    } finally {
      await d.close();
    }
  }, 20_000);

  it('holds the work, using no try, while the relay refuses our credentials', async () => {
    const { d, job } = await daemonFor(starttls.port, { tls_ca_file: cert.certFile }, { password: 'wrong' });
    try {
      await d.waitFor(() => starttls.authMethods.length >= 2);
      const r = recipient(d, job);
      expect(r).toMatchObject({ state: 'queued', tries: 0 });
      expect(starttls.messages.filter((m) => m.user === undefined)).toHaveLength(0);
    } finally {
      await d.close();
    }
  }, 20_000);

  it('speaks implicit TLS with AUTH LOGIN, and without a bounce domain the From address is the envelope sender', async () => {
    const { d, job } = await daemonFor(implicit.port, { security: 'tls', tls_ca_file: cert.certFile, auth_method: 'LOGIN' });
    try {
      await d.waitFor(complete(d, job));
      expect(recipient(d, job).state).toBe('sent');
      const got = implicit.messages.at(-1)!;
      expect(got).toMatchObject({ mailFrom: 'news@example.com', rcptTo: ['jane@example.org'], user: 'relay', secure: true });
      // The probe's login and the pool's: each by LOGIN.
      expect(new Set(implicit.authMethods)).toEqual(new Set(['LOGIN']));
      expect((await simpleParser(got.raw)).from?.value).toEqual([{ address: 'news@example.com', name: 'News' }]);
    } finally {
      await d.close();
    }
  }, 20_000);
});
