import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

let d: TestDaemon;
let alice: string;
let bob: string;

const login = (username: string, password: string) => bearer(d, username, password);
const binary = async (method: string, path: string, auth: string, type: string, body: Buffer) => {
  const res = await fetch(d.url + path, { method, headers: { authorization: auth, 'content-type': type }, body });
  return { status: res.status, json: await res.json().catch(() => null) };
};

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('alice', 'user', { password: 'alice-secret' });
  d.addUser('bob', 'user', { password: 'bob-secret' });
  alice = await login('alice', 'alice-secret');
  bob = await login('bob', 'bob-secret');
});
afterAll(() => d.close());

describe('ICTCore face: messages', () => {
  it('stores texts and templates, and refuses bad ones with 412', async () => {
    const t = await d.api('POST', '/messages/texts', { auth: alice, body: { name: 'greeting', data: 'Hello %%first_name%%', type: 'plain' } });
    expect(t.status, t.text).toBe(200);
    expect((await d.api('GET', `/messages/texts/${t.json}`, { auth: alice })).json).toMatchObject({ text_id: t.json, name: 'greeting', data: 'Hello %%first_name%%', type: 'plain' });
    expect((await d.api('PUT', `/messages/texts/${t.json}`, { auth: alice, body: { data: 'Hi' } })).json).toMatchObject({ data: 'Hi', name: 'greeting' });
    expect((await d.api('POST', '/messages/texts', { auth: alice, body: { name: 'x' } })).json.error.message).toMatch(/for data/);
    expect((await d.api('POST', '/messages/texts', { auth: alice, body: { name: 'x', data: 'y', type: 'weird' } })).status).toBe(412);
    const tpl = await d.api('POST', '/messages/templates', { auth: alice, body: { name: 'news', subject: 'News', body: '<p>Hi</p>' } });
    expect((await d.api('GET', `/messages/templates/${tpl.json}`, { auth: alice })).json).toMatchObject({ template_id: tpl.json, subject: 'News', body: '<p>Hi</p>' });
    expect((await binary('PUT', `/messages/templates/${tpl.json}/media`, alice, 'text/html', Buffer.from('<b>attached</b>'))).json).toBe(tpl.json);
    expect((await binary('PUT', `/messages/templates/${tpl.json}/media`, alice, 'text/plain', Buffer.from([0xff, 0xfe, 0x00]))).status).toBe(412);
    expect((await d.api('GET', `/messages/texts/${t.json}`, { auth: bob })).status).toBe(404);
    expect((await d.api('GET', '/messages/texts', { auth: bob })).json).toEqual([]);
  });

  it('converts an uploaded document to fax and a recording to 8 kHz WAV once; downloads the original; checks the type', async () => {
    const doc = (await d.api('POST', '/messages/documents', { auth: alice, body: { name: 'invoice' } })).json as number;
    const pdf = await PDFDocument.create();
    pdf.addPage().drawText('Invoice', { x: 50, y: 700, size: 30, font: await pdf.embedFont(StandardFonts.Helvetica) });
    const bytes = Buffer.from(await pdf.save());
    expect((await binary('PUT', `/messages/documents/${doc}/media`, alice, 'application/pdf', bytes)).json).toBe(doc);
    expect((await d.api('GET', `/messages/documents/${doc}`, { auth: alice })).json).toMatchObject({ document_id: doc, type: 'pdf', pages: 1 });
    const back = await fetch(`${d.url}/messages/documents/${doc}/media`, { headers: { authorization: alice } });
    expect(back.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await back.arrayBuffer()).equals(bytes)).toBe(true);
    const mismatch = await binary('PUT', `/messages/documents/${doc}/media`, alice, 'application/pdf', Buffer.from('not a pdf at all'));
    expect(mismatch.status).toBe(412);
    expect(mismatch.json.error.message).toMatch(/content is not a pdf/);
    expect((await binary('PUT', `/messages/documents/${doc}/media`, alice, 'application/x-msdownload', Buffer.from('MZ'))).status).toBe(415);
    expect((await binary('PUT', `/messages/documents/${doc}/media`, bob, 'application/pdf', bytes)).status).toBe(404);

    const rec = (await d.api('POST', '/messages/recordings', { auth: alice, body: { name: 'hello' } })).json as number;
    const wav = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-ar', '44100', '-f', 'wav', 'pipe:1']).stdout;
    expect((await binary('PUT', `/messages/recordings/${rec}/media`, alice, 'audio/wav', wav)).json).toBe(rec);
    expect((await d.api('GET', `/messages/recordings/${rec}`, { auth: alice })).json).toMatchObject({ recording_id: rec, type: 'wav', length: 1.5 });
    expect((await binary('PUT', `/messages/recordings/${rec}/media`, alice, 'audio/wav', Buffer.from('RIFF garbage'))).status).toBe(412);
  });
});

describe('ICTCore face: programs, transmissions and spools', () => {
  it('sends an SMS transmission on request and reports status, spools and results', async () => {
    const text = (await d.api('POST', '/messages/texts', { auth: alice, body: { name: 'n', data: 'Your code is 1234' } })).json;
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'codes', text_id: text } })).json as number;
    expect((await d.api('GET', `/programs/${program}`, { auth: alice })).json).toMatchObject({ program_id: program, type: 'sendsms', text_id: text });
    const contact = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Ann', phone: '+61491570156' } })).json;
    const account = (await d.api('POST', '/accounts', { auth: alice, body: { username: 'alice-did', phone: '+61491570999', passwd: 'secret-pass' } })).json;
    const t = await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, contact_id: contact, account_id: account, title: 'otp' } });
    expect(t.status, t.text).toBe(200);
    const id = t.json as number;
    // Stored, not sent, until asked.
    await new Promise((r) => setTimeout(r, 150));
    expect((await d.api('GET', `/transmissions/${id}/status`, { auth: alice })).json).toBe('pending');
    expect((await d.api('GET', `/transmissions/${id}/detail`, { auth: alice })).json).toEqual([]);
    const sent = await d.api('POST', `/transmissions/${id}/send`, { auth: alice });
    expect(sent.status, sent.text).toBe(200);
    const spool = sent.json as number;
    expect(spool).toBeTypeOf('number');
    await d.waitFor(() => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state === 'delivered');
    expect((await d.api('GET', `/transmissions/${id}/status`, { auth: alice })).json).toBe('completed');
    expect((await d.api('GET', `/spools/${spool}/status`, { auth: alice })).json).toBe('completed');
    const detail = (await d.api('GET', `/transmissions/${id}/detail`, { auth: alice })).json;
    expect(detail).toMatchObject([{ spool_id: spool, transmission_id: id, status: 'completed' }]);
    expect((await d.api('GET', `/transmissions/${id}/result`, { auth: alice })).json).toEqual([expect.objectContaining({ spool_id: spool, type: 'application', name: 'sms_send', data: 'success' })]);
    const got = (await d.api('GET', `/transmissions/${id}`, { auth: alice })).json;
    expect(got).toMatchObject({ transmission_id: id, program_id: program, contact_id: contact, account_id: account, service_flag: 4, status: 'completed', title: 'otp', phone: '+61491570156', try_done: 1 });
    // The account's number is the sender.
    expect((d.db.prepare('SELECT sender FROM jobs j JOIN recipients r ON r.job_id = j.id WHERE r.id = ?').get(id) as { sender: string }).sender).toBe('+61491570999');
    // A completed transmission is not sent again (ICTCore's Transmission::send(): 423); no new spool.
    const again = await d.api('POST', `/transmissions/${id}/retry`, { auth: alice });
    expect(again.status).toBe(423);
    expect((await d.api('GET', `/transmissions/${id}/detail`, { auth: alice })).json).toHaveLength(1);
    expect((await d.api('GET', `/transmissions?program_id=${program}&status=completed`, { auth: alice })).json.map((x: { transmission_id: number }) => x.transmission_id)).toEqual([id]);
    expect((await d.api('GET', `/transmissions?program_id=${program}`, { auth: alice })).json[0]).toMatchObject({ contact: { contact_id: contact, first_name: 'Ann' }, account: { account_id: account, phone: '+61491570999' } });
    expect((await d.api('GET', `/programs/${program}/transmissions`, { auth: alice })).json).toHaveLength(1);
    expect((await d.api('GET', '/statistics', { auth: alice })).json).toMatchObject({ contact_total: 1, transmission_total: 1, spool_total: 1, spool_success: 1, spool_failed: 0 });
    expect((await d.api('GET', '/statistics', { auth: bob })).json).toMatchObject({ contact_total: 0, transmission_total: 0, spool_total: 0 });
    // Another tenant sees none of it.
    for (const path of [`/transmissions/${id}`, `/transmissions/${id}/status`, `/spools/${spool}/status`, `/spools/${spool}/result`]) expect((await d.api('GET', path, { auth: bob })).status).toBe(404);
    expect((await d.api('POST', `/transmissions/${id}/send`, { auth: bob })).status).toBe(404);
    expect((await d.api('GET', '/transmissions', { auth: bob })).json).toEqual([]);
  });

  it('makes a contact of a bare phone, clones, deletes held or finished ones, and refuses what cannot be', async () => {
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'inline', data: 'Inline text' } })).json as number;
    const id = (await d.api('PUT', `/programs/${program}/transmissions`, { auth: alice, body: { phone: '+61491570157' } })).json as number;
    const t = (await d.api('GET', `/transmissions/${id}`, { auth: alice })).json;
    expect((await d.api('GET', `/contacts/${t.contact_id}`, { auth: alice })).json.phone).toBe('+61491570157');
    const copy = (await d.api('GET', `/transmissions/${id}/clone`, { auth: alice })).json as number;
    expect(copy).not.toBe(id);
    expect((await d.api('GET', `/transmissions/${copy}`, { auth: alice })).json).toMatchObject({ program_id: program, phone: '+61491570157', status: 'pending' });
    expect((await d.api('DELETE', `/transmissions/${copy}`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/transmissions/${copy}`, { auth: alice })).status).toBe(404);
    const cases: [string, unknown, number, RegExp][] = [
      ['/transmissions', { contact_id: 1 }, 412, /program_id: is required/],
      ['/transmissions', { program_id: program }, 412, /give contact_id or phone/],
      ['/transmissions', { program_id: 999999, phone: '+61491570158' }, 404, /program 999999/],
      ['/transmissions', { program_id: program, phone: '+61491570158', direction: 'inbound' }, 501, /inbound/],
      ['/transmissions', { program_id: program, phone: 'call me' }, 412, /for phone: not a phone number/],
      ['/transmissions', { program_id: program, phone: '+61491570158', account_id: 999999 }, 404, /account 999999/],
      ['/programs/sendsms', { name: 'x' }, 412, /text_id: is required/],
      ['/programs/sendsms', { name: 'x', text_id: 999999 }, 404, /text 999999/],
      ['/programs/nosuchtype', { name: 'x' }, 404, /no program type/],
    ];
    for (const [path, body, status, pattern] of cases) {
      const r = await d.api('POST', path, { auth: alice, body });
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(r.json.error.message).toMatch(pattern);
    }
    // try_allowed bounds the tries: a number whose link is always down fails after exactly that many.
    const limited = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570009', try_allowed: 2 } })).json as number;
    await d.api('POST', `/transmissions/${limited}/send`, { auth: alice });
    await d.waitFor(() => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(limited) as { state: string }).state === 'failed', 8000);
    expect((await d.api('GET', `/transmissions/${limited}`, { auth: alice })).json).toMatchObject({ status: 'failed', try_allowed: 2, try_done: 2 });
    expect((await d.api('GET', `/transmissions/${limited}/detail`, { auth: alice })).json.map((s: { status: string }) => s.status)).toEqual(['failed', 'failed']);
    // None of the refused ones left a contact behind.
    expect((await d.api('GET', '/contacts?phone=%2B61491570158', { auth: alice })).json).toEqual([]);
    // Inbound and e-mail programs are stored but cannot send yet.
    const account = (await d.api('POST', '/accounts', { auth: alice, body: { username: 'alice-in' } })).json;
    const rx = (await d.api('POST', '/programs/receivesms', { auth: alice, body: { name: 'rx', account_id: account } })).json;
    expect((await d.api('POST', '/transmissions', { auth: alice, body: { program_id: rx, phone: '+61491570158' } })).status).toBe(501);
  });

  it('sends a scheduled transmission when its time comes, and cancels a schedule', async () => {
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'later', data: 'Later' } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570159' } })).json as number;
    const sched = await d.api('PUT', `/transmissions/${id}/schedule`, { auth: alice, body: { delay: 1 } });
    expect(sched.json).toBeTypeOf('number');
    const other = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570160' } })).json as number;
    await d.api('PUT', `/transmissions/${other}/schedule`, { auth: alice, body: { delay: 1 } });
    expect((await d.api('DELETE', `/transmissions/${other}/schedule`, { auth: alice })).json).toBe(true);
    expect((await d.api('PUT', `/transmissions/${id}/schedule`, { auth: alice, body: { hour: 25 } })).json.error.message).toMatch(/hour: expected/);
    await d.waitFor(() => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state === 'delivered', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await d.api('GET', `/transmissions/${other}/status`, { auth: alice })).json).toBe('pending');
  });
});

describe('ICTCore face: campaigns', () => {
  it('starts a campaign once when starts come at the same moment (a retry, a double click)', async () => {
    const group = (await d.api('POST', '/groups', { auth: alice, body: { name: 'twice list' } })).json as number;
    const csv = ['first_name,phone', ...Array.from({ length: 3 }, (_, i) => `T${i},+6149157${String(1200 + i)}`)].join('\n');
    await d.api('POST', `/groups/${group}/csv`, { auth: alice, raw: csv, headers: { 'content-type': 'text/csv' } });
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'twice', data: 'Hi %%first_name%%' } })).json as number;
    const id = (await d.api('POST', '/campaigns', { auth: alice, body: { program_id: program, group_id: group, cpm: 6 } })).json as number;
    // Each on its own connection, all at once.
    const starts = await Promise.all(Array.from({ length: 20 }, () => d.api('PUT', `/campaigns/${id}/start`, { auth: alice, headers: { connection: 'close' } })));
    expect(starts.filter((r) => r.status === 200)).toHaveLength(1);
    expect(starts.filter((r) => r.status === 423)).toHaveLength(19);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE campaign_id = ?').get(id) as { n: number }).n).toBe(1);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ?').get(id) as { n: number }).n).toBe(3);
    expect((await d.api('PUT', `/campaigns/${id}/stop`, { auth: alice })).json).toBe(true);
  });

  it('runs a program over a group at its cpm with its tries, stops, resumes and completes', async () => {
    const group = (await d.api('POST', '/groups', { auth: alice, body: { name: 'campaign list' } })).json as number;
    const csv = ['first_name,phone', ...Array.from({ length: 6 }, (_, i) => `C${i},+6149157${String(1100 + i)}`)].join('\n');
    await d.api('POST', `/groups/${group}/csv`, { auth: alice, raw: csv, headers: { 'content-type': 'text/csv' } });
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'promo', data: 'Hi %%first_name%%' } })).json as number;
    const c = await d.api('POST', '/campaigns', { auth: alice, body: { program_id: program, group_id: group, cpm: 120, try_allowed: 2 } });
    expect(c.status, c.text).toBe(200);
    const id = c.json as number;
    expect((await d.api('GET', `/campaigns/${id}`, { auth: alice })).json).toMatchObject({ campaign_id: id, status: 'new', cpm: 120, try_allowed: 2, contact_total: 6 });
    const t0 = Date.now();
    expect((await d.api('PUT', `/campaigns/${id}/start`, { auth: alice })).json).toBe(true);
    expect((await d.api('PUT', `/campaigns/${id}/start`, { auth: alice })).status).toBe(423);
    expect((await d.api('DELETE', `/campaigns/${id}`, { auth: alice })).status).toBe(423);
    // 120 a minute: one every 500 ms, so the due times are spread 0.5 s apart and try_allowed is the job's tries.
    const rows = d.db.prepare('SELECT r.due_at, j.options FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? ORDER BY r.seq').all(id) as { due_at: number; options: string }[];
    expect(rows).toHaveLength(6);
    // (row 0 may already be out, its due_at then the receipt deadline)
    expect(rows[5]!.due_at - rows[2]!.due_at).toBeGreaterThanOrEqual(1490);
    expect(rows[5]!.due_at - rows[2]!.due_at).toBeLessThanOrEqual(1510);
    expect(JSON.parse(rows[0]!.options).tries).toBe(2);
    await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? AND r.state = 'delivered'").get(id) as { n: number }).n >= 1, 3000);
    expect((await d.api('PUT', `/campaigns/${id}/stop`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/campaigns/${id}`, { auth: alice })).json.status).toBe('paused');
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1200));
    const afterStop = (d.db.prepare("SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? AND r.state = 'queued'").get(id) as { n: number }).n;
    expect(afterStop).toBeGreaterThan(0); // nothing more went while stopped
    expect(stoppedAt - t0).toBeLessThan(2500);
    expect((await d.api('PUT', `/campaigns/${id}/start`, { auth: alice })).json).toBe(true);
    await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? AND r.state = 'delivered'").get(id) as { n: number }).n === 6, 8000);
    expect((await d.api('GET', `/campaigns/${id}`, { auth: alice })).json).toMatchObject({ status: 'completed', contact_done: 6 });
    expect((await d.api('GET', `/transmissions?campaign_id=${id}`, { auth: alice })).json).toHaveLength(6);
    expect((await d.api('PUT', `/campaigns/${id}/start`, { auth: bob })).status).toBe(404);
    expect((await d.api('POST', '/campaigns', { auth: bob, body: { program_id: program, group_id: group } })).status).toBe(404);
  });

  it('starts a campaign on a schedule, and deletes it once it has run', async () => {
    const group = (await d.api('POST', '/groups', { auth: alice, body: { name: 'scheduled' } })).json as number;
    const contact = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'S', phone: '+61491571200' } })).json;
    await d.api('PUT', `/contacts/${contact}/link/${group}`, { auth: alice });
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'sched', data: 'Scheduled' } })).json as number;
    const id = (await d.api('POST', '/campaigns', { auth: alice, body: { program_id: program, group_id: group } })).json as number;
    expect((await d.api('POST', `/campaigns/${id}/start/schedule`, { auth: alice, body: { delay: 1 } })).json).toBeTypeOf('number');
    await d.waitFor(() => (d.db.prepare('SELECT job_id FROM campaigns WHERE id = ?').get(id) as { job_id: number | null }).job_id, 5000);
    await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? AND r.state = 'delivered'").get(id) as { n: number }).n === 1, 5000);
    expect((await d.api('DELETE', `/campaigns/${id}`, { auth: alice })).json).toBe(true);
  });
});
