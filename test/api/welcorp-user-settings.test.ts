import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

// Seed 000's user fields that shape the user's jobs: each is checked as it is set, and applies to
// the next job (and report) of that user.
let d: TestDaemon;
let u: { id: number; auth: string };

const put = (body: Record<string, unknown>) => d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body });
const post = (body: Record<string, unknown>) => d.api('POST', '/api/v1/jobs', { auth: u.auth, body });
const jobRow = (id: number) => d.db.prepare('SELECT sender, callback_url, content, options, status FROM jobs WHERE id = ?').get(id) as { sender: string | null; callback_url: string | null; content: string; options: string; status: string };
const complete = (id: number) => () => jobRow(id).status === 'complete';
const profile = () => (d.db.prepare('SELECT profile FROM users WHERE id = ?').get(u.id) as { profile: string }).profile;

beforeAll(async () => {
  d = await testDaemon();
  u = d.addUser('au/settings', 'user');
});
afterAll(() => d.close());

describe("the user's own settings", () => {
  it('refuses a setting a job could not use, naming the field, and stores nothing', async () => {
    const before = profile();
    for (const [body, field] of [
      [{ call_back_url: 'file:///etc/passwd' }, 'call_back_url'],
      [{ call_back_url: 'not a url' }, 'call_back_url'],
      [{ default_sms_sender_id: 'ABCDEFGHIJKLMN' }, 'default_sms_sender_id'],
      [{ default_voice_caller_id: 'call me' }, 'default_voice_caller_id'],
      [{ default_tts_voice: 'hal9000' }, 'default_tts_voice'],
      [{ default_tts_voice: 'constructor' }, 'default_tts_voice'],
      [{ tts_repeat_count: 0 }, 'tts_repeat_count'],
      [{ tts_repeat_count: 2.5 }, 'tts_repeat_count'],
      [{ tts_max_character_limit: 99999 }, 'tts_max_character_limit'],
      [{ tts_message_prefix: 'x'.repeat(501) }, 'tts_message_prefix'],
      [{ hide_costs_in_reports: 'maybe' }, 'hide_costs_in_reports'],
      [{ filter_non_ascii_in_sms: 2 }, 'filter_non_ascii_in_sms'],
      // E-mail to fax's settings (src/api/mail/README.md).
      [{ etob_email_address: 'not an address' }, 'etob_email_address'],
      [{ etob_ip_whitelist: '192.0.2.0/24, example.com' }, 'etob_ip_whitelist'],
      [{ etob_ip_whitelist_alert_address: 'a@example.com, nope' }, 'etob_ip_whitelist_alert_address'],
      [{ etob_authentication_type: 'password' }, 'etob_authentication_type'],
      [{ etob_subject_behaviour: 'shout' }, 'etob_subject_behaviour'],
      [{ etob_disabled: 'maybe' }, 'etob_disabled'],
    ] as const) {
      const r = await put(body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.json.errors).toMatch(new RegExp(`^Validation failed: ${field}: `));
    }
    expect(profile()).toBe(before);
  });

  it('sends SMS from default_sms_sender_id unless the job names a sender, and posts to call_back_url unless the job names one', async () => {
    expect((await put({ default_sms_sender_id: 'Acme', call_back_url: 'https://hooks.example.com/sms' })).status).toBe(200);
    const plain = await post({ job_type: 'sms', message: 'x', recipients: [{ destination: '+61491576901' }] });
    expect(jobRow(plain.json.data)).toMatchObject({ sender: 'Acme', callback_url: 'https://hooks.example.com/sms' });
    const own = await post({ job_type: 'sms', message: 'x', manual_sender_id: 'Other', callback_url: 'https://mine.example.com/cb', recipients: [{ destination: '+61491576902' }] });
    expect(jobRow(own.json.data)).toMatchObject({ sender: 'Other', callback_url: 'https://mine.example.com/cb' });
    expect((await put({ default_sms_sender_id: null, call_back_url: null })).status).toBe(200);
    expect(jobRow((await post({ job_type: 'sms', message: 'x', recipients: [{ destination: '+61491576903' }] })).json.data)).toMatchObject({ sender: null, callback_url: null });
  });

  it('speaks with default_tts_voice, under tts_max_character_limit', async () => {
    expect((await put({ default_tts_voice: 'jack', tts_max_character_limit: 20 })).status).toBe(200);
    const long = await post({ job_type: 'tts', message: 'This message is longer than twenty', recipients: [{ destination: '+61491576904' }] });
    expect(long.json).toEqual({ status: 422, errors: "Validation failed: message: must be at most 20 characters (the user's tts_max_character_limit)" });
    const ok = await post({ job_type: 'tts', message: 'Short one', recipients: [{ destination: '+61491576905' }] });
    expect(ok.status, ok.text).toBe(200);
    expect(JSON.parse(jobRow(ok.json.data).content)).toMatchObject({ kind: 'call', voice: 'jack', text: { template: 'Short one' } });
    const chosen = await post({ job_type: 'tts', message: 'Short one', voice: 'sophie', recipients: [{ destination: '+61491576906' }] });
    expect(JSON.parse(jobRow(chosen.json.data).content)).toMatchObject({ voice: 'sophie' });
    await put({ default_tts_voice: null, tts_max_character_limit: null });
  });

  it('with filter_non_ascii_in_sms, sends a text that would need UCS-2 in GSM 7-bit', async () => {
    const text = 'Grüße – “quoted” ✓';
    const before = await post({ job_type: 'sms', message: text, recipients: [{ destination: '+61491576907' }] });
    expect((await put({ filter_non_ascii_in_sms: true })).status).toBe(200);
    const after = await post({ job_type: 'sms', message: text, recipients: [{ destination: '+61491576908' }] });
    await d
      .waitFor(() => complete(before.json.data)() && complete(after.json.data)())
      .catch(() => expect.fail(JSON.stringify(d.db.prepare('SELECT job_id, state, reason FROM recipients WHERE job_id IN (?, ?)').all(before.json.data, after.json.data))));
    const encoding = async (id: number) => (await d.api('GET', `/api/v1/jobs/${id}`, { auth: u.auth })).json.data.reports[0].sms_encoding;
    expect(await encoding(before.json.data)).toBe('ucs2');
    expect(await encoding(after.json.data)).toBe('gsm7');
    await put({ filter_non_ascii_in_sms: false });
  });

  it('with hide_costs_in_reports, shows no costs in the list, the detail or the reports', async () => {
    const job = (await post({ job_type: 'sms', message: 'x', recipients: [{ destination: '+61491576909' }] })).json.data as number;
    await d.waitFor(complete(job));
    const costs = async () => {
      const detail = (await d.api('GET', `/api/v1/jobs/${job}`, { auth: u.auth })).json.data;
      const listed = (await d.api('GET', '/api/v1/jobs?page_size=100', { auth: u.auth })).json.data.find((j: { job_id: number }) => j.job_id === job);
      return [detail.cost, detail.total_amount, detail.reports[0].message_cost, listed.total_amount];
    };
    expect((await costs()).every((c) => typeof c === 'number')).toBe(true);
    expect((await put({ hide_costs_in_reports: true })).status).toBe(200);
    expect(await costs()).toEqual([null, null, null, null]);
    await put({ hide_costs_in_reports: false });
  });

  it("never echoes a file's contents in the job's detail", async () => {
    const wav = Buffer.alloc(8000 * 2 + 44);
    wav.write('RIFF', 0);
    wav.writeUInt32LE(wav.length - 8, 4);
    wav.write('WAVEfmt ', 8);
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(1, 22);
    wav.writeUInt32LE(8000, 24);
    wav.writeUInt32LE(16000, 28);
    wav.writeUInt16LE(2, 32);
    wav.writeUInt16LE(16, 34);
    wav.write('data', 36);
    wav.writeUInt32LE(16000, 40);
    const b64 = wav.toString('base64');
    const r = await post({ job_type: 'voice', audiofile: { name: 'hello.wav', base64content: b64 }, recipients: [{ destination: '+61491576910' }] });
    expect(r.status, r.text).toBe(200);
    const detail = await d.api('GET', `/api/v1/jobs/${r.json.data}`, { auth: u.auth });
    expect(detail.json.data.audiofile).toEqual({ name: 'hello.wav' });
    expect(detail.text).not.toContain(b64.slice(0, 64));
    expect(jobRow(r.json.data).options).not.toContain(b64.slice(0, 64));

    // The seed's field table names the voice file `attachments`: one file there is the job's recording.
    const viaAttachments = await post({ job_type: 'voice', attachments: [{ name: 'hello.wav', base64content: b64 }], recipients: [{ destination: '+61491576911' }] });
    expect(viaAttachments.status, viaAttachments.text).toBe(200);
    expect(JSON.parse(jobRow(viaAttachments.json.data).content)).toMatchObject({ kind: 'call', recording: { name: 'hello.wav', file: expect.stringMatching(/\.wav$/) } });
    const two = await post({
      job_type: 'voice',
      attachments: [
        { name: 'a.wav', base64content: b64 },
        { name: 'b.wav', base64content: b64 },
      ],
      recipients: [{ destination: '+61491576912' }],
    });
    expect(two.json).toEqual({ status: 422, errors: 'Validation failed: attachments: a voice job plays one audio file, 2 given' });
    const bad = await post({ job_type: 'voice', attachments: [{ name: 'x.wav', base64content: Buffer.from('not audio').toString('base64') }], recipients: [{ destination: '+61491576913' }] });
    expect(bad.status).toBe(422);
    expect(bad.json.errors).toMatch(/^Validation failed: attachments\.0 "x\.wav": /);
    const none = await post({ job_type: 'voice', recipients: [{ destination: '+61491576914' }] });
    expect(none.json.errors).toMatch(/audiofile: is required for voice jobs/);
  });
});
