import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const BASES = ['/Integra/resources', '/IntegraChannels/resources'];

async function login(dd: TestDaemon, code = 'agent1', email: string | null = 'agent1@acme.example.com') {
  const u = dd.addUser(code, 'user', { password: 'uc-password-1', timezone: 'America/Montevideo' });
  dd.db.prepare("UPDATE users SET email = ?, first_name = 'Ana', last_name = 'Pérez' WHERE id = ?").run(email, u.id);
  const res = await fetch(`${dd.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user: code, password: 'uc-password-1' }).toString() });
  return { ...u, token: ((await res.json()) as { token: string }).token };
}
const sendEmail = async (dd: TestDaemon, token: string, body: unknown, base = BASES[1]!) => {
  const res = await fetch(`${dd.url}${base}/Forms/sendEmail`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${token}` }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get('content-type') ?? '', error: decodeURIComponent(res.headers.get('x-error') ?? '') };
};
const formPost = async (dd: TestDaemon, path: string, fields: Record<string, string>, token: string) => {
  const res = await fetch(dd.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', authorization: `Basic ${token}` }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, text: await res.text(), error: decodeURIComponent(res.headers.get('x-error') ?? '') };
};
type JobRow = { id: number; name: string | null; channel: string; content: string; options: string; status: string };
const jobs = (dd: TestDaemon) => dd.db.prepare("SELECT id, name, channel, content, options, status FROM jobs WHERE face = 'ucontact' ORDER BY id").all() as JobRow[];
const recipients = (dd: TestDaemon, job: number) =>
  dd.db.prepare('SELECT destination, fields, state, priority FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { destination: string; fields: string | null; state: string; priority: number | null }[];

const SEED_BODY = {
  campaign: 'Email',
  to: 'delivered@example.com',
  subject: 'Subject %%var1%%',
  body: '<p>This is an email body can be HTML, %%var2%%</p>',
  schedule: { title: 'Date title', organizer: 'Myself', from: '2018-08-24 00:00:00', to: '2018-08-24 01:00:00' },
  variables: { var1: 'value', var2: 'value2' },
};

describe('uContact e-mail: Forms/sendEmail', () => {
  it("creates an e-mail job of the user from the seed's example on both base paths, answering {guid}, with the invite in its content", async () => {
    d = await testDaemon();
    const { token } = await login(d);
    const guids: string[] = [];
    for (const base of BASES) {
      const r = await sendEmail(d, token, SEED_BODY, base);
      expect(r.status, r.text).toBe(200);
      expect(r.type).toMatch(/^application\/json/);
      const { guid } = JSON.parse(r.text) as { guid: string };
      expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      guids.push(guid);
    }
    expect(guids[0]).not.toBe(guids[1]);
    const js = jobs(d);
    expect(js).toHaveLength(2);
    const job = js[0]!;
    expect([job.name, job.channel]).toEqual(['Email', 'email']);
    expect(JSON.parse(job.options)).toEqual({ campaign: 'Email', guid: guids[0] });
    const content = JSON.parse(job.content);
    expect(content).toMatchObject({ kind: 'email', from: { address: 'agent1@acme.example.com', name: 'Ana Pérez' }, subject: 'Subject %%var1%%', html: SEED_BODY.body, text: null, attachments: [] });
    const ics = content.invite.ics as string;
    expect(content.invite.method).toBe('REQUEST');
    const lines = ics.replace(/\r\n /g, '').split('\r\n');
    // The schedule is in the user's zone (Montevideo, UTC-3): 00:00 there is 03:00 UTC.
    expect(lines).toEqual(
      expect.arrayContaining([
        'METHOD:REQUEST',
        `UID:${guids[0]}@acme.example.com`,
        'DTSTART:20180824T030000Z',
        'DTEND:20180824T040000Z',
        'SUMMARY:Date title',
        'ORGANIZER;CN=Myself:mailto:agent1@acme.example.com',
        'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:delivered@example.com',
      ]),
    );
    expect(lines.some((l) => /^DTSTAMP:\d{8}T\d{6}Z$/.test(l))).toBe(true);
    // The variables are the recipient's merge fields; the sandbox "relay" takes it.
    expect(JSON.parse(recipients(d, job.id)[0]!.fields!)).toEqual({ var1: 'value', var2: 'value2' });
    await d.waitFor(() => jobs(d!).every((j) => j.status === 'complete'));
    expect(recipients(d, job.id).map((r) => r.state)).toEqual(['sent']);
  });

  it('sends a template when no body is given, and several addresses in to; attachments from the files directory', async () => {
    d = await testDaemon();
    const { id, token } = await login(d);
    d.db.prepare("INSERT INTO messages (user_id, kind, name, data, created_at, updated_at) VALUES (?, 'template', 'welcome', ?, 0, 0)").run(id, JSON.stringify({ subject: 'Welcome %%name%%', body: '<h1>Hi %%name%%</h1>', body_alt: 'Hi %%name%%' }));
    const dir = join(d.dir, 'media', 'ucontact-files', '020212');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'file1.jpg'), Buffer.from('jpeg bytes'));
    const r = await sendEmail(d, token, { campaign: 'Welcome', to: 'a@example.com; b@example.org', template: 'welcome', variables: { name: 'Ana' }, attachments: ['020212/file1.jpg'] });
    expect(r.status, r.error).toBe(200);
    const job = jobs(d)[0]!;
    const content = JSON.parse(job.content);
    expect(content).toMatchObject({ subject: 'Welcome %%name%%', html: '<h1>Hi %%name%%</h1>', text: 'Hi %%name%%', attachments: [{ name: 'file1.jpg', size: 10 }] });
    expect(content.invite).toBeUndefined();
    expect(recipients(d, job.id).map((x) => x.destination)).toEqual(['a@example.com', 'b@example.org']);
    // A plain body goes as the text body, and wins over the template.
    expect((await sendEmail(d, token, { to: 'c@example.com', body: 'Just text', template: 'welcome' })).status).toBe(200);
    expect(JSON.parse(jobs(d)[1]!.content)).toMatchObject({ subject: '', text: 'Just text', html: null });
  });

  it('refuses bad input with 400 and {"error"} naming the field, storing nothing', async () => {
    d = await testDaemon();
    const { id, token } = await login(d);
    await login(d, 'nomail', null).then(async (u) => {
      expect(await sendEmail(d!, u.token, SEED_BODY)).toMatchObject({ status: 400, error: expect.stringMatching(/no e-mail address to send from/) });
    });
    // The user's own address is its From, and still one its account must allow (allowed_email_senders).
    await login(d, 'listed', 'listed@acme.example.com').then(async (u) => {
      d!.db.prepare('UPDATE users SET profile = ? WHERE id = ?').run(JSON.stringify({ allowed_email_senders: ['@other.example'] }), u.id);
      expect(await sendEmail(d!, u.token, SEED_BODY)).toMatchObject({ status: 400, error: expect.stringMatching(/listed@acme\.example\.com is not a sender this account may use \(allowed: @other\.example\)/) });
    });
    d.db.prepare('INSERT INTO messages (user_id, kind, name, data, created_at, updated_at) VALUES (?, \'template\', \'empty\', \'{"subject":"s","body":" "}\', 0, 0)').run(id);
    const cases: [unknown, RegExp][] = [
      [{ ...SEED_BODY, to: 'not-an-address' }, /^to: /],
      [{ ...SEED_BODY, to: '' }, /^to: /],
      [{ ...SEED_BODY, to: ['a@example.com', 7] }, /^to/],
      [{ ...SEED_BODY, body: undefined }, /^body: give a body or a template/],
      [{ ...SEED_BODY, body: undefined, template: 'nosuch' }, /^template: no template "nosuch"/],
      [{ ...SEED_BODY, subject: 'two\nlines' }, /^subject: must be one line/],
      [{ ...SEED_BODY, schedule: { ...SEED_BODY.schedule, from: 'tomorrow' } }, /^schedule\.from: /],
      [{ ...SEED_BODY, schedule: { ...SEED_BODY.schedule, to: '2018-08-23 23:00:00' } }, /^schedule\.to: must be after/],
      [{ ...SEED_BODY, schedule: { title: 'x' } }, /^schedule\.from/],
      [{ ...SEED_BODY, variables: { 'bad%%name': 'x' } }, /^variables: /],
      [{ ...SEED_BODY, variables: { a: { nested: 1 } } }, /^variables/],
      [{ ...SEED_BODY, attachments: ['../../verp.key'] }, /^attachments: .* not a file location/],
      [{ ...SEED_BODY, attachments: ['/etc/passwd'] }, /^attachments: .* not a file location/],
      [{ ...SEED_BODY, attachments: ['020212/missing.jpg'] }, /^attachments: .*no such file/],
      [{ ...SEED_BODY, cc: 'x@example.com' }, /^cc: not a sendEmail field/],
      [{ ...SEED_BODY, schedule: { ...SEED_BODY.schedule, location: 'x' } }, /^schedule\.location: not a sendEmail field/],
      [{ ...SEED_BODY, body: undefined, template: 'empty' }, /^template: "empty" has an empty body/],
      [[SEED_BODY], /body must be a JSON object/],
    ];
    for (const [body, why] of cases) {
      const r = await sendEmail(d, token, body);
      expect([r.status, r.error], JSON.stringify(body)).toEqual([400, expect.stringMatching(why)]);
      expect(r.type).toMatch(/^application\/json/);
      expect(JSON.parse(r.text)).toEqual({ error: r.error });
    }
    const raw = await fetch(`${d.url}/Integra/resources/Forms/sendEmail`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${token}` }, body: '{"to": ' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toHaveProperty('error');
    const noSession = await sendEmail(d, 'wrong-token', SEED_BODY);
    expect([noSession.status, JSON.parse(noSession.text)]).toEqual([401, { error: 'no valid session token in Authorization' }]);
    expect(jobs(d)).toHaveLength(0);
    const stored = join(d.dir, 'media', 'attachments');
    expect(existsSync(stored) ? readdirSync(stored) : []).toEqual([]);
  });
});

describe('uContact e-mail: the DialersResources dialer base upload', () => {
  const CSV = [
    'CampName;ejemplo@gmail.com;This is an example mail body %%Var1%%;;"Var1":"value","Var2":"value";9999',
    'CampName;otro@example.com;This is an example mail body %%Var1%%;;"Var1":"other";5',
    'Other;x@example.org;<b>Hello</b>;Greetings;;',
    'CampName;not-an-address;body;;;1',
    'CampName;y@example.org;body;;"Var1":broken;1',
  ].join('\n');

  it("takes the seed's CSV on both base paths and both names: one job per campaign and message, priorities and variables per row; bad rows rejected", async () => {
    d = await testDaemon();
    const { token } = await login(d);
    const fields = { filename: 'base.csv', fileb64: Buffer.from(CSV).toString('base64'), channel: 'email', user: 'agent1', dialer: 'Fallback', filter: '', cant: '5' };
    expect(await formPost(d, '/IntegraChannels/resources/DialersResources/uploadMultiChannelBlacklistuploadDialerBase', fields, token)).toMatchObject({ status: 200, text: '1' });
    const js = jobs(d);
    expect(js.map((j) => [j.name, j.channel])).toEqual([
      ['CampName', 'email'],
      ['Other', 'email'],
    ]);
    expect(JSON.parse(js[0]!.content)).toMatchObject({ subject: '', text: 'This is an example mail body %%Var1%%', html: null, from: { address: 'agent1@acme.example.com' } });
    expect(JSON.parse(js[1]!.content)).toMatchObject({ subject: 'Greetings', html: '<b>Hello</b>', text: null });
    expect(recipients(d, js[0]!.id).map((r) => [r.destination, JSON.parse(r.fields!), r.priority])).toEqual([
      ['ejemplo@gmail.com', { Var1: 'value', Var2: 'value' }, 9999],
      ['otro@example.com', { Var1: 'other' }, 5],
    ]);
    expect(await formPost(d, '/Integra/resources/DialersResources/uploadDialerBase', { ...fields, cant: '' }, token)).toMatchObject({ status: 200, text: '1' });
    expect(jobs(d)).toHaveLength(4);
    await d.waitFor(() => jobs(d!).every((j) => j.status === 'complete'));
  });

  it('refuses a wrong channel, bad base64, a cant that does not match, with ERROR and X-Error, storing nothing', async () => {
    d = await testDaemon();
    const { token } = await login(d);
    const ok = { filename: 'b.csv', fileb64: Buffer.from(CSV).toString('base64'), channel: 'email' };
    const path = '/Integra/resources/DialersResources/uploadDialerBase';
    expect(await formPost(d, path, { ...ok, channel: 'sms' }, token)).toMatchObject({ status: 400, text: 'ERROR', error: expect.stringMatching(/^channel: /) });
    expect(await formPost(d, path, { ...ok, fileb64: 'not base64!' }, token)).toMatchObject({ status: 400, text: 'ERROR', error: 'fileb64: expected base64' });
    expect(await formPost(d, path, { ...ok, cant: '3' }, token)).toMatchObject({ status: 400, text: 'ERROR', error: 'cant: the file has 5 registries, cant says 3' });
    expect(await formPost(d, path, { ...ok, cant: 'many' }, token)).toMatchObject({ status: 400, error: 'cant: expected a whole number' });
    expect(jobs(d)).toHaveLength(0);
  });
});
