import { afterEach, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const formPost = async (dd: TestDaemon, path: string, fields: Record<string, string>, token?: string) => {
  const res = await fetch(dd.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', ...(token ? { authorization: token } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), error: decodeURIComponent(res.headers.get('x-error') ?? '') };
};

async function login(dd: TestDaemon, code = 'agent1') {
  const u = dd.addUser(code, 'user', { password: 'uc-password-1' });
  const r = await formPost(dd, '/Integra/resources/auth/login', { user: code, password: 'uc-password-1' });
  expect(r.status).toBe(200);
  return { ...u, token: JSON.parse(r.text).token as string };
}
const jobsOf = (dd: TestDaemon, face = 'ucontact') =>
  dd.db.prepare('SELECT id, name, sender, total, status, scheduled_at FROM jobs WHERE face = ? ORDER BY id').all(face) as { id: number; name: string; sender: string | null; total: number; status: string; scheduled_at: number | null }[];

describe('uContact Integra face (SMS)', () => {
  it('logs in for a session token, sends with it, and logs out', async () => {
    d = await testDaemon();
    const { token } = await login(d);
    expect((await formPost(d, '/Integra/resources/auth/login', { user: 'agent1', password: 'wrong' })).status).toBe(401);
    expect(await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: '0491570156', message: 'Hola', campaign: 'Ventas', agent: 'ana', source: '5551' })).toMatchObject({ status: 401, text: 'ERROR' });
    expect(await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: '0491570156', message: 'Hola', campaign: 'Ventas', agent: 'ana', source: '5551' }, token)).toMatchObject({ status: 200, text: 'OK' });
    const v2 = await formPost(d, '/IntegraChannels/resources/SMS/SendSMSv2', { destination: '+61491570157', message: 'Hola v2', campaign: 'Ventas', source: 'Acme' }, `Bearer ${token}`);
    expect(v2.status).toBe(200);
    const { id } = JSON.parse(v2.text);
    expect(id).toMatch(/^\d+$/);
    const jobs = jobsOf(d);
    expect(jobs.map((j) => [j.name, j.sender, j.total])).toEqual([
      ['Ventas', '5551', 1],
      ['Ventas', 'Acme', 1],
    ]);
    expect(d.db.prepare('SELECT job_id FROM recipients WHERE id = ?').get(Number(id))).toEqual({ job_id: jobs[1]!.id });
    await d.waitFor(() => jobsOf(d!).every((j) => j.status === 'complete'));
    expect(d.db.prepare(`SELECT state FROM recipients WHERE job_id IN (${jobs.map((j) => j.id).join(',')})`).all()).toEqual([{ state: 'delivered' }, { state: 'delivered' }]);
    expect(await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: 'nobody', message: 'x' }, token)).toMatchObject({ status: 400, text: 'ERROR', error: expect.stringMatching(/number/) });
    expect(await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: '0491570156', message: '' }, token)).toMatchObject({ status: 400, error: expect.stringMatching(/text/) });
    expect(await formPost(d, '/Integra/resources/auth/logout', {}, token)).toMatchObject({ status: 200, text: 'OK' });
    expect((await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: '0491570156', message: 'late' }, token)).status).toBe(401);
    expect(jobsOf(d)).toHaveLength(2);
  });

  it("logs in with uContact's own getUserToken (a JSON list, the key last, sent back as Basic) on both base paths; a refusal is 0", async () => {
    d = await testDaemon();
    d.addUser('agent1', 'user', { password: 'uc-password-1' });
    for (const base of ['/Integra/resources', '/IntegraChannels/resources']) {
      const r = await formPost(d, `${base}/auth/getUserToken`, { user: 'agent1', password: 'uc-password-1' });
      expect(r.status, base).toBe(200);
      const list = JSON.parse(r.text) as unknown[];
      // The wiki's "at the end of the list" and its older "the 3rd item" both find the key.
      expect(list).toHaveLength(3);
      expect(list[0]).toBe('agent1');
      const key = list[list.length - 1] as string;
      expect(key).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(await formPost(d, `${base}/SMS/SendSMS`, { destination: '0491570156', message: 'Hola', campaign: 'Ventas' }, `Basic ${key}`)).toMatchObject({ status: 200, text: 'OK' });
      expect(await formPost(d, `${base}/auth/logout`, {}, `Basic ${key}`)).toMatchObject({ status: 200, text: 'OK' });
      expect((await formPost(d, `${base}/SMS/SendSMS`, { destination: '0491570156', message: 'late', campaign: 'Ventas' }, `Basic ${key}`)).status).toBe(401);
    }
    // A wrong password or none: uContact's `0`, with the face's status and reason; no session opened.
    const sessions = () => (d!.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    const before = sessions();
    expect(await formPost(d, '/Integra/resources/auth/getUserToken', { user: 'agent1', password: 'wrong' })).toMatchObject({ status: 401, text: '0', error: 'wrong user or password' });
    expect(await formPost(d, '/IntegraChannels/resources/auth/getUserToken', {})).toMatchObject({ status: 401, text: '0' });
    const listed = await fetch(`${d.url}/Integra/resources/auth/getUserToken`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: ['agent1'], password: 'uc-password-1' }) });
    expect([listed.status, await listed.text()]).toEqual([400, '0']);
    expect(sessions()).toBe(before);
    // Today's auth/login still answers its own shape, and its token works as Basic too.
    const { token } = await login(d, 'agent2');
    expect((await formPost(d, '/Integra/resources/SMS/SendSMS', { destination: '0491570156', message: 'Hola', campaign: 'Ventas' }, `Basic ${token}`)).status).toBe(200);
    expect(jobsOf(d)).toHaveLength(3);
  });

  it('answers every SendSMSv2 refusal as JSON {error} (SendSMS keeps ERROR), and a refused send stores nothing', async () => {
    d = await testDaemon();
    const { token } = await login(d);
    const v2 = async (fields: Record<string, string>, auth?: string, query = '') => {
      const res = await fetch(`${d!.url}/Integra/resources/SMS/SendSMSv2${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', ...(auth !== undefined ? { authorization: auth } : {}) },
        body: new URLSearchParams(fields).toString(),
      });
      return { status: res.status, type: res.headers.get('content-type'), json: JSON.parse(await res.text()) as unknown, error: decodeURIComponent(res.headers.get('x-error') ?? '') };
    };
    const good = { destination: '0491570156', message: 'Hola', campaign: 'Ventas' };
    expect(await v2(good)).toMatchObject({ status: 401, type: expect.stringMatching(/^application\/json/), json: { error: 'no valid session token in Authorization' } });
    expect(await v2({ ...good, destination: 'nobody' }, token)).toMatchObject({ status: 400, json: { error: expect.stringMatching(/number/) } });
    expect(await v2({ ...good, message: '' }, token)).toMatchObject({ status: 400, json: { error: expect.stringMatching(/text/) } });
    expect(await v2({ ...good, source: 'far too long a sender id' }, token)).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^source/) } });
    expect(await v2(good, token, '?destination=a&destination=b')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/destination/) } });
    const listed = await fetch(`${d.url}/Integra/resources/SMS/SendSMSv2`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ ...good, destination: ['0491570156'] }) });
    expect([listed.status, await listed.json()]).toEqual([400, { error: 'destination: expected one value' }]);
    const notJson = await fetch(`${d.url}/Integra/resources/SMS/SendSMSv2`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: '{"destination":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: expect.any(String) });
    expect(jobsOf(d)).toEqual([]);
    // SendSMS, same fault: the seed's text ERROR.
    expect(await formPost(d, '/Integra/resources/SMS/SendSMS', { ...good, destination: 'nobody' }, token)).toMatchObject({ status: 400, text: 'ERROR' });
    const ok = await v2(good, token);
    expect(ok).toMatchObject({ status: 200, json: { id: expect.stringMatching(/^\d+$/) } });
    expect(jobsOf(d)).toHaveLength(1);
  });

  it('takes an inbound SMS by URL (GET or POST): a STOP reply to a 2-way job made on the v1 API opts the number out', async () => {
    d = await testDaemon();
    const { token, auth } = await login(d);
    const job = (await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: '2 way sms', message: 'Come?', optout_code: 'STOP', recipients: [{ destination: '+61491570156' }] } })).json.data;
    await d.waitFor(() => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete');
    const res = await fetch(`${d.url}/Integra/resources/InboundSMS/ReceiveURLSMS?phone=0491570156&message=STOP`, { headers: { authorization: token } });
    expect([res.status, await res.text()]).toEqual([200, 'OK']);
    expect(d.db.prepare('SELECT sender, body, job_id FROM inbound').all()).toEqual([{ sender: '+61491570156', body: 'STOP', job_id: job }]);
    expect(d.db.prepare('SELECT address FROM opt_outs').all()).toEqual([{ address: '+61491570156' }]);
    const bad = await fetch(`${d.url}/Integra/resources/InboundSMS/ReceiveURLSMS?phone=x&message=hi`, { headers: { authorization: token } });
    expect(bad.status).toBe(400);
    // By POST too, its form in the body (the seed's content type): stored the same way; a bad one refused alike.
    expect(await formPost(d, '/Integra/resources/InboundSMS/ReceiveURLSMS', { phone: '0491570157', message: 'posted' }, token)).toMatchObject({ status: 200, text: 'OK' });
    expect(d.db.prepare('SELECT sender, body FROM inbound ORDER BY id').all()).toEqual([
      { sender: '+61491570156', body: 'STOP' },
      { sender: '+61491570157', body: 'posted' },
    ]);
    expect((await formPost(d, '/Integra/resources/InboundSMS/ReceiveURLSMS', { phone: 'x', message: 'hi' }, token)).status).toBe(400);
    expect((await formPost(d, '/Integra/resources/InboundSMS/ReceiveURLSMS', { phone: '0491570157', message: 'no token' }, '')).status).toBe(401);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM inbound').get()).toEqual({ n: 2 });
  });

  it("keeps an injected inbound SMS to its injector: another user's STOP neither lands on a victim's 2-way job nor opts the number out of its list", async () => {
    d = await testDaemon();
    const victim = d.addUser('victim', 'user');
    const job = (await d.api('POST', '/api/v1/jobs', { auth: victim.auth, body: { job_type: '2 way sms', message: 'Come?', optout_code: 'STOP', recipients: [{ destination: '+61491570156' }] } })).json.data;
    await d.waitFor(() => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete');
    const attacker = await login(d, 'attacker');
    const res = await fetch(`${d.url}/Integra/resources/InboundSMS/ReceiveURLSMS?phone=0491570156&message=STOP`, { headers: { authorization: attacker.token } });
    expect([res.status, await res.text()]).toEqual([200, 'OK']);
    // Stored as the attacker's own message, matching none of its (absent) jobs.
    expect(d.db.prepare('SELECT sender, body, job_id FROM inbound').all()).toEqual([{ sender: '+61491570156', body: 'STOP', job_id: null }]);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM results WHERE kind = 'reply'`).get()).toEqual({ n: 0 });
    expect(d.db.prepare('SELECT * FROM opt_outs').all()).toEqual([]);
    expect(d.db.prepare('SELECT user_id FROM inbound').all()).toEqual([{ user_id: attacker.id }]);
    const later = (await d.api('POST', '/api/v1/jobs', { auth: victim.auth, body: { job_type: 'sms', message: 'still here', recipients: [{ destination: '+61491570156' }] } })).json.data;
    await d.waitFor(() => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(later) as { status: string }).status === 'complete');
    expect(d.db.prepare('SELECT state FROM recipients WHERE job_id = ?').get(later)).toEqual({ state: 'delivered' });
  });

  it("schedules an SMS for its calldate in the user's time zone", async () => {
    d = await testDaemon();
    const { token } = await login(d);
    const when = DateTime.now().setZone('Australia/Sydney').plus({ days: 2 }).set({ second: 0, millisecond: 0 });
    const sms = JSON.stringify({ calldate: when.toFormat('yyyy-MM-dd HH:mm:ss'), campaign: 'Ventas->', destination: '0491570156', data: 'Message' });
    expect(await formPost(d, '/Integra/resources/SMS/ScheduleDialerSMS', { sms }, token)).toMatchObject({ status: 200, text: '1' });
    const [job] = jobsOf(d);
    expect(job).toMatchObject({ name: 'Ventas->', scheduled_at: when.toMillis() });
    expect(d.db.prepare('SELECT state, due_at FROM recipients WHERE job_id = ?').get(job!.id)).toEqual({ state: 'queued', due_at: when.toMillis() });
    expect((await formPost(d, '/Integra/resources/SMS/ScheduleDialerSMS', { sms: '{"calldate": "soon"}' }, token)).status).toBe(400);
    expect((await formPost(d, '/Integra/resources/SMS/ScheduleDialerSMS', { sms: 'not json' }, token)).status).toBe(400);
  });

  it("sends a base's rows in priority order (lower first)", async () => {
    d = await testDaemon({ spool: { poll_ms: 200 } });
    const { token } = await login(d);
    const csv = ['c;0491570150;low;9999', 'c;0491570151;urgent;1', 'c;0491570152;middle;5', 'c;0491570153;also urgent;1'].join('\n');
    expect((await formPost(d, '/Integra/resources/SMS/uploadbase', { filename: 'p.csv', fileb64: Buffer.from(csv).toString('base64') }, token)).text).toBe('1');
    await d.waitFor(() => (d!.db.prepare('SELECT COUNT(*) AS n FROM attempts').get() as { n: number }).n === 4);
    const order = d.db.prepare('SELECT destination FROM attempts ORDER BY id').all() as { destination: string }[];
    expect(order.map((o) => o.destination)).toEqual(['+61491570151', '+61491570153', '+61491570152', '+61491570150']);
  });

  it('loads a base64 CSV base into one job per campaign and reports rejected rows with their line numbers', async () => {
    d = await testDaemon();
    const { token, id: userId } = await login(d);
    const rejected: { line: number; reason: string; userId: number }[] = [];
    d.bus.on((e) => e.type === 'import.rejected' && rejected.push({ line: e.line, reason: e.reason, userId: e.userId }));
    const csv = ['campaign;number;text;priority', 'somecampaign;0491570156;Hello World!;9999', 'somecampaign;0491570157;Hi; with a semicolon;5', 'other;+61491570158;Third;', 'other;not-a-number;Bad;1', 'other;0491570159;;1', 'justtwo;cells'].join(
      '\n',
    );
    const r = await formPost(d, '/Integra/resources/SMS/uploadbase', { filename: 'base.csv', fileb64: Buffer.from(csv).toString('base64'), campaign: 'fallback' }, token);
    expect(r).toMatchObject({ status: 200, text: '1' });
    expect(jobsOf(d).map((j) => [j.name, j.total])).toEqual([
      ['somecampaign', 2],
      ['other', 1],
    ]);
    const texts = jobsOf(d).map((j) => JSON.parse((d!.db.prepare('SELECT content FROM jobs WHERE id = ?').get(j.id) as { content: string }).content).text.texts);
    expect(texts).toEqual([['Hello World!', 'Hi; with a semicolon'], ['Third']]);
    expect(rejected.map((x) => [x.line, x.userId])).toEqual([
      [5, userId],
      [6, userId],
      [7, userId],
    ]);
    expect(rejected[0]!.reason).toMatch(/number/);
    expect((await formPost(d, '/Integra/resources/SMS/uploadbase', { filename: 'x.csv', fileb64: 'not base64!!', campaign: 'c' }, token)).status).toBe(400);
  });
});
