import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import WebSocket from 'ws';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { TestSmsc } from '../peers/smsc.js';
import { TestSmtp } from '../peers/smtp.js';
import type { InboundMessage } from '../../dist/core/inbound.js';

// Issue 17: a message that answers no 2-way job is routed by the number (or address) it was sent to,
// to its owner: a number an admin assigned (`switchpost numbers add`), or an ICTCore account's phone
// or e-mail. The owner's receive program runs: an inbound transmission, a callback, an e-mail.
// Real parts: an SMSC peer (deliver_sm, data_sm), Kannel's sms-service get-url as Kannel calls it,
// an SMTP relay for the e-mails, a callback receiver, the HTTP faces.
const MO_SECRET = 'inbound-mo-secret-0123';
const ALICE_NUMBER = '+61412000001';
const BOB_PHONE = '0412000002'; // an ICTCore account's phone as its user wrote it: national
const CAROL_NUMBER = '+61412000003';
const FAST = { window: 10, reconnect_min_ms: 50, reconnect_max_ms: 200, response_timeout_ms: 1500, enquire_link_ms: 30_000, inactivity_ms: 60_000 };

let d: TestDaemon;
let smsc: TestSmsc;
let smtp: TestSmtp;
let cb: Awaited<ReturnType<typeof callbackReceiver>>;
let alice: { id: number; auth: string };

let carol: { id: number; auth: string };
let bobToken: string;
let bobAccount: number;
let bobProgram: number;
let bobFaxProgram: number;

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

type Tx = { transmission_id: number; direction: string; phone: string; destination: string; message: string; program_id: number | null; account_id: number | null; status: string; document?: string | null; pages?: number; response: string };
const inboundOf = async (auth: string): Promise<Tx[]> => {
  const r = await d.api('GET', '/transmissions?direction=inbound', { auth });
  expect(r.status, r.text).toBe(200);
  return r.json as Tx[];
};
/** Polls an async condition (d.waitFor takes a synchronous one). */
async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('until: condition not met in time');
    await new Promise((r) => setTimeout(r, 30));
  }
}
const mailTo = (rcpt: string) => smtp.messages.filter((m) => m.rcptTo.includes(rcpt));
const kannelMo = (from: string, to: string, text: string) => fetch(`${d.url}/gateways/kannel/kannel/mo?secret=${MO_SECRET}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&text=${encodeURIComponent(text)}`);
const inject = (m: Omit<InboundMessage, 'at'>) => new Promise<void>((r) => d.inbound({ ...m, at: Date.now() }, r));

/** A small real PDF (one page), as the freeswitch gateway leaves a received fax under the data dir. */
function writePdf(rel: string): Buffer {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>'];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const bytes = Buffer.from(body, 'latin1');
  mkdirSync(join(d.dir, rel, '..'), { recursive: true });
  writeFileSync(join(d.dir, rel), bytes);
  return bytes;
}

describe('inbound messages routed to the owner of the number they were sent to', () => {
  beforeAll(async () => {
    smsc = new TestSmsc({ systemId: 'esme', password: 'secret' });
    const smscPort = await smsc.listen();
    smtp = new TestSmtp({ users: {} });
    const smtpPort = await smtp.listen();
    cb = await callbackReceiver();
    d = await testDaemon({
      sandbox: { enabled: false },
      email: { system_from: 'noreply@switchpost.test', system_from_name: 'Switchpost' },
      providers: [
        { name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: smscPort, username: 'esme', password: 'secret', settings: FAST },
        { name: 'kannel', driver: 'kannel', services: ['mms'], host: '127.0.0.1', port: await closedPort(), username: 'sms', password: 'x', settings: { mo_secret: MO_SECRET } },
        { name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port: smtpPort, settings: { security: 'none', probe_ms: 200, timeout_ms: 5000 } },
      ],
    });
    alice = d.addUser('alice', 'user', { profile: { call_back_url: cb.url, default_sms_reply_email_address: 'alice-sms@example.org', email_address_for_inbound_fax: 'alice-fax@example.org' } });
    d.addUser('bob', 'user', { password: 'bob-secret-1' });
    carol = d.addUser('carol', 'user');
    // The admin's assignments, through the command an operator runs (beside the running daemon).
    const cli = (...args: string[]) => execFileSync(process.execPath, ['dist/cli.js', ...args], { env: { ...process.env, SWITCHPOST_DATA_DIR: d.dir, SWITCHPOST_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    expect(cli('numbers', 'add', '0412000001', '--user', 'alice')).toContain(`${ALICE_NUMBER} routed to alice`);
    cli('numbers', 'add', CAROL_NUMBER, '--user', 'carol');
    // A number is never moved to another user, and a bad one is refused, each with one line.
    const refused = (...args: string[]) => {
      try {
        cli(...args);
      } catch (err) {
        return String((err as { stderr: string }).stderr);
      }
      throw new Error('not refused');
    };
    expect(refused('numbers', 'add', CAROL_NUMBER, '--user', 'alice')).toContain('already assigned to another user');
    expect(refused('numbers', 'add', '12', '--user', 'alice')).toContain('too short');
    // Bob is an ICTCore user: an account with his DID and address, a receivesms program that mails a copy.
    bobToken = await bearer(d, 'bob', 'bob-secret-1');
    const acc = await d.api('POST', '/accounts', { auth: bobToken, body: { username: 'bob-did', type: 'did', phone: BOB_PHONE, email: 'bob-inbox@example.org' } });
    expect(acc.status, acc.text).toBe(200);
    bobAccount = acc.json as number;
    const prog = await d.api('POST', '/programs/receivesms', { auth: bobToken, body: { account_id: bobAccount, email: 'bob-sms@example.org' } });
    expect(prog.status, prog.text).toBe(200);
    bobProgram = prog.json as number;
    const fax = await d.api('POST', '/programs/faxtoemail', { auth: bobToken, body: { account_id: bobAccount } });
    expect(fax.status, fax.text).toBe(200);
    bobFaxProgram = fax.json as number;
    await d.waitFor(() => smsc.bound > 0, 15_000);
    for (let i = 0; i < 100 && (await kannelMo('+61400000000', '1', 'ping')).status === 404; i++) await new Promise((r) => setTimeout(r, 20));
  }, 40_000);
  afterAll(async () => {
    await d?.close();
    await smsc?.close();
    await smtp?.close();
    await cb?.close();
  });

  it("routes an SMPP deliver_sm to the number's owner: an inbound transmission with its text, a callback, an e-mail", async () => {
    // The SMSC writes the destination international without "+" (TON 1).
    smsc.deliver({ source_addr_ton: 1, source_addr_npi: 1, source_addr: '61491570156', dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '61412000001', short_message: Buffer.from('Hello Alice', 'latin1') });
    const t = await until(async () => (await inboundOf(alice.auth)).find((x) => x.message === 'Hello Alice'));
    expect(t).toMatchObject({ direction: 'inbound', phone: '+61491570156', destination: '+61412000001', status: 'completed', program_id: null, account_id: null });
    const got = await d.waitFor(() => cb.got.find((c) => c.form.message === 'Hello Alice'));
    expect(got.form).toMatchObject({ type: 'inbound', channel: 'sms', from: '+61491570156', to: '+61412000001', transmission_id: String(t.transmission_id) });
    const mail = await d.waitFor(() => mailTo('alice-sms@example.org')[0], 20_000);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.from?.value[0]?.address).toBe('noreply@switchpost.test');
    expect(parsed.subject).toBe('SMS from +61491570156 to +61412000001');
    expect(parsed.text).toContain('Hello Alice');
    // The MO's own row says whose it is, and its transmission.
    expect(d.db.prepare('SELECT user_id, job_id FROM inbound WHERE body = ?').get('Hello Alice')).toEqual({ user_id: alice.id, job_id: null });
    expect(smsc.deliverResps.at(-1)).toBe(0);
  });

  it('routes an SMPP data_sm (message_payload) to the ICTCore account whose phone it is, national as written, through its receivesms program', async () => {
    smsc.deliverData({ source_addr_ton: 1, source_addr_npi: 1, source_addr: '61491570157', dest_addr_ton: 2, dest_addr_npi: 1, destination_addr: '0412000002', message_payload: Buffer.from('Hi Bob by data sm', 'latin1') });
    const t = await until(async () => (await inboundOf(bobToken)).find((x) => x.message === 'Hi Bob by data sm'));
    expect(t).toMatchObject({ phone: '+61491570157', program_id: bobProgram, account_id: bobAccount, status: 'completed' });
    await d.waitFor(() => smsc.dataResps.length > 0);
    expect(smsc.dataResps).toEqual([0]);
    // The program says where its copy goes.
    const mail = await d.waitFor(() => mailTo('bob-sms@example.org')[0], 20_000);
    expect((await simpleParser(mail.raw)).text).toContain('Hi Bob by data sm');
  });

  it("routes a Kannel MO (its sms-service get-url) to the number's owner", async () => {
    expect((await kannelMo('0491570158', '61412000003', 'Hi Carol via Kannel')).status).toBe(200);
    const t = await until(async () => (await inboundOf(carol.auth)).find((x) => x.message === 'Hi Carol via Kannel'));
    expect(t).toMatchObject({ phone: '0491570158', destination: '61412000003', status: 'completed' });
  });

  it('stores an MO to a number nobody owns, gives it to no one, and sends nothing', async () => {
    const mails = smtp.messages.length;
    const calls = cb.got.length;
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570159', dest_addr_ton: 1, destination_addr: '61412999999', short_message: Buffer.from('Anyone there?', 'latin1') });
    const row = await d.waitFor(() => d.db.prepare('SELECT user_id, job_id FROM inbound WHERE body = ?').get('Anyone there?') as { user_id: number | null } | undefined);
    expect(row).toEqual({ user_id: null, job_id: null });
    for (const u of [alice.auth, bobToken, carol.auth]) expect((await inboundOf(u)).some((t) => t.message === 'Anyone there?')).toBe(false);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE json_extract(options, '$.text') = 'Anyone there?'`).get()).toEqual({ n: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect([smtp.messages.length, cb.got.length]).toEqual([mails, calls]);
  });

  it("keeps every owner's inbound to itself: ICTCore lists, reads, statistics and the v1 job list", async () => {
    await until(async () => (await inboundOf(carol.auth)).length > 0);
    const of = { alice: await inboundOf(alice.auth), bob: await inboundOf(bobToken), carol: await inboundOf(carol.auth) };
    expect(of.alice.length).toBeGreaterThan(0);
    expect(of.bob.length).toBeGreaterThan(0);
    const ids = (l: Tx[]) => new Set(l.map((t) => t.transmission_id));
    for (const [a, b] of [
      [of.alice, of.bob],
      [of.alice, of.carol],
      [of.bob, of.carol],
    ] as const)
      for (const id of ids(a)) expect(ids(b).has(id)).toBe(false);
    // Another user's inbound transmission looks like a missing one; it cannot be sent either.
    const alicesOne = of.alice[0]!.transmission_id;
    expect((await d.api('GET', `/transmissions/${alicesOne}`, { auth: carol.auth })).status).toBe(404);
    expect((await d.api('GET', `/transmissions/${alicesOne}`, { auth: alice.auth })).json).toMatchObject({ direction: 'inbound' });
    const send = await d.api('POST', `/transmissions/${alicesOne}/send`, { auth: alice.auth });
    expect(send.status).toBe(423);
    expect(send.json.error.message).toContain('inbound');
    // Counted for its owner only.
    const stats = async (auth: string) => (await d.api('GET', '/statistics', { auth })).json.transmission_inbound as number;
    expect(await stats(alice.auth)).toBe(of.alice.length);
    expect(await stats(carol.auth)).toBe(of.carol.length);
    // The v1 face lists jobs: another user's inbound is not among them.
    const v1 = await d.api('GET', '/api/v1/jobs?page_size=1000', { auth: carol.auth });
    expect(v1.status, v1.text).toBe(200);
    const aliceJobs = new Set((d.db.prepare('SELECT job_id FROM recipients WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...ids(of.alice)])) as { job_id: number }[]).map((r) => r.job_id));
    for (const j of v1.json.data as { job_id: number }[]) expect(aliceJobs.has(j.job_id)).toBe(false);
  });

  it("shows a message received on its owner's live stream only", async () => {
    const stream = (auth: string) =>
      new Promise<{ ws: WebSocket; events: { type: string; userId?: number; text?: string; channel?: string; transmissionId?: number }[] }>((resolve, reject) => {
        const ws = new WebSocket(d.url.replace('http', 'ws') + '/stream', { headers: { authorization: auth } });
        const events: { type: string }[] = [];
        ws.on('message', (m) => events.push(JSON.parse(String(m))));
        ws.on('open', () => resolve({ ws, events }));
        ws.on('error', reject);
      });
    const [sa, sc] = await Promise.all([stream(alice.auth), stream(carol.auth)]);
    await d.waitFor(() => sa.events.some((e) => e.type === 'hello') && sc.events.some((e) => e.type === 'hello'));
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570160', dest_addr_ton: 1, destination_addr: '61412000001', short_message: Buffer.from('Live for Alice', 'latin1') });
    const e = await d.waitFor(() => sa.events.find((x) => x.type === 'inbound.received' && x.text === 'Live for Alice'));
    expect(e).toMatchObject({ userId: alice.id, channel: 'sms', transmissionId: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 200));
    expect(sc.events.filter((x) => x.type === 'inbound.received')).toEqual([]);
    sa.ws.close();
    sc.ws.close();
  });

  it("never routes an assigned number to another user's account that claims it, nor a number two users' accounts claim", async () => {
    const carolToken = await bearer(d, 'carol', 'pw-carol-secret');
    const claim = await d.api('POST', '/accounts', { auth: carolToken, body: { username: 'carol-steals', phone: ALICE_NUMBER } });
    expect(claim.status, claim.text).toBe(200);
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570161', dest_addr_ton: 1, destination_addr: '61412000001', short_message: Buffer.from('Still Alice', 'latin1') });
    await until(async () => (await inboundOf(alice.auth)).find((x) => x.message === 'Still Alice'));
    expect((await inboundOf(carol.auth)).some((x) => x.message === 'Still Alice')).toBe(false);
    // +61412000077 is nobody's assignment; two users' accounts name it: it is nobody's.
    for (const [token, name] of [
      [carolToken, 'carol-77'],
      [bobToken, 'bob-77'],
    ])
      expect((await d.api('POST', '/accounts', { auth: token, body: { username: name, phone: '+61412000077' } })).status).toBe(200);
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570162', dest_addr_ton: 1, destination_addr: '61412000077', short_message: Buffer.from('Whose?', 'latin1') });
    expect(await d.waitFor(() => d.db.prepare('SELECT user_id FROM inbound WHERE body = ?').get('Whose?'))).toEqual({ user_id: null });
  });

  it("refuses bad receive-program input in ICTCore's format and changes nothing", async () => {
    const before = (d.db.prepare('SELECT COUNT(*) AS n FROM programs').get() as { n: number }).n;
    const bad = await d.api('POST', '/programs/receivesms', { auth: bobToken, body: { account_id: bobAccount, email: 'not an address' } });
    expect(bad.status).toBe(412);
    expect(bad.json.error.message).toContain('email');
    const wrongType = await d.api('POST', '/programs/sendsms', { auth: bobToken, body: { message: 'hi', email: 'bob@example.org' } });
    expect(wrongType.status).toBe(412);
    expect((await d.api('POST', '/transmissions', { auth: bobToken, body: { program_id: bobProgram, phone: '+61491570156' } })).status).toBe(501);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM programs').get() as { n: number }).n).toBe(before);
  });

  it("stores a received fax as the owner's inbound transmission with its PDF, and e-mails it attached with caller, pages and time", async () => {
    const pdf = writePdf('inbound/fax/call-1.pdf');
    await inject({
      providerId: null,
      channel: 'fax',
      from: '+61299998888',
      to: ALICE_NUMBER,
      text: '',
      data: { fax: { call_uuid: 'call-1', pdf: 'inbound/fax/call-1.pdf', pages: 1, total_pages: 1, success: true, result_code: 0, result_text: 'OK', remote_station_id: 'ACME FAX' } },
    });
    const t = await until(async () => (await inboundOf(alice.auth)).find((x) => x.phone === '+61299998888' && x.pages === 1));
    expect(t).toMatchObject({ direction: 'inbound', document: 'inbound/fax/call-1.pdf', pages: 1, status: 'completed', destination: ALICE_NUMBER });
    const mail = await d.waitFor(() => mailTo('alice-fax@example.org')[0], 20_000);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toMatch(/^Fax from \+61299998888: 1 page, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Australia\/Sydney\)$/);
    expect(parsed.text).toContain('ACME FAX');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]).toMatchObject({ contentType: 'application/pdf' });
    expect(Buffer.compare(parsed.attachments[0]!.content, pdf)).toBe(0);
    const got = await d.waitFor(() => cb.got.find((c) => c.form.channel === 'fax' && c.form.transmission_id === String(t.transmission_id)));
    expect(got.form).toMatchObject({ from: '+61299998888', fax_status: 'received', pages: '1', document: 'inbound/fax/call-1.pdf' });
  });

  it('reports a partial fax as such, with the pages that did arrive', async () => {
    writePdf('inbound/fax/call-2.pdf');
    await inject({
      providerId: null,
      channel: 'fax',
      from: '+61299997777',
      to: ALICE_NUMBER,
      text: '',
      data: { fax: { call_uuid: 'call-2', pdf: 'inbound/fax/call-2.pdf', pages: 2, total_pages: 3, success: false, result_code: 49, result_text: 'The call dropped prematurely' } },
    });
    const t = await until(async () => (await inboundOf(alice.auth)).find((x) => x.phone === '+61299997777'));
    expect(t).toMatchObject({ status: 'failed', pages: 2, total_pages: 3, response: 'partial: 2 of 3 pages received (49 The call dropped prematurely)' });
    const mail = await d.waitFor(() => mailTo('alice-fax@example.org').find((m) => m.raw.toString().includes('Partial fax')), 20_000);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toMatch(/^Partial fax from \+61299997777: 2 pages/);
    expect(parsed.text).toContain('2 of 3 pages arrived');
    expect(parsed.attachments).toHaveLength(1);
    const got = await d.waitFor(() => cb.got.find((c) => c.form.from === '+61299997777'));
    expect(got.form).toMatchObject({ fax_status: 'partial', pages: '2', total_pages: '3' });
  });

  it("e-mails a fax to an ICTCore account's address through its faxtoemail program", async () => {
    writePdf('inbound/fax/call-3.pdf');
    await inject({ providerId: null, channel: 'fax', from: '+61299996666', to: '+61412000002', text: '', data: { fax: { call_uuid: 'call-3', pdf: 'inbound/fax/call-3.pdf', pages: 1, success: true, result_code: 0, result_text: 'OK' } } });
    const t = await until(async () => (await inboundOf(bobToken)).find((x) => x.phone === '+61299996666'));
    expect(t).toMatchObject({ program_id: bobFaxProgram, account_id: bobAccount, document: 'inbound/fax/call-3.pdf' });
    const mail = await d.waitFor(() => mailTo('bob-inbox@example.org')[0], 20_000);
    expect((await simpleParser(mail.raw)).attachments).toHaveLength(1);
    expect((await inboundOf(alice.auth)).some((x) => x.phone === '+61299996666')).toBe(false);
  });

  it("stores an e-mail to an account's address as that account's inbound transmission (receiveemail), for its owner alone", async () => {
    await inject({ providerId: null, channel: 'email', from: 'someone@example.com', to: 'Bob-Inbox@Example.org', text: 'Mail for Bob', data: { subject: 'Hello' } });
    const t = await until(async () => (await inboundOf(bobToken)).find((x) => x.message === 'Mail for Bob'));
    expect(t).toMatchObject({ phone: 'someone@example.com', account_id: bobAccount, status: 'completed' });
    for (const u of [alice.auth, carol.auth]) expect((await inboundOf(u)).some((x) => x.message === 'Mail for Bob')).toBe(false);
    // Nobody's address: stored, nobody's.
    await inject({ providerId: null, channel: 'email', from: 'someone@example.com', to: 'nobody@example.org', text: 'Mail for nobody' });
    expect(d.db.prepare('SELECT user_id FROM inbound WHERE body = ?').get('Mail for nobody')).toEqual({ user_id: null });
  });
});

describe('inbound from the sandbox provider', () => {
  let sd: TestDaemon;
  beforeAll(async () => {
    sd = await testDaemon();
  }, 30_000);
  afterAll(async () => {
    await sd?.close();
  });

  it("routes the sandbox's MO (+61491570006 answers a one-way SMS) to the owner of the number it went to", async () => {
    const sender = sd.addUser('sender', 'user');
    const owner = sd.addUser('owner', 'user');
    sd.db.prepare('INSERT INTO numbers (number, user_id, created_at) VALUES (?, ?, ?)').run('+61412000009', owner.id, Date.now());
    const r = await sd.api('POST', '/api/v1/jobs', { auth: sender.auth, body: { job_type: 'sms', message: 'ping', manual_sender_id: '+61412000009', recipients: [{ destination: '+61491570006' }] } });
    expect(r.status, r.text).toBe(200);
    const list = async (auth: string) => (await sd.api('GET', '/transmissions?direction=inbound', { auth })).json as Tx[];
    const t = await until(async () => (await list(owner.auth)).find((x) => x.message === 'Yes, thanks'));
    expect(t).toMatchObject({ phone: '+61491570006', destination: '+61412000009', status: 'completed' });
    expect(await list(sender.auth)).toEqual([]);
  });
});
