import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestSmtp } from '../peers/smtp.js';
import { loadDkimKeys } from '../../dist/gateways/smtp/dkim.js';

// DKIM per sending domain: nodemailer signs each message whose From domain has a key in email.dkim;
// the message as the relay received it is verified by mailauth 4 against the test's public key, served
// by a resolver stub (no network).
let d: TestDaemon;
let relay: TestSmtp;
let auth: string;
let keyDir: string;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const txt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const resolver = async (name: string, rr: string) => {
  if (rr === 'TXT' && name === 'mail2026._domainkey.example.com') return [[txt]];
  throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
};

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const post = async (body: Record<string, unknown>) => {
  const r = await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'email', subject: 'Hello', text_message: 'Hi %%recipient%%', html_message: '<p>Hi %%recipient%%</p>', ...body } });
  expect(r.status, r.text).toBe(200);
  await d.waitFor(complete(r.json.data as number));
  return r.json.data as number;
};
const rawFor = (rcpt: string) => relay.messages.find((m) => m.rcptTo.includes(rcpt))!.raw;

describe('DKIM signing by sending domain', () => {
  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'dkim-'));
    writeFileSync(join(keyDir, 'example.com.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    relay = new TestSmtp({ users: {} });
    const port = await relay.listen();
    d = await testDaemon({
      sandbox: { enabled: false },
      // A small threshold: the message with an attachment is spooled to disk while it is signed.
      email: { dkim: [{ domain: 'Example.com', selector: 'mail2026', key_file: join(keyDir, 'example.com.pem') }], dkim_cache_threshold_kb: 16 },
      providers: [{ name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port, settings: { security: 'none', probe_ms: 200, timeout_ms: 5000 } }],
    });
    auth = d.addUser('u', 'user', { profile: { allowed_email_senders: ['@example.com', 'news@other.example.net'] } }).auth;
  }, 30_000);

  afterAll(async () => {
    await d?.close();
    await relay?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('signs mail from a domain with a key: d= and s= as configured, and the signature verifies', async () => {
    await post({ from_email: 'news@example.com', from_name: 'News', recipients: [{ destination: 'jane@example.org', recipient: 'Jane' }] });
    const raw = rawFor('jane@example.org');
    const result = await dkimVerify(raw, { resolver });
    expect(result.results).toHaveLength(1);
    const sig = result.results[0]!;
    expect(sig.signingDomain).toBe('example.com');
    expect(sig.selector).toBe('mail2026');
    expect(sig.status.result).toBe('pass');
    // The check can fail: the same message altered after signing does not verify.
    const altered = Buffer.from(raw.toString('latin1').replace('Hi Jane', 'Hi Joan'), 'latin1');
    expect((await dkimVerify(altered, { resolver })).results[0]!.status.result).not.toBe('pass');
  });

  it('signs a message larger than the cache threshold (its body spooled to data_dir/tmp/dkim), and it verifies', async () => {
    const file = randomBytes(100 * 1024).toString('base64');
    // nodemailer's cache file comes and goes while the message is signed: seen by watching the directory.
    const seen: string[] = [];
    const watcher = watch(join(d.dir, 'tmp', 'dkim'), (_event, name) => name && seen.push(name));
    await post({ from_email: 'news@example.com', recipients: [{ destination: 'tom@example.org', recipient: 'Tom' }], attachments: [{ name: 'data.bin', base64content: file }] });
    const raw = rawFor('tom@example.org');
    expect(raw.length).toBeGreaterThan(100 * 1024);
    watcher.close();
    expect(seen.length).toBeGreaterThan(0);
    const sig = (await dkimVerify(raw, { resolver })).results[0]!;
    expect([sig.signingDomain, sig.selector, sig.status.result]).toEqual(['example.com', 'mail2026', 'pass']);
  });

  it('leaves mail from a domain without a key unsigned', async () => {
    await post({ from_email: 'news@other.example.net', recipients: [{ destination: 'ann@example.org' }] });
    const raw = rawFor('ann@example.org');
    expect(raw.toString('latin1')).not.toMatch(/^DKIM-Signature:/im);
  });

  it('refuses at start a key file that is no private key, naming its entry', () => {
    writeFileSync(join(keyDir, 'bad.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => loadDkimKeys([{ domain: 'example.com', selector: 's', key_file: join(keyDir, 'bad.pem') }], join(keyDir, 'cache'), 1024)).toThrow(/^email\.dkim\[0\]\.key_file \(example\.com\): /);
  });
});
