import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { lavfi, noisyJpeg } from '../helpers/mms-media.js';

// v1 `mms` jobs (seed 000) on a fresh install: the built-in sandbox answers as an MMSC would, by its
// MMS test numbers (src/gateways/sandbox/README.md, "MMS test numbers").
let d: TestDaemon;
let alice: { id: number; auth: string };
let cb: Awaited<ReturnType<typeof callbackReceiver>>;
let photo: Buffer;

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const post = (body: Record<string, unknown>) => d.api('POST', '/api/v1/jobs', { auth: alice.auth, body });

describe('v1 API: mms jobs through the sandbox', () => {
  beforeAll(async () => {
    d = await testDaemon({ email: { system_from: 'noreply@switchpost.test' } });
    alice = d.addUser('alice', 'user', { password: 'alice-secret' });
    cb = await callbackReceiver();
    photo = await noisyJpeg(1600, 1200, 90);
  }, 30_000);
  afterAll(async () => {
    await d?.close();
    await cb?.close();
  });

  it('sends the seed example: merged subject and text, the photo fitted once, a report, a callback and the reply forwarded', async () => {
    const r = await post({
      job_type: 'mms',
      job_name: 'My MMS test',
      subject: 'Hi %%recipient%%',
      message: 'A picture for %%recipient%%. Please reply!',
      response_email_address: 'mmsresponses@mydomain.com',
      callback_url: cb.url,
      callback_on_sms_status_update: true,
      files: [{ name: 'map.jpg', base64content: photo.toString('base64') }],
      recipients: [
        { destination: '+61491570156', recipient: 'Jane', reference: 'r1' },
        { destination: '+61491570002', recipient: 'Tom', reference: 'r2' },
        { destination: '+61491570031', recipient: 'Ann', reference: 'r3' },
        { destination: '+61491570032', recipient: 'Bo', reference: 'r4' },
        { destination: '+61491570006', recipient: 'Cy', reference: 'r5' },
      ],
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(complete(job));
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job) as { content: string }).content);
    expect(content).toMatchObject({ kind: 'mms', subject: 'Hi %%recipient%%', text: { template: 'A picture for %%recipient%%. Please reply!' }, maxBytes: 300 * 1024 });
    expect(content.media).toHaveLength(1);
    expect(content.media[0]).toMatchObject({ contentType: 'image/jpeg', name: 'map.jpg' });
    expect(content.media[0].size).toBeLessThan(300 * 1024);
    // Fitted once for the job: one stored file, whatever the number of recipients.
    expect(readdirSync(join(d.dir, 'media', 'mms'))).toEqual([`${content.media[0].sha256}.jpg`]);
    expect(readFileSync(content.media[0].file).length).toBe(content.media[0].size);

    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth: alice.auth })).json.data;
    expect(report.job_type).toBe('MMS');
    const by = Object.fromEntries(report.reports.map((x: { destination: string; status: string; stage: string; notes: string | null }) => [x.destination, [x.status, x.stage, x.notes]]));
    expect(by).toEqual({
      '+61491570156': ['SENT', 'Confirmed', null],
      '+61491570002': ['EXPIRED', 'Expired', 'EXPIRED: not fetched before its expiry'],
      '+61491570031': ['FAILED', 'Rejected', 'MM7 StatusCode 2004: Multimedia content refused'],
      '+61491570032': ['SENT', 'Confirmed', 'the MMS was refused (StatusCode 2004); delivered as an SMS with a link'],
      '+61491570006': ['SENT', 'Confirmed', null],
    });
    // Which path each took: the sandbox answers as an MMSC, and 032 as a fallen-back link.
    expect(Object.fromEntries(report.reports.map((x: { destination: string; mms_path: string | null }) => [x.destination, x.mms_path]))).toEqual({
      '+61491570156': 'mm7',
      '+61491570002': 'mm7',
      '+61491570031': null,
      '+61491570032': 'sms_link',
      '+61491570006': 'mm7',
    });
    // A status callback per recipient, and the reply forwarded.
    await d.waitFor(() => cb.got.filter((g) => g.form.Status).length >= 5);
    const forms = cb.got.filter((g) => g.form.Status).map((g) => [g.form.Reference, g.form.Status]);
    expect(forms.sort()).toEqual([
      ['r1', 'SENT'],
      ['r2', 'EXPIRED'],
      ['r3', 'FAILED'],
      ['r4', 'SENT'],
      ['r5', 'SENT'],
    ]);
    await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM inbound WHERE job_id = ? AND channel = 'mms'").get(job) as { n: number }).n === 1);
    const reply = d.db.prepare('SELECT sender, body, channel FROM inbound WHERE job_id = ?').get(job);
    expect(reply).toEqual({ sender: '+61491570006', body: 'Yes, thanks', channel: 'mms' });
    // The reply e-mail to response_email_address, as for a 2 way sms.
    const mail = await d.waitFor(() => d.db.prepare(`SELECT id FROM jobs WHERE json_extract(options, '$.for_job') = ? AND json_extract(options, '$.system') = 'reply'`).get(job) as { id: number } | undefined);
    expect((d.db.prepare('SELECT destination FROM recipients WHERE job_id = ?').get(mail.id) as { destination: string }).destination).toBe('mmsresponses@mydomain.com');
    const forwarded = await d.waitFor(() => cb.got.find((g) => g.form.Response));
    expect(forwarded.form).toMatchObject({ BroadcastID: String(job), Reference: 'r5', Destination: '61491570006', Response: 'Yes, thanks' });
  }, 60_000);

  it("takes a list's contacts by their mobile (else phone)", async () => {
    const token = await bearer(d, 'alice', 'alice-secret');
    const g = (await d.api('POST', '/groups', { auth: token, body: { name: 'mms list' } })).json as number;
    await d.api('POST', `/groups/${g}/csv`, { auth: token, raw: 'first_name,phone,mobile\nAnn,+61491573156,+61491573157\nBen,+61491573158,\n', headers: { 'content-type': 'text/csv' } });
    const small = await noisyJpeg(120, 90, 70);
    const r = await post({ job_type: 'mms', subject: 'Dear %%first_name%%', message: 'Hi %%first_name%%', files: [{ name: 's.jpg', base64content: small.toString('base64') }], user_list_ids: String(g) });
    expect(r.status, r.text).toBe(200);
    await d.waitFor(complete(r.json.data));
    expect(d.db.prepare('SELECT destination, name, state FROM recipients WHERE job_id = ? ORDER BY seq').all(r.json.data)).toEqual([
      { destination: '+61491573157', name: 'Ann', state: 'delivered' },
      { destination: '+61491573158', name: 'Ben', state: 'delivered' },
    ]);
    // Kept byte for byte: small enough already.
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(r.json.data) as { content: string }).content);
    expect(readFileSync(content.media[0].file).equals(small)).toBe(true);
  });

  it('refuses with 422 naming the file a medium that cannot fit, and stores no job', async () => {
    const before = (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const long = lavfi('mp3', 600);
    const r = await post({ job_type: 'mms', message: 'Listen', files: [{ name: 'lecture.mp3', base64content: long.toString('base64') }], recipients: [{ destination: '+61491570156' }] });
    expect(r.status).toBe(422);
    expect(r.json.errors).toMatch(/^Validation failed: files: "lecture\.mp3": cannot be made to fit in \d+ bytes: 600\.\d s of audio/);
    const notMedia = await post({ job_type: 'mms', files: [{ name: 'pic.jpg', base64content: Buffer.from('just text').toString('base64') }], recipients: [{ destination: '+61491570156' }] });
    expect(notMedia.status).toBe(422);
    expect(notMedia.json.errors).toBe('Validation failed: files: "pic.jpg": is not an image (JPEG, PNG, GIF), audio or video file');
    const none = await post({ job_type: 'mms', message: 'no media', recipients: [{ destination: '+61491570156' }] });
    expect(none.status).toBe(422);
    expect(none.json.errors).toBe('Validation failed: files: at least one media file is required for mms jobs');
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(before);
  }, 60_000);
});
