import { describe, expect, it } from 'vitest';
import { kannelDlr, kannelText, queryBytes, sendsmsAnswer } from '../../dist/gateways/kannel/protocol.js';

describe('Kannel mapping', () => {
  it('reads raw octets from a query string, which URLSearchParams would mangle', () => {
    const q = queryBytes('text=%04%1F%04%40%FF&from=%2B614+x&flag&from=second');
    expect([...q.get('text')!]).toEqual([0x04, 0x1f, 0x04, 0x40, 0xff]);
    expect(q.get('from')!.toString()).toBe('+614 x');
    expect(q.get('flag')!.length).toBe(0);
  });
  it('decodes MO text by the charset Kannel names', () => {
    expect(kannelText(Buffer.from('Да', 'utf16le').swap16(), 'UTF-16BE')).toBe('Да');
    expect(kannelText(Buffer.from('Hi €', 'utf8'), 'UTF-8')).toBe('Hi €');
    expect(kannelText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'ISO-8859-1')).toBe('café');
  });
  it('maps DLR types, refined by the receipt text, and ignores intermediate ones', () => {
    expect(kannelDlr(1, 'id:1 stat:DELIVRD err:000')).toEqual({ status: 'delivered', code: '000', text: 'DELIVRD' });
    expect(kannelDlr(2, 'id:1 stat:EXPIRED err:003')).toMatchObject({ status: 'expired', code: '003' });
    expect(kannelDlr(2, '')).toMatchObject({ status: 'undeliverable', code: 'dlr 2' });
    expect(kannelDlr(16, 'NACK/0x0000000b/Invalid Destination Address')).toMatchObject({ status: 'rejected', text: 'NACK/0x0000000b/Invalid Destination Address' });
    expect(kannelDlr(8, 'ACK/').status).toBeNull();
    expect(kannelDlr(4, '').status).toBeNull();
  });
  it('classes sendsms answers', () => {
    expect(sendsmsAnswer(202, '0: Accepted for delivery')).toEqual({ ok: true });
    expect(sendsmsAnswer(503, '3: Temporal failure, try again later.')).toMatchObject({ ok: false, retryable: true });
    expect(sendsmsAnswer(403, 'Authorization failed for sendsms')).toMatchObject({ ok: false, retryable: true });
    expect(sendsmsAnswer(400, 'Sender missing and no global set, rejected')).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/Sender missing/) });
  });
});
