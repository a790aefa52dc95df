import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';
import { SEED_2WAY, SEED_LIST, SEED_OVERVIEW, SEED_SMS, SEED_TTS, SEED_2WAY_TTS } from '../fixtures/welcorp-seed.js';

let d: TestDaemon;
let admin: { id: number; auth: string };
let agent: { id: number; auth: string };
let alice: { id: number; auth: string };
let bob: { id: number; auth: string };
let carol: { id: number; auth: string };

const jobCount = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
const recipientCount = () => (d.db.prepare('SELECT COUNT(*) AS n FROM recipients').get() as { n: number }).n;
const finished = (id: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete';

beforeAll(async () => {
  d = await testDaemon();
  admin = d.addUser('au/admin', 'admin');
  agent = d.addUser('au/agent', 'agent');
  alice = d.addUser('au/alice', 'user', { agent: agent.id });
  bob = d.addUser('au/bob', 'user', { agent: agent.id });
  carol = d.addUser('au/carol', 'user');
});
afterAll(async () => d.close());

describe('authentication', () => {
  it('refuses missing and wrong credentials with 401 in the envelope', async () => {
    const none = await d.api('GET', '/api/v1/jobs');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ status: 401, errors: 'Invalid credentials.' });
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('au/alice', 'wrong') })).status).toBe(401);
    expect((await d.api('GET', '/api/v1/jobs', { auth: 'Basic !!!' })).status).toBe(401);
  });
});

describe('methods', () => {
  it('answers a known path asked with a method it does not take 405 with Allow, an unknown path 404, and either only after the login', async () => {
    const ask = async (method: string, path: string, auth?: string) => {
      const res = await fetch(d.url + path, { method, headers: auth ? { authorization: auth } : {} });
      return { status: res.status, allow: res.headers.get('allow'), json: (await res.json()) as unknown };
    };
    expect(await ask('DELETE', '/api/v1/jobs', alice.auth)).toEqual({ status: 405, allow: 'GET, HEAD, POST', json: { status: 405, errors: 'Method not allowed: /api/v1/jobs takes GET, HEAD, POST' } });
    const one = await ask('PATCH', '/api/v1/jobs/12345', alice.auth);
    expect(one.status).toBe(405);
    expect(one.allow?.split(', ')).toContain('GET');
    expect(one.allow?.split(', ')).not.toContain('PATCH');
    expect((await ask('PUT', '/api/v1/jobs/12345?x=1', alice.auth)).status).toBe(405);
    expect(await ask('DELETE', '/api/v1/nothing-here', alice.auth)).toEqual({ status: 404, allow: null, json: { status: 404, errors: 'Not found' } });
    expect((await ask('DELETE', '/api/v1/jobs')).status).toBe(401);
  });
});

describe('POST /api/v1/jobs', () => {
  it('accepts the seed SMS example and delivers it with merged text and a callback URL taken from callback_on_sms_status_update', async () => {
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: SEED_SMS });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, data: expect.any(Number) });
    const id = r.json.data as number;
    await d.waitFor(finished(id));
    const detail = await d.api('GET', `/api/v1/jobs/${id}`, { auth: alice.auth });
    expect(detail.status).toBe(200);
    const data = detail.json.data;
    expect(data).toMatchObject({
      job_id: id,
      user_id: alice.id,
      user_code: 'au/alice',
      job_type: 'SMS',
      job_name: 'My SMS test',
      job_status: 'Complete',
      total_recipients: 1,
      sent_recipients: 1,
      failed_recipients: 0,
      manual_sender_id: '+61417914491',
      callback_url: 'https://myserver.com/callback',
      callback_on_sms_status_update: true,
    });
    expect(data.start_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]1[01]:00$/);
    expect(data.recipients[0]).toEqual({ destination: '+61491570156', reference: 'Main tester', recipient: 'Jane Smith', field1: 'test value 1a', field2: 'test value 1b' });
    expect(data.reports[0]).toMatchObject({ reference: 'Main tester', recipient: 'Jane Smith', destination: '+61491570156', status: 'SENT', stage: 'Confirmed', notes: 'SenderID: +61417914491.' });
    const attempt = d.db.prepare('SELECT destination, sender, status, peer_id FROM attempts WHERE job_id = ?').get(id) as Record<string, string>;
    expect(attempt).toMatchObject({ destination: '+61491570156', sender: '+61417914491', status: 'delivered', peer_id: expect.any(String) });
  });

  it('refuses at submit only a text no encoding fits in 10 parts: Latin-1 and GSM-extension texts a Latin-1 provider sends in fewer pass', async () => {
    const post = (message: string) => d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message, recipients: [{ destination: '+61491570156' }] } });
    // 1000 "ê": 15 parts in UCS-2, 8 in Latin-1. 1000 "{": 14 parts in GSM (two septets each), 8 in Latin-1.
    for (const message of ['ê'.repeat(1000), '{'.repeat(1000)]) expect((await post(message)).status, message.slice(0, 3)).toBe(200);
    // Cyrillic has only UCS-2: 1370 characters are 21 parts there, whatever the provider.
    const cyrillic = await post('Привет '.repeat(195) + 'Ж'.repeat(5));
    expect(cyrillic.status).toBe(422);
    expect(cyrillic.json.errors).toBe('Validation failed: message: the message needs 21 parts in ucs2, more than the limit of 10 parts');
    // Past Latin-1's 10 parts too: refused, naming the encoding that came closest.
    expect((await post('ê'.repeat(1341))).json.errors).toBe('Validation failed: message: the message needs 11 parts in latin1, more than the limit of 10 parts');
  });

  it('fails an invalid number alone and reports why (seed overview example)', async () => {
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_OVERVIEW, recipients: [...SEED_OVERVIEW.recipients, { destination: '0491 570 156', recipient: 'Local' }] } });
    expect(r.status).toBe(200);
    await d.waitFor(finished(r.json.data));
    const { data } = (await d.api('GET', `/api/v1/jobs/${r.json.data}`, { auth: alice.auth })).json;
    expect(data.reports.map((x: { status: string }) => x.status)).toEqual(['INVALID', 'INVALID', 'SENT']);
    expect(data.failed_recipients).toBe(2);
    expect(data.sent_recipients).toBe(1);
  });

  it('dedupes numbers written differently when dedupe is 1, and keeps them when 0', async () => {
    const recipients = [{ destination: '+61491570156' }, { destination: '0491 570 156' }, { destination: '0061491570156' }, { destination: '+61491570157' }];
    const on = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message: 'x', dedupe: 1, recipients } });
    const off = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message: 'x', dedupe: 0, recipients } });
    const total = (id: number) => (d.db.prepare('SELECT total FROM jobs WHERE id = ?').get(id) as { total: number }).total;
    expect(total(on.json.data)).toBe(2);
    expect(total(off.json.data)).toBe(4);
  });

  it('holds a scheduled job until its date', async () => {
    const when = new Date(Date.now() + 3600_000).toISOString();
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message: 'later', scheduled_date: when, recipients: [{ destination: '+61491570156' }] } });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 200));
    const row = d.db.prepare('SELECT state, due_at FROM recipients WHERE job_id = ?').get(r.json.data) as { state: string; due_at: number };
    expect(row.state).toBe('queued');
    expect(row.due_at).toBe(Date.parse(when));
  });

  it('answers the 2-way, TTS and 2-way TTS seed examples, and 422 for an mms job without its media (every job type is available now)', async () => {
    expect((await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: SEED_2WAY })).status).toBe(200);
    expect((await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: SEED_TTS })).status).toBe(200);
    const twoWay = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: SEED_2WAY_TTS });
    expect(twoWay.status).toBe(200);
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(twoWay.json.data) as { content: string }).content);
    expect(content.responses).toEqual([
      { key: '1', message: "Thanks, you're being redirected", redirectTo: '+6987654321' },
      { key: '2', message: "Thanks, you're NOT being redirected", redirectTo: null },
      { key: '3', message: null, redirectTo: '+6987654322' },
    ]);
    const mms = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'mms', recipients: [{ destination: '+61491570156' }], message: 'x' } });
    expect(mms.status).toBe(422);
    expect(mms.json.errors).toBe('Validation failed: files: at least one media file is required for mms jobs');
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...SEED_TTS, voice: 'klingon' }, /voice: unknown voice "klingon"/],
      [{ ...SEED_2WAY_TTS, two_way_key_responses: [{ key_press: 'A', response_message: 'x' }] }, /key_press: a key is 0-9, \* or #/],
      [
        {
          ...SEED_2WAY_TTS,
          two_way_key_responses: [
            { key_press: '1', response_message: 'x' },
            { key_press: 1, response_message: 'y' },
          ],
        },
        /given twice/,
      ],
      [{ ...SEED_2WAY_TTS, two_way_key_responses: [{ key_press: '1', redirect_to: 'reception' }] }, /redirect_to/],
      [{ ...SEED_TTS, two_way_key_responses: [{ key_press: '1', response_message: 'x' }] }, /only for "2 way tts"/],
    ];
    for (const [body, pattern] of bad) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body });
      expect(r.status).toBe(422);
      expect(r.json.errors).toMatch(pattern);
    }
  });

  it("reads user_list_ids in every accepted shape as contact groups, naming one that is not the user's", async () => {
    for (const ids of [SEED_LIST.user_list_ids, 1234, [1234, '5678']]) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_LIST, user_list_ids: ids } });
      expect(r.status).toBe(422);
      expect(r.json.errors).toMatch(/user_list_ids: list \d+ not found/);
    }
    const bad = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { ...SEED_LIST, user_list_ids: '12,abc' } });
    expect(bad.json.errors).toMatch(/user_list_ids: expected list ids/);
  });

  describe('bad input gets a clear 4xx in the envelope and stores nothing', () => {
    const cases: [string, { raw?: string; body?: unknown; headers?: Record<string, string> }, number, RegExp][] = [
      ['malformed JSON', { raw: '{"job_type": "sms", ' }, 400, /Malformed JSON/],
      ['the seed\'s own non-JSON ("=>")', { raw: '{ "job_type" => "tts" }' }, 400, /Malformed JSON/],
      ['an empty body', { raw: '' }, 400, /empty/],
      ['not an object', { body: [1, 2] }, 422, /JSON object/],
      ['a wrong type', { body: { job_type: 'sms', message: 5, recipients: [{ destination: '+61491570156' }] } }, 422, /message/],
      ['an unknown job_type', { body: { job_type: 'pigeon', message: 'x', recipients: [{ destination: '+61491570156' }] } }, 422, /job_type: must be one of/],
      ['no recipients', { body: { job_type: 'sms', message: 'x', recipients: [] } }, 422, /recipients: at least one/],
      ['neither recipients nor lists', { body: { job_type: 'sms', message: 'x' } }, 422, /recipients: give recipients or user_list_ids/],
      ['no message', { body: { job_type: 'sms', recipients: [{ destination: '+61491570156' }] } }, 422, /message: is required/],
      ['a 1 MB message', { body: { job_type: 'sms', message: 'x'.repeat(1024 * 1024), recipients: [{ destination: '+61491570156' }] } }, 422, /message: must be at most/],
      ['a destination that is not a number', { body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }, { destination: '+61 491;uuid_kill all' }] } }, 422, /recipients\.1\.destination: not a phone number/],
      ['a missing destination', { body: { job_type: 'sms', message: 'x', recipients: [{ recipient: 'Jane' }] } }, 422, /recipients\.0\.destination/],
      ['an unknown field', { body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }], colour: 'red' } }, 422, /unknown field "colour"/],
      ['a merge value that is an object', { body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156', field1: { a: 1 } }] } }, 422, /recipients\.0\.field1: a merge value must be/],
      ['an over-long reference', { body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156', reference: 'r'.repeat(256) }] } }, 422, /recipients\.0\.reference: expected a string/],
      ['a recipient that is not an object', { body: { job_type: 'sms', message: 'x', recipients: ['+61491570156'] } }, 422, /recipients\.0: expected an object/],
      ['a bad merge field name', { body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156', 'a%%b': 'x' }] } }, 422, /merge field names/],
      ['a bad scheduled_date', { body: { job_type: 'sms', message: 'x', scheduled_date: 'next tuesday', recipients: [{ destination: '+61491570156' }] } }, 422, /scheduled_date/],
      ['a bad cutoff_hour', { body: { job_type: 'sms', message: 'x', cutoff_hour: '25:00', recipients: [{ destination: '+61491570156' }] } }, 422, /cutoff_hour/],
      ['a non-http callback_url', { body: { job_type: 'sms', message: 'x', callback_url: 'file:///etc/passwd', recipients: [{ destination: '+61491570156' }] } }, 422, /callback_url: only http and https/],
      [
        'a message with an escape sequence in it',
        { body: { job_type: 'sms', message: 'Hi \u001b[31mJane', recipients: [{ destination: '+61491570156' }] } },
        422,
        /^Validation failed: message: contains a control character \(U\+001B at character 4\); only LF, CR and TAB are taken$/,
      ],
      ['a message with a C1 control in it', { body: { job_type: 'sms', message: 'Line one\r\n\tLine two\u0085', recipients: [{ destination: '+61491570156' }] } }, 422, /message: contains a control character \(U\+0085 at character 20\)/],
      ['an over-long sender', { body: { job_type: 'sms', message: 'x', manual_sender_id: 'ABCDEFGHIJKLMN', recipients: [{ destination: '+61491570156' }] } }, 422, /manual_sender_id/],
      ['a form-encoded body', { raw: 'job_type=sms', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, /application\/json/],
    ];
    for (const [name, req, status, message] of cases) {
      it(name, async () => {
        const jobs = jobCount();
        const rcpts = recipientCount();
        const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, ...req });
        expect(r.status).toBe(status);
        expect(r.json).toEqual({ status, errors: expect.stringMatching(message) });
        expect(jobCount()).toBe(jobs);
        expect(recipientCount()).toBe(rcpts);
      });
    }
  });
});

describe('GET /api/v1/jobs and visibility', () => {
  let bobJob: number;
  let carolJob: number;
  beforeAll(async () => {
    bobJob = (await d.api('POST', '/api/v1/jobs', { auth: bob.auth, body: { job_type: 'sms', job_name: 'Schedule-Reminder', message: 'b', recipients: [{ destination: '+61491570156' }] } })).json.data;
    carolJob = (await d.api('POST', '/api/v1/jobs', { auth: carol.auth, body: { job_type: '2 Way SMS', job_name: 'Carol', message: 'c', recipients: [{ destination: '+61491570156' }] } })).json.data;
  });

  const ids = async (auth: string, q = '') => ((await d.api('GET', `/api/v1/jobs?page_size=1000${q}`, { auth })).json.data as { job_id: number }[]).map((j) => j.job_id);

  it("a user sees only its jobs, an agent its users', an admin all", async () => {
    const forAlice = await ids(alice.auth);
    expect(forAlice).not.toContain(bobJob);
    expect(forAlice).not.toContain(carolJob);
    const forAgent = await ids(agent.auth);
    expect(forAgent).toContain(bobJob);
    expect(forAgent).not.toContain(carolJob);
    expect(forAgent.length).toBe(forAlice.length + 1);
    const forAdmin = await ids(admin.auth);
    expect(forAdmin).toContain(carolJob);
    expect(forAdmin.length).toBe(forAgent.length + 1);
  });

  it("GET /jobs/{id} answers 403 for another user's job, 404 for none", async () => {
    expect((await d.api('GET', `/api/v1/jobs/${carolJob}`, { auth: alice.auth })).json).toEqual({ status: 403, errors: 'Permission denied' });
    expect((await d.api('GET', `/api/v1/jobs/${bobJob}`, { auth: agent.auth })).status).toBe(200);
    expect((await d.api('GET', `/api/v1/jobs/${carolJob}`, { auth: agent.auth })).status).toBe(403);
    expect((await d.api('GET', '/api/v1/jobs/99999999', { auth: admin.auth })).status).toBe(404);
    expect((await d.api('GET', '/api/v1/jobs/abc', { auth: admin.auth })).status).toBe(404);
  });

  it('filters by name, type and status case-insensitively, by user id and code, and by start dates', async () => {
    expect(await ids(admin.auth, '&job_name=Schedule-Reminder')).toEqual([bobJob]);
    expect(await ids(admin.auth, '&job_type=2%20way%20sms')).toContain(carolJob);
    expect(await ids(admin.auth, '&job_type=SMS')).not.toContain(carolJob);
    expect(await ids(admin.auth, `&user_id=${carol.id}`)).toEqual([carolJob]);
    expect(await ids(admin.auth, '&user_code=au/bob')).toEqual([bobJob]);
    expect(await ids(admin.auth, '&start_after=2999-01-01')).toEqual([]);
    expect((await ids(admin.auth, '&start_before=2999-01-01')).length).toBeGreaterThan(2);
    expect(await ids(alice.auth, `&user_id=${carol.id}`)).toEqual([]);
    const done = await ids(alice.auth, '&job_status=COMPLETE');
    const open = await ids(alice.auth, '&job_status=broadcast%20submitted');
    expect(done.length + open.length).toBe((await ids(alice.auth)).length);
    expect((await d.api('GET', '/api/v1/jobs?job_type=carrier-pigeon', { auth: admin.auth })).status).toBe(422);
    expect((await d.api('GET', '/api/v1/jobs?page_size=0', { auth: admin.auth })).json).toEqual({ status: 422, errors: expect.stringMatching(/page_size/) });
    expect((await d.api('GET', '/api/v1/jobs?start_after=soon', { auth: admin.auth })).status).toBe(422);
  });

  it("pages with the seed's envelope, key for key", async () => {
    const r = await d.api('GET', '/api/v1/jobs?job_type=sms&page_size=2&page=2', { auth: admin.auth });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['current_page', 'data', 'first_page_url', 'from', 'last_page', 'last_page_url', 'links', 'next_page_url', 'path', 'per_page', 'prev_page_url', 'to', 'total', 'status']);
    expect(r.json).toMatchObject({ current_page: 2, from: 3, to: 4, per_page: 2, status: 200, path: '/api/v1/jobs' });
    expect(r.json.prev_page_url).toBe('/api/v1/jobs?job_type=sms&page_size=2&page=1');
    expect(r.json.links[0]).toEqual({ url: r.json.prev_page_url, label: '« Previous', active: false });
    expect(r.json.links.find((l: { active: boolean }) => l.active)).toMatchObject({ label: '2' });
    expect(r.json.links.at(-1).label).toBe('Next »');
    expect(Object.keys(r.json.data[0])).toEqual([
      'job_id',
      'user_id',
      'user_code',
      'job_type',
      'job_name',
      'start_date',
      'send_date',
      'complete_date',
      'scheduled_date',
      'total_recipients',
      'failed_recipients',
      'sent_recipients',
      'total_amount',
      'job_status',
      'details_url',
    ]);
    expect(r.json.data[0].start_date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
