// WAP Push over SMPP: the submit_sm octets the real SMSC peer reads off its socket are decoded by
// Wireshark's SMPP, GSM SMS UD, WSP and MMSE dissectors (tshark), concatenated parts reassembled by
// it, and must be the M-Notification.ind that was meant; receipts come back per part as for long SMS.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { TestSmsc } from '../peers/smsc.js';
import { SmppGateway } from '../../dist/gateways/smpp/smpp-gateway.js';
import { smppSettingsSchema } from '../../dist/gateways/smpp/settings.js';
import { encodeNotificationInd } from '../../dist/core/mms/notification.js';
import { wspPush } from '../../dist/core/mms/wap-push.js';
import { planWapPush } from '../../dist/core/mms/wap-push-plan.js';
import { field, fieldValues, tcpStream, tshark } from '../helpers/tshark.js';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let smsc: TestSmsc | undefined;
let d: TestDaemon | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await d?.close();
  d = undefined;
  await smsc?.close();
  smsc = undefined;
});

const FAST = { window: 10, reconnect_min_ms: 50, reconnect_max_ms: 200, response_timeout_ms: 1500, enquire_link_ms: 30_000, inactivity_ms: 60_000 };
type Report = { attemptId?: number; peerId?: string; outcome: { kind: string; parts?: number; partPeerIds?: string[]; encoding?: string; status?: string; reason?: string } };

async function gateway(script?: ConstructorParameters<typeof TestSmsc>[0]['script']) {
  smsc = new TestSmsc({ recordWire: true, script });
  const port = await smsc.listen();
  const reports: Report[] = [];
  const sink = { report: (r: Report, committed?: () => void) => (reports.push(r), committed?.()), inbound: () => {}, health: () => {} };
  const gw = new SmppGateway(1, { host: '127.0.0.1', port, systemId: 'x', password: '', throughput: 0 }, smppSettingsSchema.parse(FAST), sink, pino({ level: 'silent' }));
  closers.push(() => gw.stop());
  await gw.start();
  await until(() => gw.isUp());
  return { gw, reports, smsc };
}

async function until(ok: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const LOCATION = 'https://mms.example.net/mms/m.a77.mt3k2c0.AAAAAAAAAAAAAAAAAAAAAA';
const notification = (subject: string) => encodeNotificationInd({ transactionId: 'a77', from: '+61412345678', subject, size: 45_000, expiry: { seconds: 86_400 }, contentLocation: LOCATION });

/** The submit_sm PDUs the peer read, decoded by tshark as an SMPP stream to port 2775. */
function decodedSubmits(s: TestSmsc) {
  const submits = s.receivedPdus().filter((p: Buffer) => p.readUInt32BE(4) === 0x00000004);
  return tshark(tcpStream(40000, 2775, submits));
}

describe('WAP Push over SMPP against the real SMSC peer', () => {
  it('sends a long notification as concatenated 8-bit parts that reassemble to the WSP push and its MMS headers', async () => {
    const { gw, reports, smsc } = await gateway();
    const push = wspPush(notification('Photos from the weekend away at the beach house'), 0x11);
    expect(push.length).toBeGreaterThan(133); // more than one SMS
    gw.sendWapPush({ attemptId: 5, destination: '+61491570156', sender: '+61412345678', push, validityMinutes: 1440 });
    await until(() => reports.filter((r) => r.outcome.kind === 'receipt').length === 2);

    expect(smsc.submits).toHaveLength(2);
    for (const [i, s] of smsc.submits.entries()) {
      expect(s).toMatchObject({ esm_class: 0x40, data_coding: 0x04, destination_addr: '61491570156', source_addr: '61412345678', validity_period: '000001000000000R', registered_delivery: 1 });
      expect(s.short_message.length).toBeLessThanOrEqual(140);
      // UDHL 11: the port IE (2948 ← 9200), the concatenation IE (reference, 2 parts, this one).
      expect(s.short_message.subarray(0, 9).toString('hex')).toBe('0b05040b8423f00003');
      expect([s.short_message[9], s.short_message[10], s.short_message[11]]).toEqual([smsc.submits[0].short_message[9], 2, i + 1]);
    }
    const frames = decodedSubmits(smsc);
    expect(frames).toHaveLength(2);
    for (const [i, f] of frames.entries()) {
      expect(field(f.smpp, 'smpp.command_id')).toBe('0x00000004');
      expect(field(f.smpp, 'smpp.esm.submit.features')).toBe('0x01'); // UDHI
      expect(field(f.smpp, 'smpp.data_coding')).toBe('0x04');
      expect(field(f.gsm_sms_ud, 'gsm_sms.destination_port')).toBe('2948');
      expect(field(f.gsm_sms_ud, 'gsm_sms.originator_port')).toBe('9200');
      expect(field(f.gsm_sms_ud, 'gsm_sms.udh.mm.msg_parts')).toBe('2');
      expect(field(f.gsm_sms_ud, 'gsm_sms.udh.mm.msg_part')).toBe(String(i + 1));
    }
    expect(field(frames[1]!.gsm_sms_ud, 'gsm_sms_ud.reassembled.length')).toBe(String(push.length));
    expect(frames[0]!.mmse).toBeUndefined();
    // Reassembled by tshark in the second frame: WSP push, then the notification.
    const whole = frames[1]!;
    expect(field(whole.wsp, 'wsp.pdu_type')).toBe('0x06');
    expect(field(whole.wsp, 'wsp.header.content_type')).toBe('application/vnd.wap.mms-message');
    expect(field(whole.wsp, 'wsp.header.x_wap_application_id')).toBe('x-wap-application:mms.ua');
    expect(field(whole.mmse, 'mmse.message_type')).toBe('0x82');
    expect(field(whole.mmse, 'mmse.transaction_id')).toBe('a77');
    expect(field(whole.mmse, 'mmse.from')).toBe('+61412345678/TYPE=PLMN');
    expect(field(whole.mmse, 'mmse.subject')).toBe('Photos from the weekend away at the beach house');
    expect(field(whole.mmse, 'mmse.message_size')).toBe('45000');
    expect(field(whole.mmse, 'mmse.expiry.rel')).toBe('86400.000000000');
    expect(field(whole.mmse, 'mmse.content_location')).toBe(LOCATION);

    // Accepted once both parts are, with each part's id; a receipt for each part by its id.
    const accepted = reports.find((r) => r.attemptId === 5 && r.outcome.kind === 'accepted')!;
    expect(accepted.outcome).toMatchObject({ parts: 2, encoding: 'binary', partPeerIds: smsc.submits.map((s: { messageId: string }) => s.messageId) });
    expect(reports.filter((r) => r.outcome.kind === 'receipt').map((r) => [r.peerId, r.outcome.status])).toEqual(smsc.submits.map((s: { messageId: string }) => [s.messageId, 'delivered']));
  });

  it('fits a short notification in one part with the port UDH alone', async () => {
    const { gw, reports, smsc } = await gateway();
    const push = wspPush(encodeNotificationInd({ transactionId: 'a8', size: 900, expiry: { seconds: 3600 }, contentLocation: 'http://10.1.2.3/mms/m.a8.x.AAAAAAAAAAAAAAAAAAAAAA' }), 1);
    gw.sendWapPush({ attemptId: 8, destination: '+61491570157', sender: null, push });
    await until(() => reports.some((r) => r.outcome.kind === 'accepted'));
    expect(smsc.submits).toHaveLength(1);
    expect(smsc.submits[0].short_message.subarray(0, 7).toString('hex')).toBe('0605040b8423f0');
    const [f] = decodedSubmits(smsc);
    expect(field(f!.gsm_sms_ud, 'gsm_sms.destination_port')).toBe('2948');
    expect(fieldValues(f!.gsm_sms_ud, 'gsm_sms.udh.mm.msg_parts')).toEqual([]);
    expect(field(f!.mmse, 'mmse.transaction_id')).toBe('a8');
    expect(field(f!.mmse, 'mmse.content_location')).toBe('http://10.1.2.3/mms/m.a8.x.AAAAAAAAAAAAAAAAAAAAAA');
    expect(reports.find((r) => r.attemptId === 8)!.outcome).toMatchObject({ kind: 'accepted', parts: 1, encoding: 'binary' });
  });

  it('reports an SMSC refusal of a part as it does for SMS, and a bad destination without sending', async () => {
    const { gw, reports, smsc } = await gateway(() => ({ status: 0x0b })); // ESME_RINVDSTADR
    gw.sendWapPush({ attemptId: 9, destination: '+61491570158', sender: null, push: wspPush(notification('x'), 2) });
    gw.sendWapPush({ attemptId: 10, destination: 'not-a-number', sender: null, push: wspPush(notification('x'), 3) });
    await until(() => reports.length === 2);
    expect(reports.find((r) => r.attemptId === 9)!.outcome).toMatchObject({ kind: 'failed', state: 'invalid' });
    expect(reports.find((r) => r.attemptId === 10)!.outcome).toMatchObject({ kind: 'failed', retryable: false, state: 'rejected' });
    expect(smsc.submits.every((s: { destination_addr: string }) => s.destination_addr === '61491570158')).toBe(true);
  });
});

describe('the WAP Push loop: notification over SMPP, fetch from the daemon, the handset answers', () => {
  it('delivers a notification whose Content-Location serves the text and media byte for byte, and whose answer is reported', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const answered: { ref: string; status?: string }[] = [];
    const fetched: string[] = [];
    d.hosted.listen({ fetched: (e) => fetched.push(e.ref), answered: (e) => answered.push({ ref: e.ref, ...('status' in e.response ? { status: e.response.status } : {}) }) });
    const photo = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), Buffer.alloc(3000, 0x5a), Buffer.from('ffd9', 'hex')]);
    const now = new Date();
    const plan = planWapPush({
      message: { from: '+61412345678', subject: 'Weekend', text: 'Grüße vom Strand', media: [{ contentType: 'image/jpeg', bytes: photo, name: 'beach.jpg' }] },
      to: '+61491570156',
      ref: 'a501',
      baseUrl: d.url,
      key: d.hosted.key,
      now,
      expiresAt: new Date(now.getTime() + 3_600_000),
      wspTid: 0x21,
    });
    d.hosted.files.put('mms', 'a501', { contentType: 'application/vnd.wap.mms-message', bytes: plan.retrieveConf });

    const { gw, reports, smsc } = await gateway();
    gw.sendWapPush({ attemptId: 501, destination: '+61491570156', sender: '+61412345678', push: plan.push });
    await until(() => reports.some((r) => r.attemptId === 501));
    expect(reports.find((r) => r.attemptId === 501)!.outcome).toMatchObject({ kind: 'accepted', encoding: 'binary' });

    // The handset's side: what the SMSC got, reassembled and decoded by tshark.
    const frames = decodedSubmits(smsc);
    const whole = frames.find((f) => f.mmse)!;
    const location = field(whole.mmse, 'mmse.content_location') as string;
    const tid = field(whole.mmse, 'mmse.transaction_id') as string;
    expect(location).toBe(plan.contentLocation);
    expect(field(whole.mmse, 'mmse.message_size')).toBe(String(plan.retrieveConf.length));
    expect(field(whole.mmse, 'mmse.expiry.rel')).toBe('3600.000000000');

    const res = await fetch(location);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/vnd.wap.mms-message']);
    const conf = Buffer.from(await res.arrayBuffer());
    const [p] = tshark([{ srcPort: 9200, dstPort: 40000, payload: Buffer.concat([Buffer.from([1, 0x04, 0x20, 1, 0xbe]), conf]) }], ['-x']);
    expect(field(p!.mmse, 'mmse.message_type')).toBe('0x84');
    expect(field(p!.mmse, 'mmse.transaction_id')).toBe(tid);
    expect(field(p!.mmse, 'mmse.to')).toBe('+61491570156/TYPE=PLMN');
    const multipart = ((p!.mmse as Record<string, unknown>)['wsp.post.data'] as Record<string, Record<string, unknown>>)['Multipart body']!;
    const tree = multipart['wsp.multipart_tree'] as Record<string, unknown>[];
    expect(tree.map((t) => t['wsp.header.content_type'])).toEqual(['image/jpeg', 'text/plain']);
    const raws = (multipart['wsp.multipart_raw'] as [string][]).map((r) => r[0]);
    expect(raws[0]!.endsWith(photo.toString('hex'))).toBe(true);
    expect(raws[1]!.endsWith(Buffer.from('Grüße vom Strand', 'utf8').toString('hex'))).toBe(true);
    await until(() => fetched.length === 1);
    expect(fetched).toEqual(['a501']);

    // M-NotifyResp.ind, status Retrieved, posted to the MMSC URL with the notification's Transaction-Id.
    const resp = Buffer.concat([Buffer.from([0x8c, 0x83, 0x98]), Buffer.from(tid + '\0'), Buffer.from([0x8d, 0x92, 0x95, 0x81])]);
    const r = await fetch(`${d.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message' }, body: resp });
    expect(r.status).toBe(200);
    expect(answered).toEqual([{ ref: 'a501', status: 'retrieved' }]);
  });
});
