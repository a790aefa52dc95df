import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { readMm7Request, submitBody } from '../../dist/gateways/mm7/mime.js';
import { parseMm7, statusOf, submitReq } from '../../dist/gateways/mm7/soap.js';
import { mmStatusReceipt, submitFailure } from '../../dist/gateways/mm7/status.js';
import { MM7_REL6_NAMESPACE } from '../../dist/gateways/mm7/settings.js';
import { readEnvelope } from '../peers/mmsc.js';

const dir = mkdtempSync(join(tmpdir(), 'mm7-'));
// Bytes with every octet, CR and LF among them: what binary transfer must carry unchanged.
const bytes = Buffer.concat([Buffer.from('\r\n\n\r'), randomBytes(50_000), Buffer.from([0x0d])]);
const file = join(dir, 'p.jpg');
writeFileSync(file, bytes);
const message = { subject: 'S', text: 'line one\r\nline two', media: [{ file, contentType: 'image/jpeg', size: bytes.length, sha256: 'a'.repeat(64), name: 'p.jpg' }], maxBytes: 300 * 1024 };

describe('MM7 on the wire', () => {
  it.each(['binary', 'base64'] as const)('carries the media byte for byte in %s, the text as written', async (encoding) => {
    const body = await submitBody('<?xml version="1.0"?><x/>', message, encoding);
    const mail = await simpleParser(Buffer.concat([Buffer.from(`Content-Type: ${body.contentType}\r\n\r\n`), body.body]));
    const img = mail.attachments.find((a) => a.contentType === 'image/jpeg')!;
    expect(img.content.equals(bytes)).toBe(true);
    expect(img.headers.get('content-transfer-encoding')).toBe(encoding);
    expect(mail.text).toBe('line one\nline two');
    // The same request read back by the daemon's own reader: the SOAP part found by `start`.
    const read = await readMm7Request(body.contentType, body.body);
    expect(read!.soap.toString()).toBe('<?xml version="1.0"?><x/>');
    expect(read!.parts.map((p) => p.contentType)).toEqual(['image/jpeg']);
  });

  it('writes the SubmitReq in the default dialect (6.8.0, REL-6-MM7-1-4) and leaves out what is not given', () => {
    const xml = submitReq(
      { version: '6.8.0', namespace: MM7_REL6_NAMESPACE },
      { transactionId: 't1', vaspId: 'V', vasId: null, sender: null, recipient: '61491570156', subject: '', deliveryReport: false, expiry: new Date('2026-12-04T10:00:00.123Z'), contentId: 'c' },
    );
    const env = readEnvelope(xml);
    expect(env).toMatchObject({ kind: 'SubmitReq', namespace: MM7_REL6_NAMESPACE, transactionId: 't1', mustUnderstand: '1' });
    expect(env.body).toEqual({
      MM7Version: '6.8.0',
      SenderIdentification: { VASPID: 'V' },
      Recipients: { To: { Number: '61491570156' } },
      ExpiryDate: '2026-12-04T10:00:00Z',
      DeliveryReport: 'false',
      Content: { '@_href': 'cid:c', '@_allowAdaptations': 'true' },
    });
    // A subject with markup in it is text, escaped, not XML.
    const tricky = submitReq({ version: '6.8.0', namespace: MM7_REL6_NAMESPACE }, { transactionId: 't<2>', vaspId: 'V', vasId: null, sender: null, recipient: '1', subject: '</Subject><x>&', deliveryReport: true, expiry: null, contentId: 'c' });
    expect(parseMm7(tricky).body.Subject).toBe('</Subject><x>&');
    expect(parseMm7(tricky).transactionId).toBe('t<2>');
  });

  it("reads a Fault's RSErrorRsp status, and maps the standard's classes", () => {
    const fault = `<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><TransactionID xmlns="${MM7_REL6_NAMESPACE}">x</TransactionID></S:Header><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>Server error</faultstring><detail><RSErrorRsp xmlns="${MM7_REL6_NAMESPACE}"><MM7Version>6.8.0</MM7Version><Status><StatusCode>3000</StatusCode><StatusText>Server Error</StatusText></Status></RSErrorRsp></detail></S:Fault></S:Body></S:Envelope>`;
    const m = parseMm7(fault);
    expect([m.kind, m.transactionId, statusOf(m)]).toEqual(['Fault', 'x', { code: 3000, text: 'Server Error' }]);
    expect(submitFailure(3000, null)).toMatchObject({ retryable: true, reason: 'MM7 StatusCode 3000: Server Error' });
    expect(submitFailure(4006, null).retryable).toBe(true);
    expect(submitFailure(2002, null)).toMatchObject({ retryable: false, state: 'undeliverable' });
    expect(submitFailure(2004, null)).toMatchObject({ retryable: false, state: 'rejected' });
    expect(submitFailure(3002, null)).toMatchObject({ retryable: false, state: 'rejected' });
    expect(submitFailure(4001, null)).toMatchObject({ retryable: false, reason: 'MM7 StatusCode 4001: Improper identification' });
    expect(['Retrieved', 'Expired', 'Rejected', 'Unrecognised', 'DeliveryConditionNotMet', 'Forwarded', 'Indeterminate', 'Deferred'].map(mmStatusReceipt)).toEqual([
      'delivered',
      'expired',
      'rejected',
      'undeliverable',
      'undeliverable',
      'unknown',
      'unknown',
      null,
    ]);
  });
});
