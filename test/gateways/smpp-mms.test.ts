// MMS by WAP Push over SMPP, end to end (issue 20): a v1 `mms` job through a real daemon to the real
// SMSC peer. The submit_sm octets the peer read decode (tshark: UDH ports, WSP push, MMS headers) to
// the notification meant; its Content-Location serves an M-Retrieve.conf whose parts are the job's
// text and media byte for byte; the handset's M-NotifyResp.ind delivers it; an unfetched one expires,
// found after a restart from the recipient's due time, not from a timer.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TestSmsc } from '../peers/smsc.js';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';
import { noisyJpeg } from '../helpers/mms-media.js';
import { field, tcpStream, tshark } from '../helpers/tshark.js';
import { WspReader } from '../../dist/core/mms/wsp.js';
import { decodeSms } from '../../dist/core/sms.js';
import { loadConfig } from '../../dist/config/load.js';
import { startDaemon, type Daemon } from '../../dist/main.js';
import { UserStore } from '../../dist/store/users.js';

const FAST = { window: 10, reconnect_min_ms: 50, reconnect_max_ms: 200, response_timeout_ms: 1500, enquire_link_ms: 30_000, inactivity_ms: 60_000 };
const MMS = 'application/vnd.wap.mms-message';
const notifyResp = (tid: string, status = 0x81) => Buffer.concat([Buffer.from([0x8c, 0x83, 0x98]), Buffer.from(tid + '\0'), Buffer.from([0x8d, 0x92, 0x95, status])]);

let smsc: TestSmsc | undefined;
let d: TestDaemon | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await d?.close();
  d = undefined;
  await smsc?.close();
  smsc = undefined;
});

const provider = (port: number, mms: Record<string, unknown>) => ({ name: 'smsc-mms', driver: 'smpp', services: ['sms', 'mms'], host: '127.0.0.1', port, username: 'x', password: '', settings: { ...FAST, mms } });

/** The submit_sm PDUs the peer read for one destination, reassembled: the WSP push octets. */
function pushOf(s: TestSmsc, destination: string): Buffer {
  const parts = s.submits.filter((x: { destination_addr: string }) => x.destination_addr === destination).map((x: { short_message: Buffer }) => x.short_message);
  expect(parts.length).toBeGreaterThan(0);
  const ordered = parts.length === 1 ? parts : [...parts].sort((a: Buffer, b: Buffer) => a[11]! - b[11]!);
  return Buffer.concat(ordered.map((p: Buffer) => p.subarray(p[0]! + 1)));
}

/** The M-Retrieve.conf's body: each part's data, after its headers (read with the daemon's own WSP reader, the headers skipped). */
function retrieveParts(conf: Buffer): Buffer[] {
  const r = new WspReader(conf);
  for (;;) {
    const f = r.octet();
    if (f === 0x84) {
      r.skipValue(); // Content-Type, the last header (§7.1)
      break;
    }
    r.skipValue();
  }
  const n = r.uintvar();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const headersLen = r.uintvar();
    const dataLen = r.uintvar();
    r.bytes(headersLen);
    out.push(Buffer.from(r.bytes(dataLen)));
  }
  expect(r.done).toBe(true);
  return out;
}

const stateOf = (db: Daemon['db'], destination: string) =>
  db.prepare('SELECT r.state, r.reason, a.status, a.encoding FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.address = ?').get(destination) as { state: string; reason: string | null; status: string; encoding: string } | undefined;

describe('MMS by WAP Push over an SMPP provider', () => {
  it('pushes the notification, serves the message at its Content-Location, and is delivered by the handset', async () => {
    smsc = new TestSmsc({ recordWire: true });
    const port = await smsc.listen();
    d = await testDaemon({ sandbox: { enabled: false }, providers: [provider(port, { path: 'wap_push', expiry_seconds: 3600 })] });
    const { auth } = d.addUser('alice', 'user');
    const photo = await noisyJpeg(320, 240, 80);
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: {
        job_type: 'mms',
        job_name: 'wap push',
        subject: 'For %%recipient%%',
        message: 'Hello %%recipient%% — the map',
        manual_sender_id: '+61412345678',
        files: [{ name: 'map.jpg', base64content: photo.toString('base64') }],
        recipients: [{ destination: '+61491570156', recipient: 'Jane' }],
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(() => stateOf(d!.db, '+61491570156')?.state === 'submitted');
    expect(stateOf(d.db, '+61491570156')).toMatchObject({ status: expect.any(String), encoding: 'wap_push' });

    // The octets the SMSC read: 8-bit parts, the WAP ports in every UDH, no SMS receipt asked.
    for (const s of smsc.submits) {
      expect(s).toMatchObject({ esm_class: 0x40, data_coding: 0x04, destination_addr: '61491570156', registered_delivery: 0 });
      expect(s.short_message.subarray(1, 7).toString('hex')).toBe('05040b8423f0');
    }
    const push = pushOf(smsc, '61491570156');
    // Decoded by Wireshark's dissectors from the wire as the peer read it.
    const frames = tshark(
      tcpStream(
        40000,
        2775,
        smsc.receivedPdus().filter((p: Buffer) => p.readUInt32BE(4) === 0x00000004),
      ),
    );
    const whole = frames[frames.length - 1]!;
    expect(field(whole.gsm_sms_ud, 'gsm_sms.destination_port')).toBe('2948');
    expect(field(whole.gsm_sms_ud, 'gsm_sms.originator_port')).toBe('9200');
    expect(field(whole.wsp, 'wsp.pdu_type')).toBe('0x06');
    expect(field(whole.wsp, 'wsp.header.x_wap_application_id')).toBe('x-wap-application:mms.ua');
    expect(field(whole.mmse, 'mmse.message_type')).toBe('0x82');
    expect(field(whole.mmse, 'mmse.from')).toBe('+61412345678/TYPE=PLMN');
    expect(field(whole.mmse, 'mmse.subject')).toBe('For Jane');
    expect(field(whole.mmse, 'mmse.expiry.rel')).toMatch(/^3[56]\d\d\.0+$/);
    const location = field(whole.mmse, 'mmse.content_location') as string;
    const token = field(whole.mmse, 'mmse.transaction_id') as string;
    expect(location).toBe(`${d.url}/m/${token}`);
    expect(push.subarray(push.length - location.length - 1, push.length - 1).toString()).toBe(location);

    // The handset fetches it: the M-Retrieve.conf of the size notified, the job's text and photo byte for byte.
    const res = await fetch(location);
    const conf = Buffer.from(await res.arrayBuffer());
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-length')]).toEqual([200, MMS, String(conf.length)]);
    expect(field(whole.mmse, 'mmse.message_size')).toBe(String(conf.length));
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job) as { content: string }).content);
    const parts = retrieveParts(conf);
    // related: the SMIL first, then the photo, then the text.
    expect(parts).toHaveLength(3);
    expect(parts[0]!.toString()).toContain('<img src="part1.jpeg"');
    expect(parts[1]!.equals(readFileSync(content.media[0].file))).toBe(true);
    expect(parts[2]!.toString('utf8')).toBe('Hello Jane — the map');
    const [p] = tshark([{ srcPort: 9200, dstPort: 40000, payload: Buffer.concat([Buffer.from([1, 0x04, 0x20, 1, 0xbe]), conf]) }]);
    expect(field(p!.mmse, 'mmse.message_type')).toBe('0x84');
    expect(field(p!.mmse, 'mmse.to')).toBe('+61491570156/TYPE=PLMN');

    // Fetched: retrieved, still submitted; the M-NotifyResp.ind at the MMSC URL delivers it.
    await d.waitFor(() => stateOf(d!.db, '+61491570156')?.status === 'retrieved');
    expect(stateOf(d.db, '+61491570156')!.state).toBe('submitted');
    const answer = await fetch(`${d.url}/mms`, { method: 'POST', headers: { 'content-type': MMS }, body: notifyResp(token) });
    expect(answer.status).toBe(200);
    await d.waitFor(() => stateOf(d!.db, '+61491570156')?.state === 'delivered');
    expect(stateOf(d.db, '+61491570156')).toMatchObject({ status: 'delivered', encoding: 'wap_push' });

    // The report says which path it took; the hosted message is gone once final.
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth })).json.data;
    expect(report.reports[0]).toMatchObject({ destination: '+61491570156', status: 'SENT', mms_path: 'wap_push' });
    await d.waitFor(() => !existsSync(join(d!.dir, 'media', 'hosted', 'mms', `a${(d!.db.prepare('SELECT attempt_id FROM recipients WHERE address = ?').get('+61491570156') as { attempt_id: number }).attempt_id}`)));
    expect((await fetch(location)).status).toBe(404);
    // A forged or altered token reveals nothing, and changes nothing.
    expect((await fetch(`${location.slice(0, -2)}AA`)).status).toBe(404);
    expect((await fetch(`${d.url}/mms`, { method: 'POST', headers: { 'content-type': MMS }, body: Buffer.from('8c83', 'hex') })).status).toBe(400);
  }, 60_000);

  it('expires a notification nobody fetched, found after a restart from its due time', async () => {
    smsc = new TestSmsc({ recordWire: true });
    const port = await smsc.listen();
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-wap-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const start = () =>
      startDaemon(
        loadConfig({
          env: {},
          overrides: {
            data_dir: dir,
            http: { port: 0 },
            log: { level: 'silent' },
            store: { synchronous: 'normal' },
            sandbox: { enabled: false },
            spool: { poll_ms: 20, retry: { tries: 3, backoff_seconds: 0.05, backoff_max_seconds: 1 } },
            providers: [provider(port, { path: 'wap_push', expiry_seconds: 3 })],
          },
        }),
        { log: pino({ level: 'silent' }) },
      );
    let daemon = await start();
    new UserStore(daemon.db).add({ user_code: 'bob', password: 'pw-bob-secret', role: 'user', agent_id: null, timezone: 'UTC', country: 'AU', email: null });
    const res = await fetch(`${daemon.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('bob', 'pw-bob-secret'), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'mms', job_name: 'unfetched', subject: '', message: 'Nobody looks', files: [{ name: 'p.jpg', base64content: (await noisyJpeg(64, 48)).toString('base64') }], recipients: [{ destination: '+61491570157' }] }),
    });
    expect(res.status, await res.text()).toBe(200);
    const until = async (ok: () => boolean, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => stateOf(daemon.db, '+61491570157')?.state === 'submitted');
    const attemptId = (daemon.db.prepare('SELECT attempt_id FROM recipients WHERE address = ?').get('+61491570157') as { attempt_id: number }).attempt_id;
    const hostedFile = join(dir, 'media', 'hosted', 'mms', `a${attemptId}`);
    expect(existsSync(hostedFile)).toBe(true);
    // Stopped before the expiry, started again after it: no timer of the first run survives.
    await daemon.stop();
    await new Promise((r) => setTimeout(r, 3500));
    daemon = await start();
    cleanups.push(() => daemon.stop());
    await until(() => stateOf(daemon.db, '+61491570157')?.state === 'expired');
    expect(stateOf(daemon.db, '+61491570157')).toMatchObject({ reason: 'EXPIRED: not fetched before its expiry', status: 'expired', encoding: 'wap_push' });
    await until(() => !existsSync(hostedFile));
    // One push only: the restart sent nothing again.
    expect(smsc.submits.filter((s: { destination_addr: string }) => s.destination_addr === '61491570157').length).toBeGreaterThan(0);
    const pushes = new Set(smsc.submits.filter((s: { destination_addr: string }) => s.destination_addr === '61491570157').map((s: { short_message: Buffer }) => (s.short_message[0] === 11 ? s.short_message[9] : -1)));
    expect(pushes.size).toBe(1);
  }, 60_000);

  it("sends an SMS-only provider's MMS as its text and a signed, expiring link to the media", async () => {
    smsc = new TestSmsc({ recordWire: true });
    const port = await smsc.listen();
    d = await testDaemon({ sandbox: { enabled: false }, providers: [provider(port, { path: 'sms_link', expiry_seconds: 4 })] });
    const { auth } = d.addUser('carol', 'user');
    const photo = await noisyJpeg(200, 150, 80);
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'mms', job_name: 'link', subject: 'Map', message: 'Hello %%recipient%%, the map:', files: [{ name: 'map.jpg', base64content: photo.toString('base64') }], recipients: [{ destination: '+61491570158', recipient: 'Kim' }] },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(() => stateOf(d!.db, '+61491570158')?.state === 'delivered');
    expect(stateOf(d.db, '+61491570158')).toMatchObject({ status: 'delivered', encoding: 'sms_link' });

    // A text SMS (no binary, no WAP ports), its receipt asked: the subject, the text, the link.
    const parts = smsc.submits.filter((x: { destination_addr: string }) => x.destination_addr === '61491570158');
    expect(parts.every((p: { data_coding: number; registered_delivery: number }) => p.data_coding !== 4 && p.registered_delivery === 1)).toBe(true);
    const text = parts.map((p: { esm_class: number; short_message: Buffer; data_coding: number }) => decodeSms(p.esm_class & 0x40 ? p.short_message.subarray(p.short_message[0]! + 1) : p.short_message, p.data_coding).text).join('');
    const link = new RegExp(`^Map\\nHello Kim, the map:\\n(${d.url.replace(/[.]/g, '\\.')}/m/[A-Za-z0-9._-]+)$`).exec(text);
    expect(link, text).not.toBeNull();
    const url = link![1]!;
    expect(url.length - d.url.length).toBeLessThan(50); // short: /m/ and a token of about 40 characters

    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job) as { content: string }).content);
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-length'), res.headers.get('cache-control')]).toEqual([200, 'image/jpeg', String(body.length), 'no-store']);
    expect(body.equals(readFileSync(content.media[0].file))).toBe(true);
    // Nothing else: another part, another job, the other kind, an altered MAC are the same bare 404.
    const token = url.slice(url.lastIndexOf('/') + 1);
    const [, ref, exp, mac] = token.split('.');
    for (const t of [`f.${ref!.replace('p1', 'p2')}.${exp}.${mac}`, `f.j${job + 1}p1.${exp}.${mac}`, `m.${ref}.${exp}.${mac}`, `f.${ref}.${exp}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`]) {
      const x = await fetch(`${d.url}/m/${t}`);
      expect([x.status, await x.text()], t).toEqual([404, 'not found']);
    }
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth })).json.data;
    expect(report.reports[0]).toMatchObject({ status: 'SENT', mms_path: 'sms_link' });

    // After its expiry: 410, and the job's file goes once its newest link has expired.
    await new Promise((res) => setTimeout(res, Number.parseInt(exp!, 36) * 1000 - Date.now() + 100));
    const gone = await fetch(url);
    expect([gone.status, await gone.text()]).toEqual([410, 'gone']);
    const file = join(d.dir, 'media', 'hosted', 'file', ref!);
    expect(existsSync(file)).toBe(true);
    expect(d.hosted.files.removeExpired('file', Date.now())).toEqual([ref]);
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  it('falls back to the SMS with a link when the SMSC refuses the WAP Push, where the provider allows it', async () => {
    // This SMSC takes no binary SMS: ESME_RINVESMCLASS, a final refusal.
    smsc = new TestSmsc({ script: (s: { data_coding: number }) => (s.data_coding === 4 ? { status: 0x43 } : {}) });
    const port = await smsc.listen();
    d = await testDaemon({ sandbox: { enabled: false }, providers: [provider(port, { path: 'wap_push', fallback: 'sms_link' })] });
    const { auth } = d.addUser('dan', 'user');
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'mms', job_name: 'fallback', subject: '', message: 'See this', files: [{ name: 'p.jpg', base64content: (await noisyJpeg(64, 48)).toString('base64') }], recipients: [{ destination: '+61491570159' }] },
    });
    expect(r.status, r.text).toBe(200);
    await d.waitFor(() => stateOf(d!.db, '+61491570159')?.state === 'delivered');
    // One attempt: the push refused, then the text with its link, delivered by its receipt.
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE destination = ?').get('+61491570159')).toEqual({ n: 1 });
    expect(stateOf(d.db, '+61491570159')).toMatchObject({ encoding: 'sms_link' });
    const codings = smsc.submits.map((s: { data_coding: number }) => s.data_coding);
    expect(codings[0]).toBe(4);
    expect(codings.slice(1).every((c: number) => c !== 4)).toBe(true);
    const text = smsc.submits
      .slice(1)
      .map((p: { esm_class: number; short_message: Buffer; data_coding: number }) => decodeSms(p.esm_class & 0x40 ? p.short_message.subarray(p.short_message[0]! + 1) : p.short_message, p.data_coding).text)
      .join('');
    expect(text).toMatch(/^See this\n.*\/m\/f\.j\d+p1\./);
    // The push's hosted message is gone: it was refused.
    expect(existsSync(join(d.dir, 'media', 'hosted', 'mms'))).toBe(true);
    expect(readdirSync(join(d.dir, 'media', 'hosted', 'mms'))).toEqual([]);
  }, 60_000);

  it('fails an MMS whose path is refused without a fallback, and keeps nothing hosted', async () => {
    smsc = new TestSmsc({ script: (s: { data_coding: number }) => (s.data_coding === 4 ? { status: 0x43 } : {}) });
    const port = await smsc.listen();
    d = await testDaemon({ sandbox: { enabled: false }, providers: [provider(port, { path: 'wap_push' })] });
    const { auth } = d.addUser('eve', 'user');
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'mms', job_name: 'no fallback', subject: '', message: 'See this', files: [{ name: 'p.jpg', base64content: (await noisyJpeg(64, 48)).toString('base64') }], recipients: [{ destination: '+61491570161' }] },
    });
    expect(r.status, r.text).toBe(200);
    await d.waitFor(() => stateOf(d!.db, '+61491570161')?.state === 'rejected');
    expect(stateOf(d.db, '+61491570161')!.reason).toContain('ESME_RINVESMCLASS');
    expect(smsc.submits.every((s: { data_coding: number }) => s.data_coding === 4)).toBe(true);
    expect(readdirSync(join(d.dir, 'media', 'hosted', 'mms'))).toEqual([]);
  }, 60_000);

  it('sends the SMS with a link on the next try once an unfetched WAP Push expires, where the provider allows it', async () => {
    smsc = new TestSmsc();
    const port = await smsc.listen();
    d = await testDaemon({ sandbox: { enabled: false }, providers: [provider(port, { path: 'wap_push', fallback: 'sms_link', expiry_seconds: 2 })] });
    const { auth } = d.addUser('fay', 'user');
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: { job_type: 'mms', job_name: 'expiry fallback', subject: '', message: 'Look', files: [{ name: 'p.jpg', base64content: (await noisyJpeg(64, 48)).toString('base64') }], recipients: [{ destination: '+61491570162' }] },
    });
    expect(r.status, r.text).toBe(200);
    await d.waitFor(() => stateOf(d!.db, '+61491570162')?.state === 'delivered', 20_000);
    const attempts = d.db.prepare('SELECT encoding, status, response FROM attempts WHERE destination = ? ORDER BY id').all('+61491570162') as { encoding: string; status: string; response: string }[];
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ encoding: 'wap_push', status: 'failed_retryable' });
    expect(attempts[0]!.response).toMatch(/^expired_fallback EXPIRED: not fetched before its expiry/);
    expect(attempts[1]).toMatchObject({ encoding: 'sms_link', status: 'delivered' });
    // The push first (binary), then the text with its link.
    const codings = smsc.submits.map((s: { data_coding: number }) => s.data_coding);
    expect(codings[0]).toBe(4);
    expect(codings.slice(1).length).toBeGreaterThan(0);
    expect(codings.slice(1).every((c: number) => c !== 4)).toBe(true);
    const report = (await d.api('GET', `/api/v1/jobs/${r.json.data}`, { auth })).json.data;
    expect(report.reports[0]).toMatchObject({ status: 'SENT', mms_path: 'sms_link' });
  }, 60_000);
});
