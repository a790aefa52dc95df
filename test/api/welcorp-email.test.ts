import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';

// v1 `email` jobs (seed 000) on a fresh install: the built-in sandbox answers for e-mail as a relay
// would, by its test addresses (src/gateways/sandbox/README.md).
let d: TestDaemon;
let alice: { id: number; auth: string };
let cb: Awaited<ReturnType<typeof callbackReceiver>>;

// The seed's example, with recipients in place of its lists and without its attachments.
const SEED_EMAIL = {
  job_type: 'email',
  job_name: 'email test',
  subject: 'email test subject',
  html_message: '<html><body><h1>Hi %%recipient%%<h1> <p>This is a test message.</p>',
  text_message: 'Hi %%recipient%%\nThis is the text version of a test message',
  from_name: 'Jane Test',
  from_email: 'janetest@mymail.com',
};

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const jobCount = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;

describe('v1 API: email jobs', () => {
  beforeAll(async () => {
    d = await testDaemon();
    alice = d.addUser('alice', 'user', { password: 'alice-secret', email: 'alice@mymail.com' });
    cb = await callbackReceiver();
  });
  afterAll(async () => {
    await d?.close();
    await cb?.close();
  });

  it("shows a bounce after delivery on the sandbox's bounce@ address: sent, then undeliverable with the DSN's diagnostic", async () => {
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_EMAIL, recipients: [{ destination: 'bounce@example.com' }, { destination: 'delivered@example.com' }] } });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    const states = () => (d.db.prepare('SELECT state FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { state: string }[]).map((x) => x.state);
    await d.waitFor(() => states().join() === 'undeliverable,sent');
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth: alice.auth })).json.data;
    expect(report).toMatchObject({ job_status: 'Complete', sent_recipients: 1, failed_recipients: 1 });
    expect(report.reports[0]).toMatchObject({ destination: 'bounce@example.com', status: 'FAILED', stage: 'Undeliverable', notes: expect.stringMatching(/^550 5\.1\.1 .*User unknown/) });
    // The 250 came first: the attempt has the relay's queue id, and the bounce is on it.
    expect(d.db.prepare('SELECT status, peer_id FROM attempts WHERE job_id = ? AND destination = ?').get(job, 'bounce@example.com')).toMatchObject({ status: 'undeliverable', peer_id: expect.any(String) });
  });

  it('sends the seed example through the sandbox, with a report and a callback per recipient', async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: alice.auth,
      body: {
        ...SEED_EMAIL,
        callback_url: cb.url,
        recipients: [
          { destination: 'delivered@example.com', recipient: 'Jane', reference: 'r1' },
          { destination: 'tempfail@example.com', recipient: 'Tom', reference: 'r2' },
          { destination: 'undeliverable@example.com', recipient: 'Ann', reference: 'r3' },
        ],
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(complete(job));
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job) as { content: string }).content);
    expect(content).toEqual({ kind: 'email', from: { address: 'janetest@mymail.com', name: 'Jane Test' }, subject: SEED_EMAIL.subject, text: SEED_EMAIL.text_message, html: SEED_EMAIL.html_message, attachments: [] });
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth: alice.auth })).json.data;
    expect(report.job_type).toBe('Email');
    expect(report.subject).toBe(SEED_EMAIL.subject);
    expect(report.from_email).toBe('janetest@mymail.com');
    expect(report.manual_sender_id).toBeNull();
    expect(report.reports.map((x: { notes: string }) => x.notes)).toEqual([null, null, expect.stringMatching(/^550 5\.1\.1 /)]);
    const by = Object.fromEntries(report.reports.map((x: { destination: string; status: string; stage: string }) => [x.destination, [x.status, x.stage]]));
    expect(by).toEqual({ 'delivered@example.com': ['SENT', 'Unconfirmed'], 'tempfail@example.com': ['SENT', 'Unconfirmed'], 'undeliverable@example.com': ['FAILED', 'Undeliverable'] });
    const tries = d.db.prepare('SELECT destination, tries, reason FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { destination: string; tries: number; reason: string | null }[];
    expect(tries.map((t) => t.tries)).toEqual([1, 2, 1]);
    expect(tries[2]!.reason).toMatch(/^550 5\.1\.1 .*User unknown/);
    await d.waitFor(() => cb.got.length >= 3);
    const forms = cb.got.map((g) => g.form).sort((a, b) => a.Reference!.localeCompare(b.Reference!));
    expect(forms.map((f) => [f.BroadcastID, f.Reference, f.Recipient, f.Destination, f.Status, f.BroadcastName])).toEqual([
      [String(job), 'r1', 'Jane', 'delivered@example.com', 'SENT', 'email test'],
      [String(job), 'r2', 'Tom', 'tempfail@example.com', 'SENT', 'email test'],
      [String(job), 'r3', 'Ann', 'undeliverable@example.com', 'FAILED', 'email test'],
    ]);
    expect(cb.got[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it("takes a list's contacts by their e-mail address", async () => {
    const token = await bearer(d, 'alice', 'alice-secret');
    const g = (await d.api('POST', '/groups', { auth: token, body: { name: 'mail list' } })).json as number;
    await d.api('POST', `/groups/${g}/csv`, { auth: token, raw: 'first_name,email,phone\nAnn,ann@example.org,\nBen,,+61491573002\nCid,cid@example.org,+61491573003\n', headers: { 'content-type': 'text/csv' } });
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_EMAIL, user_list_ids: String(g) } });
    expect(r.status, r.text).toBe(200);
    await d.waitFor(complete(r.json.data));
    const rows = d.db.prepare('SELECT destination, name, state FROM recipients WHERE job_id = ? ORDER BY seq').all(r.json.data);
    expect(rows).toEqual([
      { destination: 'ann@example.org', name: 'Ann', state: 'sent' },
      { destination: 'cid@example.org', name: 'Cid', state: 'sent' },
    ]);
  });

  it('stores the attachments once for the job, by content (the same file twice is one file)', async () => {
    const bytes = Buffer.from('%PDF-1.4 not really\n');
    const file = { base64content: bytes.toString('base64') };
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: alice.auth,
      body: {
        ...SEED_EMAIL,
        attachments: [
          { name: 'a.pdf', ...file },
          { name: 'copy\r\nof/a.pdf', ...file },
        ],
        recipients: [{ destination: 'delivered@example.com' }],
      },
    });
    expect(r.status, r.text).toBe(200);
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(r.json.data) as { content: string }).content);
    expect(content.attachments.map((a: { name: string; size: number }) => [a.name, a.size])).toEqual([
      ['a.pdf', bytes.length],
      ['copyofa.pdf', bytes.length],
    ]);
    expect(content.attachments[0].file).toBe(content.attachments[1].file);
    expect(content.attachments[0].file.startsWith(join(d.dir, 'media', 'attachments'))).toBe(true);
    expect(readFileSync(content.attachments[0].file).equals(bytes)).toBe(true);
    await d.waitFor(complete(r.json.data));
  });

  it('dedupes addresses however their case is written', async () => {
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_EMAIL, dedupe: true, recipients: [{ destination: 'Jane@Example.com' }, { destination: 'jane@example.COM' }, { destination: 'tom@example.com' }] } });
    expect(r.status, r.text).toBe(200);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM recipients WHERE job_id = ?').get(r.json.data) as { n: number }).n).toBe(2);
  });

  const one = [{ destination: 'jane@example.com' }];
  it.each([
    ['no body at all', { ...SEED_EMAIL, html_message: undefined, text_message: undefined, recipients: one }, 422, /Validation failed: text_message: give text_message, html_message or both/],
    ['empty bodies', { ...SEED_EMAIL, html_message: ' ', text_message: '', recipients: one }, 422, /html_message: give text_message, html_message or both/],
    ['no from_email', { ...SEED_EMAIL, from_email: undefined, recipients: one }, 422, /from_email: is required for email jobs/],
    ['a from_email that is no address', { ...SEED_EMAIL, from_email: 'jane at mymail', recipients: one }, 422, /from_email: not an e-mail address/],
    ['a recipient that is no address', { ...SEED_EMAIL, recipients: [{ destination: 'jane@example.com' }, { destination: '+61491570156' }] }, 422, /recipients\.1\.destination: not an e-mail address/],
    ['a subject of two lines', { ...SEED_EMAIL, subject: 'Hi\r\nBcc: x@example.com', recipients: one }, 422, /subject: must be one line/],
    ['a from_name of two lines', { ...SEED_EMAIL, from_name: 'Jane\nBcc: x@example.com', recipients: one }, 422, /from_name: must be one line/],
    ['a control character in the HTML', { ...SEED_EMAIL, html_message: '<p>\u001b</p>', recipients: one }, 422, /html_message: contains a control character/],
    ['an attachment that is not base64', { ...SEED_EMAIL, attachments: [{ name: 'a.pdf', base64content: 'not*base64' }], recipients: one }, 422, /attachments: "a\.pdf": base64content is not valid base64/],
    ['an attachment at a refused address', { ...SEED_EMAIL, attachments: [{ name: 'a.pdf', url: 'http://10.1.2.3/a.pdf' }], recipients: one }, 422, /attachments: "a\.pdf": could not be fetched/],
    [
      'attachments over 20 MB together',
      {
        ...SEED_EMAIL,
        attachments: [
          { name: 'a.bin', base64content: Buffer.alloc(11 * 1024 * 1024).toString('base64') },
          { name: 'b.bin', base64content: Buffer.alloc(10 * 1024 * 1024).toString('base64') },
        ],
        recipients: one,
      },
      422,
      /attachments: the attachments are larger than 20 MB together/,
    ],
  ])("refuses %s in the face's envelope, storing nothing", async (_what, body, status, message) => {
    const before = jobCount();
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body });
    expect(r.status, r.text).toBe(status);
    expect(r.json.status).toBe(status);
    expect(r.json.errors).toMatch(message);
    expect(jobCount()).toBe(before);
  });
});
