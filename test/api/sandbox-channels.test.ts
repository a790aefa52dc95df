import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';

// Issue 18, "a sandbox for every channel": the sandbox's call and fax test numbers, seen through the
// faces (v1 reports and callbacks, ICTCore's spools and results). Codes in src/gateways/sandbox/README.md.

let d: TestDaemon;
let rx: Awaited<ReturnType<typeof callbackReceiver>>;
let user: { id: number; auth: string };

beforeAll(async () => {
  d = await testDaemon();
  rx = await callbackReceiver();
  user = d.addUser('sandy', 'user', { password: 'sandy-secret' });
});
afterAll(async () => {
  await d.close();
  await rx.close();
});

const number = (code: string) => `+61491570${code}`;
const finished = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const pdf = async (pages: number) => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) doc.addPage([595, 842]).drawText(`Page ${i}`, { x: 50, y: 750, size: 30, font });
  return Buffer.from(await doc.save());
};
const reportsByDestination = async (job: number) => {
  const r = await d.api('GET', `/api/v1/jobs/${job}`, { auth: user.auth });
  expect(r.status, r.text).toBe(200);
  return { job: r.json.data, by: new Map((r.json.data.reports as { destination: string }[]).map((x) => [x.destination, x as Record<string, unknown>])) };
};

describe('sandbox calls (v1 API)', () => {
  it('a 2-way TTS job: answered with a duration, busy, no answer, keys 1/2/3 with the responses and redirects, voicemail — in the report and the callbacks', async () => {
    const codes = ['011', '012', '013', '014', '015', '016', '017'];
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: user.auth,
      body: {
        job_type: '2 way tts',
        job_name: 'sandbox calls',
        message: 'Press 1 to talk to us, 2 for a message, 3 to be put through',
        callback_url: rx.url,
        // The seed's own example: 1 says something and redirects, 2 only says something, 3 only redirects.
        two_way_key_responses: [
          { key_press: '1', redirect_to: '+61491570999', response_message: "Thanks, you're being redirected" },
          { key_press: '2', response_message: "Thanks, you're NOT being redirected" },
          { key_press: '3', redirect_to: '+61491570998' },
        ],
        recipients: codes.map((c) => ({ destination: number(c), reference: `r${c}` })),
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(finished(job), 20_000);
    const { job: detail, by } = await reportsByDestination(job);
    expect(by.get(number('011'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 30 });
    expect(by.get(number('012'))).toMatchObject({ status: 'BUSY' });
    expect(by.get(number('013'))).toMatchObject({ status: 'NO ANSWER' });
    // 12 s to the key, 8 s for a response message, 60 s for the bridged redirect.
    expect(by.get(number('014'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 80 });
    expect(by.get(number('015'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 20 });
    expect(by.get(number('016'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 72 });
    expect(by.get(number('017'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 25 });
    expect(detail.total_duration).toBe(30 + 80 + 20 + 72 + 25);
    // Busy and no answer were retried by the spool's policy (3 tries), as FreeSWITCH's causes are.
    const tries = d.db.prepare(`SELECT destination, tries, reason FROM recipients WHERE job_id = ? AND destination IN (?, ?) ORDER BY destination`).all(job, number('012'), number('013'));
    expect(tries).toEqual([
      { destination: number('012'), tries: 3, reason: 'user busy (after 3 tries)' },
      { destination: number('013'), tries: 3, reason: 'no answer (after 3 tries)' },
    ]);
    // The attempts say what FreeSWITCH's would: the cause and the seconds.
    expect(d.db.prepare(`SELECT status, response FROM attempts WHERE job_id = ? AND destination = ?`).all(job, number('014'))).toEqual([{ status: 'delivered', response: 'NORMAL_CLEARING answered, 80 s' }]);
    expect(d.db.prepare(`SELECT DISTINCT response FROM attempts WHERE job_id = ? AND destination = ?`).all(job, number('012'))).toEqual([{ response: 'USER_BUSY user busy' }]);

    await d.waitFor(() => rx.got.filter((c) => c.form.BroadcastID === String(job)).length >= codes.length);
    const cb = new Map(rx.got.filter((c) => c.form.BroadcastID === String(job)).map((c) => [c.form.Reference, c.form]));
    expect(cb.get('r011')).toMatchObject({ Status: 'SENT', Duration: '30', Keypress: '', Voicemail: 'false' });
    expect(cb.get('r012')).toMatchObject({ Status: 'BUSY', Duration: '0' });
    expect(cb.get('r013')).toMatchObject({ Status: 'NO ANSWER', Duration: '0' });
    expect(cb.get('r014')).toMatchObject({ Duration: '80', Keypress: '1', Voicemail: 'false' });
    expect(cb.get('r015')).toMatchObject({ Duration: '20', Keypress: '2' });
    expect(cb.get('r016')).toMatchObject({ Duration: '72', Keypress: '3' });
    expect(cb.get('r017')).toMatchObject({ Duration: '25', Keypress: '', Voicemail: 'true' });
  });

  it('a 1-way TTS job collects no key: a keypress number is simply answered; SMS codes keep their SMS meaning', async () => {
    const r = await d.api('POST', '/api/v1/jobs', { auth: user.auth, body: { job_type: 'tts', message: 'Hello', recipients: [{ destination: number('014') }, { destination: number('156') }] } });
    const job = r.json.data as number;
    await d.waitFor(finished(job), 20_000);
    const { by } = await reportsByDestination(job);
    expect(by.get(number('014'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 30 });
    expect(by.get(number('156'))).toMatchObject({ status: 'SENT', stage: 'Confirmed', duration: 30 });
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM results WHERE job_id = ? AND kind = 'keypress'`).get(job)).toEqual({ n: 0 });
    const sms = await d.api('POST', '/api/v1/jobs', { auth: user.auth, body: { job_type: 'sms', message: 'Hi', recipients: [{ destination: number('001') }, { destination: number('012') }] } });
    await d.waitFor(finished(sms.json.data), 20_000);
    const { by: smsBy } = await reportsByDestination(sms.json.data);
    expect(smsBy.get(number('001'))).toMatchObject({ status: 'FAILED', stage: 'Undeliverable' });
    expect(smsBy.get(number('012'))).toMatchObject({ status: 'SENT', stage: 'Confirmed' });
  });
});

describe('sandbox calls and faxes (ICTCore)', () => {
  let token: string;
  beforeAll(async () => {
    token = await bearer(d, 'sandy', 'sandy-secret');
  });
  const transmission = async (program: number, phone: string) => {
    const contact = (await d.api('POST', '/contacts', { auth: token, body: { first_name: 'T', phone } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: token, body: { program_id: program, contact_id: contact, try_allowed: 3 } })).json as number;
    const sent = await d.api('POST', `/transmissions/${id}/send`, { auth: token });
    expect(sent.status, sent.text).toBe(200);
    return id;
  };
  const done = (id: number) => () => ['delivered', 'failed', 'undeliverable', 'rejected', 'invalid', 'expired'].includes((d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state);
  const results = async (id: number) => (await d.api('GET', `/transmissions/${id}/result`, { auth: token })).json as { type: string; name: string; data: string }[];
  const detail = async (id: number) => (await d.api('GET', `/transmissions/${id}/detail`, { auth: token })).json as { status: string; response: string; amount: number | null }[];

  it('voicetts: voicemail is a result, the spool has the seconds; busy is three failed spools', async () => {
    const text = (await d.api('POST', '/messages/texts', { auth: token, body: { name: 't', data: 'Your appointment is tomorrow' } })).json;
    const program = (await d.api('POST', '/programs/voicetts', { auth: token, body: { name: 'reminder', text_id: text } })).json as number;
    const vm = await transmission(program, number('017'));
    const busy = await transmission(program, number('012'));
    await d.waitFor(done(vm), 20_000);
    await d.waitFor(done(busy), 20_000);
    expect((await d.api('GET', `/transmissions/${vm}/status`, { auth: token })).json).toBe('completed');
    expect(await detail(vm)).toMatchObject([{ status: 'completed', response: 'NORMAL_CLEARING answered, 25 s', amount: 25 }]);
    expect(await results(vm)).toContainEqual(expect.objectContaining({ type: 'info', name: 'voicemail', data: 'true' }));
    expect((await d.api('GET', `/transmissions/${busy}/status`, { auth: token })).json).toBe('failed');
    expect((await detail(busy)).map((s) => [s.status, s.response])).toEqual([
      ['failed', 'USER_BUSY user busy'],
      ['failed', 'USER_BUSY user busy'],
      ['failed', 'USER_BUSY user busy'],
    ]);
  });

  it('sendfax: pages delivered; partial then resumed after its pages; T.38 failure then delivered in audio', async () => {
    const doc = (await d.api('POST', '/messages/documents', { auth: token, body: { name: 'letter' } })).json as number;
    const res = await fetch(`${d.url}/messages/documents/${doc}/media`, { method: 'PUT', headers: { authorization: token, 'content-type': 'application/pdf' }, body: await pdf(4) });
    expect(res.status).toBe(200);
    const program = (await d.api('POST', '/programs/sendfax', { auth: token, body: { name: 'fax', document_id: doc } })).json as number;
    const whole = await transmission(program, number('021'));
    const partial = await transmission(program, number('022'));
    const t38 = await transmission(program, number('023'));
    for (const id of [whole, partial, t38]) await d.waitFor(done(id), 20_000);

    // 20 s a page on the line: the spool's amount is the call's seconds.
    expect(await detail(whole)).toMatchObject([{ status: 'completed', response: '0 OK', amount: 80 }]);
    expect(await results(whole)).toContainEqual(expect.objectContaining({ type: 'info', name: 'pages', data: '4' }));

    // Two of four pages, then the retry sends the other two: all four delivered.
    expect((await detail(partial)).map((s) => [s.status, s.response])).toEqual([
      ['failed', 'fax_49 fax failed: The call dropped prematurely (2 of 4 pages, T.38 negotiated)'],
      ['completed', '0 OK'],
    ]);
    expect(await results(partial)).toContainEqual(expect.objectContaining({ type: 'info', name: 'pages', data: '4' }));
    // The retry started after the two pages that arrived (Delivery.fax.startPage): two pages, 40 s.
    expect((await detail(partial))[1]!.amount).toBe(40);
    expect(d.db.prepare(`SELECT parts FROM attempts WHERE recipient_id = ? ORDER BY id`).all(partial)).toEqual([{ parts: 2 }, { parts: null }]);

    // No page over T.38: stored as a T.38 failure, so the spool sends the retry in audio, which goes.
    expect((await detail(t38)).map((s) => [s.status, s.response])).toEqual([
      ['failed', 'fax_t38_20 fax failed: Received no response to DCS or TCF (0 of 4 pages, T.38 negotiated)'],
      ['completed', '0 OK'],
    ]);
    expect((await d.api('GET', `/transmissions/${t38}/status`, { auth: token })).json).toBe('completed');
  });
});

describe('sandbox faxes (v1 API)', () => {
  it('a one-page partial fax drops once before its page, then goes; the report and callback say it went', async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: user.auth,
      body: { job_type: 'fax', callback_url: rx.url, files: [{ name: 'one.pdf', base64content: (await pdf(1)).toString('base64') }], recipients: [{ destination: number('022'), reference: 'fax1' }] },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(finished(job), 20_000);
    const { by } = await reportsByDestination(job);
    expect(by.get(number('022'))).toMatchObject({ status: 'SENT', stage: 'Confirmed' });
    expect(d.db.prepare(`SELECT tries FROM recipients WHERE job_id = ?`).get(job)).toEqual({ tries: 2 });
    await d.waitFor(() => rx.got.some((c) => c.form.BroadcastID === String(job)));
    expect(rx.got.find((c) => c.form.BroadcastID === String(job))!.form).toMatchObject({ Reference: 'fax1', Status: 'SENT', Duration: '20' });
  });
});
