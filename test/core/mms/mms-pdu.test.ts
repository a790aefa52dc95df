// The MMS encapsulation and WAP Push bytes, decoded by a real decoder (Wireshark's WSP and MMSE
// dissectors through tshark, test/helpers/tshark.ts) and checked field by field.
import { describe, expect, it } from 'vitest';
import { encodeNotificationInd } from '../../../dist/core/mms/notification.js';
import { encodeRetrieveConf } from '../../../dist/core/mms/retrieve-conf.js';
import { decodeHandsetResponse } from '../../../dist/core/mms/responses.js';
import { wapPushParts, wspPush } from '../../../dist/core/mms/wap-push.js';
import { encodedString, longInteger, uintvar, valueLength, MmsPduError } from '../../../dist/core/mms/wsp.js';
import { field, fieldValues, tshark } from '../../helpers/tshark.js';

const hex = (b: Buffer) => b.toString('hex');
const URL = 'https://mms.example.net:8443/mms/m.a1234.mt3k2c0.AAAAAAAAAAAAAAAAAAAAAA';

describe('WSP value encodings', () => {
  it('writes uintvars, long integers and value lengths as WAP-230 §8.1.2 and §8.4.2 say', () => {
    expect(hex(uintvar(0))).toBe('00');
    expect(hex(uintvar(127))).toBe('7f');
    expect(hex(uintvar(128))).toBe('8100');
    expect(hex(uintvar(0x3fff))).toBe('ff7f');
    expect(hex(uintvar(0x4000))).toBe('818000');
    expect(hex(longInteger(0))).toBe('0100');
    expect(hex(longInteger(34567))).toBe('028707');
    expect(hex(longInteger(0x01000000))).toBe('0401000000');
    expect(hex(valueLength(30))).toBe('1e');
    expect(hex(valueLength(31))).toBe('1f1f');
    expect(hex(valueLength(200))).toBe('1f8148');
  });

  it('writes a non-ASCII string with its charset (UTF-8, MIBenum 106 as 0xEA)', () => {
    expect(hex(encodedString('Hi'))).toBe('486900');
    const b = encodedString('Grüße');
    const text = Buffer.from('Grüße', 'utf8');
    expect(hex(b)).toBe(hex(Buffer.from([text.length + 2, 0xea, ...text, 0])));
  });
});

describe('M-Notification.ind in a WAP Push, decoded by tshark', () => {
  it('decodes to the notification meant: WSP push with the MMS content type and application id, then every MMS header', () => {
    const n = encodeNotificationInd({ transactionId: 'a1234', from: '+61491570156', subject: 'Your photo', size: 34567, expiry: { seconds: 172_800 }, contentLocation: URL });
    const push = wspPush(n, 0x2a);
    const [p] = tshark([{ srcPort: 9200, dstPort: 2948, payload: push }]);
    expect(field(p!.wsp, 'wsp.TID')).toBe('0x2a');
    expect(field(p!.wsp, 'wsp.pdu_type')).toBe('0x06');
    expect(field(p!.wsp, 'wsp.header.content_type')).toBe('application/vnd.wap.mms-message');
    expect(field(p!.wsp, 'wsp.header.x_wap_application_id')).toBe('x-wap-application:mms.ua');
    const m = p!.mmse;
    expect(field(m, 'mmse.message_type')).toBe('0x82');
    expect(field(m, 'mmse.transaction_id')).toBe('a1234');
    expect(field(m, 'mmse.mms_version')).toBe('1.2');
    expect(field(m, 'mmse.from')).toBe('+61491570156/TYPE=PLMN');
    expect(field(m, 'mmse.subject')).toBe('Your photo');
    expect(field(m, 'mmse.message_class.id')).toBe('0x80');
    expect(field(m, 'mmse.message_size')).toBe('34567');
    expect(field(m, 'mmse.expiry.rel')).toBe('172800.000000000');
    expect(field(m, 'mmse.content_location')).toBe(URL);
    // Message-Type, Transaction-Id and MMS-Version lead, in that order (OMA-TS-MMS_ENC §7.1).
    expect(hex(n.subarray(0, 4))).toBe('8c829861');
  });

  it('writes MMS 1.3 and an absolute expiry when asked', () => {
    const at = new Date('2027-01-15T08:00:00Z');
    const n = encodeNotificationInd({ transactionId: 't', version: '1.3', size: 1, expiry: { at }, contentLocation: URL, messageClass: 'informational' });
    const [p] = tshark([{ srcPort: 9200, dstPort: 2948, payload: wspPush(n, 0) }]);
    expect(field(p!.mmse, 'mmse.mms_version')).toBe('1.3');
    expect(field(p!.mmse, 'mmse.expiry.abs')).toBe('Jan 15, 2027 08:00:00.000000000 UTC');
    expect(field(p!.mmse, 'mmse.message_class.id')).toBe('0x82');
    expect(fieldValues(p!.mmse, 'mmse.from')).toEqual([]);
  });

  it('fits a short notification in one SMS with the port UDH, and cuts a long one into 140-octet parts with the concatenation IE', () => {
    const short = wspPush(encodeNotificationInd({ transactionId: 'a1', size: 9, expiry: { seconds: 60 }, contentLocation: 'http://h/x' }), 1);
    const [one] = wapPushParts(short, 9);
    expect(hex(one!.subarray(0, 7))).toBe('0605040b8423f0');
    expect(one!.subarray(7).equals(short)).toBe(true);
    const long = wspPush(encodeNotificationInd({ transactionId: 'a1', from: '+61491570156', subject: 'A subject long enough '.repeat(4), size: 9, expiry: { seconds: 60 }, contentLocation: URL }), 1);
    const parts = wapPushParts(long, 0x33);
    expect(parts.length).toBe(Math.ceil(long.length / 128));
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(140);
      expect(hex(part.subarray(0, 12))).toBe('0b05040b8423f0000333' + parts.length.toString(16).padStart(2, '0') + (i + 1).toString(16).padStart(2, '0'));
    });
    expect(Buffer.concat(parts.map((p) => p.subarray(12))).equals(long)).toBe(true);
  });

  it('refuses a notification it cannot write', () => {
    expect(() => encodeNotificationInd({ transactionId: '', size: 1, expiry: { seconds: 1 }, contentLocation: URL })).toThrow(MmsPduError);
    expect(() => encodeNotificationInd({ transactionId: 't', size: 1, expiry: { seconds: 1 }, contentLocation: 'ftp://x' })).toThrow(MmsPduError);
    expect(() => encodeNotificationInd({ transactionId: 't', from: 'ACME', size: 1, expiry: { seconds: 1 }, contentLocation: URL })).toThrow(MmsPduError);
  });
});

describe('M-Retrieve.conf, decoded by tshark as a WSP reply', () => {
  // A connectionless WSP Reply (WAP-230 §8.2.3.3): TID, 0x04, status 0x20 (200 OK), headers length 1, content type 0xBE.
  const asReply = (pdu: Buffer) => Buffer.concat([Buffer.from([1, 0x04, 0x20, 1, 0xbe]), pdu]);
  const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  it('carries its headers and the parts byte for byte: the media with their types, the text in UTF-8, each named', () => {
    const pdu = encodeRetrieveConf({
      messageId: 'sp-77-3',
      transactionId: 'a1234',
      date: new Date('2027-01-15T08:00:00Z'),
      from: '+61491570156',
      to: '+61491570157',
      subject: 'Holiday',
      text: 'Hello from the beach',
      media: [
        { contentType: 'image/jpeg', bytes: jpeg, name: 'beach.jpg' },
        { contentType: 'image/png', bytes: png, name: 'map.png' },
      ],
    });
    const [p] = tshark([{ srcPort: 9200, dstPort: 40000, payload: asReply(pdu) }], ['-x']);
    const m = p!.mmse;
    expect(field(m, 'mmse.message_type')).toBe('0x84');
    expect(field(m, 'mmse.transaction_id')).toBe('a1234');
    expect(field(m, 'mmse.message_id')).toBe('sp-77-3');
    expect(field(m, 'mmse.date')).toBe('Jan 15, 2027 08:00:00.000000000 UTC');
    expect(field(m, 'mmse.from')).toBe('+61491570156/TYPE=PLMN');
    expect(field(m, 'mmse.to')).toBe('+61491570157/TYPE=PLMN');
    expect(field(m, 'mmse.subject')).toBe('Holiday');
    const body = (m as Record<string, unknown>)['wsp.post.data'] as Record<string, Record<string, unknown>>;
    expect((m as Record<string, unknown>)['wsp.header.content_type']).toBe('application/vnd.wap.multipart.mixed');
    const multipart = body['Multipart body']!;
    const tree = multipart['wsp.multipart_tree'] as Record<string, unknown>[];
    expect(tree.map((t) => t['wsp.header.content_type'])).toEqual(['image/jpeg', 'image/png', 'text/plain']);
    expect(tree.map((t) => field(t, 'wsp.header.content_location'))).toEqual(['beach.jpg', 'map.png', 'text.txt']);
    expect(tree.map((t) => field(t, 'wsp.header.content_id'))).toEqual(['"<beach.jpg>"', '"<map.png>"', '"<text.txt>"']);
    expect(field(tree[2], 'wsp.parameter.charset')).toBe('UTF-8');
    // Each entry's octets (HeadersLen, DataLen, type, headers, data) end with the part's own bytes.
    const raws = (multipart['wsp.multipart_raw'] as [string][]).map((r) => r[0]);
    expect(raws).toHaveLength(3);
    expect(raws[0]!.endsWith(hex(jpeg))).toBe(true);
    expect(raws[1]!.endsWith(hex(png))).toBe(true);
    expect(raws[2]!.endsWith(hex(Buffer.from('Hello from the beach')))).toBe(true);
  });

  it('lays the parts out with a SMIL root when related', () => {
    const pdu = encodeRetrieveConf({ messageId: 'm', date: new Date(0), text: 'Grüße', media: [{ contentType: 'image/gif', bytes: Buffer.from('GIF89a'), name: 'a.gif' }], presentation: 'related' });
    const [p] = tshark([{ srcPort: 9200, dstPort: 40000, payload: asReply(pdu) }], ['-x']);
    expect((p!.mmse as Record<string, unknown>)['wsp.header.content_type']).toBe('application/vnd.wap.multipart.related');
    expect(field(p!.mmse, 'wsp.parameter.start')).toBe('<smil>');
    expect(field(p!.mmse, 'wsp.parameter.upart.type')).toBe('application/smil');
    const multipart = ((p!.mmse as Record<string, unknown>)['wsp.post.data'] as Record<string, Record<string, unknown>>)['Multipart body']!;
    const tree = multipart['wsp.multipart_tree'] as Record<string, unknown>[];
    expect(tree.map((t) => t['wsp.header.content_type'])).toEqual(['application/smil', 'image/gif', 'text/plain']);
    expect(field(tree[0], 'smil.img.src')).toBe('a.gif');
    expect(field(tree[0], 'smil.text.src')).toBe('text.txt');
    const raws = (multipart['wsp.multipart_raw'] as [string][]).map((r) => r[0]);
    expect(raws[2]!.endsWith(hex(Buffer.from('Grüße', 'utf8')))).toBe(true);
  });

  it('refuses media names that could not be a Content-Location, and an empty message', () => {
    expect(() => encodeRetrieveConf({ messageId: 'm', date: new Date(0), media: [{ contentType: 'image/gif', bytes: Buffer.alloc(1), name: '../x' }] })).toThrow(MmsPduError);
    expect(() => encodeRetrieveConf({ messageId: 'm', date: new Date(0), media: [] })).toThrow(MmsPduError);
  });
});

describe("the handset's answers", () => {
  // Written by hand from OMA-TS-MMS_ENC Tables 4 and 7; tshark confirms they are what they claim.
  const notifyResp = Buffer.from('8c83' + '98' + hex(Buffer.from('a1234\0')) + '8d92' + '9581' + '9180', 'hex');
  // A connectionless WSP Post (WAP-230 §8.2.3.2): TID, 0x60, UriLen, HeadersLen, the URI, content type 0xBE, the data.
  const asPost = (pdu: Buffer) => Buffer.concat([Buffer.from([2, 0x60, 4, 1]), Buffer.from('/mms'), Buffer.from([0xbe]), pdu]);
  const ack = Buffer.from('8c85' + '98' + hex(Buffer.from('a1234\0')) + '8d93' + '9181', 'hex');

  it('reads M-NotifyResp.ind: transaction, status, report allowed', () => {
    const [p] = tshark([{ srcPort: 40000, dstPort: 9200, payload: asPost(notifyResp) }]);
    expect(field(p!.mmse, 'mmse.message_type')).toBe('0x83');
    expect(field(p!.mmse, 'mmse.status')).toBe('0x81');
    expect(decodeHandsetResponse(notifyResp)).toEqual({ type: 'notifyresp', transactionId: 'a1234', status: 'retrieved', reportAllowed: true, version: '1.2' });
    const deferred = Buffer.from(hex(notifyResp).replace('9581', '9583'), 'hex');
    expect(decodeHandsetResponse(deferred)).toMatchObject({ status: 'deferred' });
  });

  it('reads M-Acknowledge.ind', () => {
    const [p] = tshark([{ srcPort: 40000, dstPort: 9200, payload: asPost(ack) }]);
    expect(field(p!.mmse, 'mmse.message_type')).toBe('0x85');
    expect(decodeHandsetResponse(ack)).toEqual({ type: 'acknowledge', transactionId: 'a1234', reportAllowed: false, version: '1.3' });
  });

  it('refuses what is not one of them, short or malformed', () => {
    for (const bad of ['', '8c', '8c82986100', '8c83', '8c839861', '8c839861009581ff1f', '00']) expect(() => decodeHandsetResponse(Buffer.from(bad, 'hex')), bad).toThrow(MmsPduError);
  });
});
