import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { EslPeer } from '../peers/esl.js';
import { FreeswitchGateway } from '../../dist/gateways/freeswitch/freeswitch-gateway.js';
import { freeswitchSettingsSchema } from '../../dist/gateways/freeswitch/settings.js';
import { DRIVER_RULES } from '../../dist/gateways/drivers.js';
import { TtsRenderer } from '../../dist/media/tts.js';
import { toFaxTiff } from '../../dist/media/fax.js';
import type { InboundMessage } from '../../dist/core/inbound.js';

// The real fax stack, as test/media/fax.test.ts builds it: a spandsp sender and receiver back to back.
const dir = mkdtempSync(join(tmpdir(), 'rxfax-'));
const faxcheck = join(dir, 'faxcheck');
const cflags = spawnSync('pkg-config', ['--cflags', '--libs', 'spandsp'], { encoding: 'utf8' });
const hasStack = cflags.status === 0 && spawnSync('gs', ['--version']).status === 0 && spawnSync('tiff2pdf', ['-v']).error === undefined;
const sent = join(dir, 'sent.tif');

beforeAll(async () => {
  if (!hasStack) return;
  const cc = spawnSync('gcc', ['-O2', '-o', faxcheck, 'test/peers/fax/faxcheck.c', ...cflags.stdout.trim().split(/\s+/), '-ltiff'], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  // Three pages, the last a short one (a few lines), as the caller's fax machine sends them.
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= 3; i++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`Inbound test page ${i} of 3`, { x: 72, y: 760, size: 28, font });
    page.drawRectangle({ x: 72, y: 100, width: 400, height: 600, borderWidth: 3 });
  }
  const { tiff, pages } = await toFaxTiff([{ name: 'in.pdf', bytes: Buffer.from(await doc.save()) }]);
  expect(pages).toBe(3);
  writeFileSync(sent, tiff);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let gw: FreeswitchGateway | undefined;
let esl: EslPeer | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  await esl?.close();
  esl = undefined;
});

async function start(inbound: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(dir, 'data-'));
  esl = new EslPeer({ password: 'ClueCon' });
  const port = await esl.listen();
  const got: InboundMessage[] = [];
  const committed: string[] = [];
  const sink = {
    report: () => {},
    health: () => {},
    inbound: (m: InboundMessage, done?: () => void) => {
      got.push(m);
      committed.push(m.data?.fax?.call_uuid ?? '');
      done?.();
    },
  };
  const s = freeswitchSettingsSchema.parse({ caller_id_number: '+61299990000', reconnect_min_ms: 50, esl_timeout_ms: 2000, inbound_fax: { listen_port: 0, result_timeout_s: 30, hangup_timeout_s: 1, ...inbound }, ...settings });
  gw = new FreeswitchGateway(9, { host: '127.0.0.1', port, password: 'ClueCon', dialstring: 'sofia/gateway/{gateway}/{number}', prefix: null }, s, new TtsRenderer(join(dataDir, 'tts')), sink, pino({ level: 'silent' }), 0, dataDir);
  await gw.start();
  const faxPort = gw.inboundFaxPort;
  expect(faxPort).toBeGreaterThan(0);
  return { dataDir, got, committed, port: faxPort!, peer: esl };
}

const until = async (f: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The PDF's pages as pdf-lib reads them, and as ghostscript counts them. */
async function pdfPages(file: string) {
  const doc = await PDFDocument.load(readFileSync(file));
  const gs = spawnSync('gs', ['-q', '-dNODISPLAY', '-dNOSAFER', '-c', `(${file}) (r) file runpdfbegin pdfpagecount = quit`], { encoding: 'utf8' });
  // Every page renders: ghostscript reads the whole document to a null device.
  const render = spawnSync('gs', ['-q', '-dBATCH', '-dNOPAUSE', '-dSAFER', '-sDEVICE=nullpage', file], { encoding: 'utf8' });
  return { count: doc.getPageCount(), gs: Number(gs.stdout.trim()), renders: render.status === 0 && !/error/i.test(render.stderr), sizes: doc.getPages().map((p) => p.getSize()) };
}

const tiffName = /^media\/fax-in\/[0-9a-f-]{36}\.tif$/;

describe('inbound fax settings', () => {
  it('is off by default; the listener takes an address literal only; an API-made provider listens on loopback only', () => {
    expect(freeswitchSettingsSchema.parse({}).inbound_fax).toBeNull();
    expect(freeswitchSettingsSchema.parse({ inbound_fax: { listen_port: 8084 } }).inbound_fax).toMatchObject({ listen_host: '127.0.0.1', listen_port: 8084, result_timeout_s: 900, hangup_timeout_s: 10 });
    expect(freeswitchSettingsSchema.safeParse({ inbound_fax: { listen_host: 'localhost', listen_port: 8084 } }).success).toBe(false);
    expect(freeswitchSettingsSchema.safeParse({ inbound_fax: { listen_port: 70000 } }).success).toBe(false);
    const refusal = DRIVER_RULES.freeswitch.refusal!;
    const limits = { leaseSeconds: 120, freeswitchDir: dir };
    expect(refusal({ inbound_fax: { listen_host: '0.0.0.0', listen_port: 8084 } }, limits)).toMatch(/loopback/);
    expect(refusal({ inbound_fax: { listen_host: '127.0.0.1', listen_port: 8084 } }, limits)).toBeNull();
  });
});

describe.skipIf(!hasStack)('inbound fax over the outbound event socket (ESL peer, spandsp)', () => {
  it('answers with T.38 per the provider, receives every page into a file of its own, and reports a PDF of them', async () => {
    const { dataDir, got, committed, port, peer } = await start();
    // A forwarded call: the To header still names the number first dialled; FreeSWITCH routes on the request URI's.
    const call = await peer.inboundCall({ port, caller: '61298765432', did: '61290001111', toUser: '61290009999', fax: { faxcheck, tiff: sent } });
    await until(() => got.length === 1);
    const m = got[0]!;
    expect(m).toMatchObject({ providerId: 9, channel: 'fax', from: '61298765432', to: '61290001111', text: 'fax received: 3 pages' });
    const fax = m.data!.fax!;
    expect(fax).toMatchObject({ call_uuid: call.uuid, success: true, pages: 3, total_pages: 3, result_code: 0, result_text: 'OK', remote_station_id: 'switchpost', resolution: '8031x3850', transfer_rate: 14400, t38: 'off' });
    expect(fax.duration_s).toBeGreaterThanOrEqual(0);
    expect(call.result).toMatchObject({ status: 0, pages: 3 }); // spandsp's receiver got them all
    // The outbound socket's conversation, in FreeSWITCH's words.
    expect(call.commands.map((c: { line: string }) => c.line)).toEqual([
      'connect',
      'myevents json',
      'event json CUSTOM spandsp::rxfaxresult spandsp::rxfaxnegociateresult',
      'linger 6',
      'sendmsg',
      'sendmsg',
      'sendmsg',
      'sendmsg',
      'sendmsg',
      'sendmsg',
      'sendmsg',
    ]);
    const apps = call.commands
      .filter((c: { line: string }) => c.line === 'sendmsg')
      .map((c: { headers: Record<string, string> }) => `${c.headers['call-command']} ${c.headers['execute-app-name'] ?? c.headers['hangup-cause']} ${c.headers['execute-app-arg'] ?? ''}`.trim());
    expect(apps.slice(0, 5)).toEqual(['execute set fax_enable_t38=true', 'execute set fax_enable_t38_request=true', 'execute set fax_use_ecm=true', 'execute set fax_ident=61299990000', 'execute answer']);
    expect(apps[5]).toMatch(/^execute rxfax \//);
    expect(apps[6]).toBe('hangup NORMAL_CLEARING');
    expect(call.rxfax.slice(dataDir.length + 1)).toMatch(tiffName);
    expect(call.hangup).toEqual({ cause: 'NORMAL_CLEARING', byDialplan: false });
    // The document: a PDF of the three pages, each as long as the fax page (204×98 dpi, 1728×1146 px).
    expect(fax.pdf).toMatch(/^media\/fax-in\/[0-9a-f-]{36}\.pdf$/);
    const pdf = await pdfPages(join(dataDir, fax.pdf!));
    expect(pdf).toMatchObject({ count: 3, gs: 3, renders: true });
    for (const s of pdf.sizes) {
      expect(s.width).toBeCloseTo((1728 / 204) * 72, 0);
      expect(s.height).toBeCloseTo((1146 / 98) * 72, 0);
    }
    // Once committed, only the PDF is kept.
    expect(committed).toEqual([call.uuid]);
    expect(existsSync(call.rxfax)).toBe(false);
    expect(readdirSync(join(dataDir, 'media', 'fax-in'))).toEqual([fax.pdf!.split('/').pop()]);
  });

  it('a partial receive (the caller hangs up after two pages) is reported as failed, with the two pages that arrived', async () => {
    const { dataDir, got, port, peer } = await start({}, { t38: 'off' });
    const call = await peer.inboundCall({ port, fax: { faxcheck, tiff: sent, drop: 2 } });
    await until(() => got.length === 1);
    const fax = got[0]!.data!.fax!;
    expect(call.result).toMatchObject({ status: 49, pages: 2 });
    expect(fax).toMatchObject({ success: false, pages: 2, total_pages: 2, result_code: 49, result_text: 'The call dropped prematurely' });
    expect(got[0]!.text).toBe('fax failed: 2 pages (The call dropped prematurely)');
    expect((await pdfPages(join(dataDir, fax.pdf!))).count).toBe(2);
    // T.38 off as the provider says.
    const sets = call.commands.filter((c: { headers: Record<string, string> }) => c.headers['execute-app-name'] === 'set').map((c: { headers: Record<string, string> }) => c.headers['execute-app-arg']);
    expect(sets).toContain('fax_enable_t38=false');
    expect(sets).toContain('fax_enable_t38_request=false');
    // The caller's hangup came first; ours follows rxfax's end all the same, to a channel already going.
    expect(call.hangup).toEqual({ cause: 'NORMAL_CLEARING', byDialplan: false });
  });

  it('a receive with no page: failed, no PDF, no file left', async () => {
    const { dataDir, got, port, peer } = await start();
    const call = await peer.inboundCall({ port, fax: { faxcheck, tiff: sent, drop: 0 } });
    await until(() => got.length === 1);
    expect(call.result).toMatchObject({ status: 49, pages: 0 });
    expect(got[0]!.data!.fax).toMatchObject({ success: false, pages: 0, pdf: null, result_code: 49 });
    expect(existsSync(call.rxfax)).toBe(false);
    expect(readdirSync(join(dataDir, 'media', 'fax-in'))).toEqual([]);
  });

  it('a hangup that never follows the result: the socket is closed after hangup_timeout_s and the dialplan hangs up', async () => {
    const { got, port, peer } = await start({ hangup_timeout_s: 1 });
    const t0 = Date.now();
    const call = await peer.inboundCall({ port, fax: { faxcheck, tiff: sent }, ignoreHangup: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(call.closedByDaemon).toBe(true);
    expect(call.hangup).toEqual({ cause: 'NORMAL_TEMPORARY_FAILURE', byDialplan: true });
    await until(() => got.length === 1);
    expect(got[0]!.data!.fax).toMatchObject({ success: true, pages: 3 });
  });

  it('a call that never yields a result (no fax on the line) is hung up after result_timeout_s and reported failed', async () => {
    const { got, port, peer } = await start({ result_timeout_s: 1 });
    const t0 = Date.now();
    const call = await peer.inboundCall({ port, fax: { silent: true } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(call.hangup).toEqual({ cause: 'RECOVERY_ON_TIMER_EXPIRE', byDialplan: false });
    await until(() => got.length === 1);
    expect(got[0]!.data!.fax).toMatchObject({ success: false, pages: 0, pdf: null, result_code: 49 });
    expect(got[0]!.data!.fax!.result_text).toMatch(/^no fax result within 1 s/);
  });

  it('a DID, caller number and caller name from the network reach no path and no command; odd bytes do not stop it', async () => {
    const { dataDir, got, port, peer } = await start();
    // FreeSWITCH url-encodes header values but leaves a "%XX" already in one as it is: a Latin-1 name
    // ("Ren\xe9") arrives as bytes that are not UTF-8, which decodeURIComponent (modesl's parser) throws on.
    const call = await peer.inboundCall({ port, did: '../../etc/passwd;rxfax /tmp/x', caller: '+1555\r\nsendmsg', callerName: Buffer.from('Ren\xe9 %E9', 'latin1'), fax: { faxcheck, tiff: sent } });
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ from: '+1555sendmsg', to: '../../etc/passwd;rxfax /tmp/x' });
    expect(got[0]!.data!.fax).toMatchObject({ success: true, pages: 3 });
    const wire = JSON.stringify(call.commands);
    expect(wire).not.toMatch(/passwd|1555/);
    expect(call.rxfax.slice(dataDir.length + 1)).toMatch(tiffName);
  });
});

describe.skipIf(!hasStack)('inbound fax through a daemon', () => {
  it("reaches the store's inbound table with its PDF in the data directory", async () => {
    const { createServer } = await import('node:net');
    const { testDaemon } = await import('../helpers/daemon.js');
    // A free port for the listener: the dialplan must name a fixed one.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const faxPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    esl = new EslPeer({ password: 'Esl-test-secret-1' });
    const port = await esl.listen();
    const d = await testDaemon({
      sandbox: { enabled: false },
      providers: [{ name: 'fs', driver: 'freeswitch', services: ['fax'], host: '127.0.0.1', port, password: 'Esl-test-secret-1', settings: { reconnect_min_ms: 50, inbound_fax: { listen_port: faxPort, hangup_timeout_s: 1 } } }],
    });
    try {
      const call = await esl.inboundCall({ port: faxPort, caller: '61298765432', did: '61290001111', fax: { faxcheck, tiff: sent, drop: 2 } });
      const row = () => d.db.prepare(`SELECT channel, sender, receiver, body, data FROM inbound WHERE channel = 'fax'`).get() as { channel: string; sender: string; receiver: string; body: string; data: string } | undefined;
      await until(() => row() !== undefined);
      const r = row()!;
      expect(r).toMatchObject({ channel: 'fax', sender: '61298765432', receiver: '61290001111', body: 'fax failed: 2 pages (The call dropped prematurely)' });
      const fax = JSON.parse(r.data).fax;
      expect(fax).toMatchObject({ call_uuid: call.uuid, success: false, pages: 2, result_code: 49 });
      expect((await pdfPages(join(d.dir, fax.pdf))).count).toBe(2);
      // Once the row is committed the TIFF goes; the PDF stays.
      await until(() => readdirSync(join(d.dir, 'media', 'fax-in')).length === 1);
      expect(readdirSync(join(d.dir, 'media', 'fax-in'))).toEqual([fax.pdf.split('/').pop()]);
    } finally {
      await d.close();
    }
  });
});

describe("the outbound event socket's framing", () => {
  it('decodes header values as FreeSWITCH encodes them, bytes that are not UTF-8 included, without throwing', async () => {
    const { decodeHeaderValue } = await import('../../dist/gateways/freeswitch/outbound-socket.js');
    expect(decodeHeaderValue('%2BOK%0A')).toBe('+OK\n');
    expect(decodeHeaderValue('2026-12-03%2008%3A20%3A00')).toBe('2026-12-03 08:20:00');
    expect(decodeHeaderValue('Ren%C3%A9')).toBe('René');
    expect(decodeHeaderValue('Ren%E9')).toBe('Ren\ufffd');
    expect(decodeHeaderValue('100%zz')).toBe('100%zz');
    expect(() => decodeURIComponent('Ren%E9')).toThrow(URIError); // what modesl's parser does with it
  });

  it('reads replies and events split anywhere across TCP segments, in order, and closes on a frame too large', async () => {
    const net = await import('node:net');
    const { OutboundServer } = await import('../../dist/gateways/freeswitch/outbound-socket.js');
    const calls: import('../../dist/gateways/freeswitch/outbound-socket.js').OutboundCall[] = [];
    const server = new OutboundServer({ host: '127.0.0.1', port: 0, maxCalls: 1, timeoutMs: 2000 }, (c) => calls.push(c), pino({ level: 'silent' }));
    await server.listen();
    try {
      const fs = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => fs.once('connect', r));
      await until(() => calls.length === 1);
      const call = calls[0]!;
      const events: string[] = [];
      call.on('event', (e: { name: string; get(h: string): string | undefined }) => events.push(`${e.name} ${e.get('Unique-ID')}`));
      const asked: string[] = [];
      fs.on('data', (d) => asked.push(d.toString()));
      const connect = call.command('connect');
      const linger = call.command('linger 15');
      const json = JSON.stringify({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'é-1' });
      const wire = Buffer.from(
        `Event-Name: CHANNEL_DATA\nUnique-ID: abc\nCaller-Caller-ID-Name: Ren%E9\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n` +
          `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}` +
          `Content-Type: command/reply\nReply-Text: +OK will linger 15 seconds\n\n`,
      );
      for (const b of wire) {
        fs.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
      const c = await connect;
      expect(c.headers.get('Unique-ID')).toBe('abc');
      expect(c.headers.get('Reply-Text')).toBe('+OK\n');
      expect(c.headers.get('Caller-Caller-ID-Name')).toBe('Ren\ufffd');
      expect((await linger).headers.get('Reply-Text')).toBe('+OK will linger 15 seconds');
      expect(events).toEqual(['CHANNEL_ANSWER é-1']);
      expect(asked.join('')).toBe('connect\n\nlinger 15\n\n');
      // A line break never reaches the wire.
      await expect(call.command('sendmsg', { 'execute-app-arg': 'a\nb' })).rejects.toMatchObject({ code: 'line_break' });
      // A second call beyond max_calls is closed at once.
      const extra = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => extra.once('close', r));
      // A header block past 1 MB with no end: the connection is dropped.
      const closed = new Promise((r) => call.once('close', r));
      fs.write(Buffer.alloc(1024 * 1024 + 10, 'a'));
      await closed;
      expect(call.isClosed).toBe(true);
      fs.destroy();
    } finally {
      await server.close();
    }
  });
});
