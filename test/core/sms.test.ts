import { describe, expect, it } from 'vitest';
import { planSms, concatUdh, fewestParts, SmsEncodingError } from '../../dist/core/sms.js';
import { dataCoding } from '../../dist/gateways/smpp/fields.js';

const hex = (b: Buffer) => b.toString('hex');

describe('GSM 03.38', () => {
  it('maps the default alphabet to its septet values', () => {
    const p = planSms('@£$¥\nÄÖÑÜ§¿äöñüàΔ_Az09 ');
    expect(p.encoding).toBe('gsm7');
    expect([...p.parts[0]!]).toEqual([0x00, 0x01, 0x02, 0x03, 0x0a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x10, 0x11, 0x41, 0x7a, 0x30, 0x39, 0x20]);
  });
  it('writes extension characters as ESC + septet, two septets each', () => {
    const p = planSms('€[]{}\\^~|');
    expect(hex(p.parts[0]!)).toBe('1b651b3c1b3e1b281b291b2f1b141b3d1b40');
  });
  it('fits 160 septets in one part and cuts longer text into 153-septet parts', () => {
    expect(planSms('a'.repeat(160)).parts).toHaveLength(1);
    const p = planSms('a'.repeat(161));
    expect(p.parts.map((x) => x.length)).toEqual([153, 8]);
    expect(planSms('a'.repeat(153 * 3)).parts).toHaveLength(3);
  });
  it('counts extension characters as two septets when sizing', () => {
    expect(planSms('€'.repeat(80)).parts).toHaveLength(1);
    expect(planSms('€'.repeat(81)).parts.length).toBe(2);
  });
  it('never splits an escape pair across parts', () => {
    // 152 plain septets then "€": ESC would be septet 153 — it moves to the next part with its partner.
    const p = planSms('a'.repeat(152) + '€' + 'b'.repeat(10));
    expect(p.parts[0]!.length).toBe(152);
    expect([...p.parts[1]!.subarray(0, 2)]).toEqual([0x1b, 0x65]);
    for (const part of p.parts) expect(part[part.length - 1]).not.toBe(0x1b);
  });
});

describe('UCS-2', () => {
  it('is chosen automatically when a character is not in GSM 03.38, as UTF-16BE', () => {
    const p = planSms('Привет');
    expect(p.encoding).toBe('ucs2');
    expect(hex(p.parts[0]!)).toBe('041f04400438043204350442');
  });
  it('fits 70 characters in one part, 67 per part beyond', () => {
    expect(planSms('ж'.repeat(70)).parts).toHaveLength(1);
    expect(planSms('ж'.repeat(71)).parts.map((x) => x.length / 2)).toEqual([67, 4]);
  });
  it('never splits a surrogate pair across parts', () => {
    const p = planSms('ж'.repeat(66) + '😀' + 'ж'.repeat(5));
    expect(p.parts[0]!.length / 2).toBe(66);
    expect(hex(p.parts[1]!.subarray(0, 4))).toBe('d83dde00');
  });
  it('is used when asked, even for GSM text', () => {
    expect(planSms('abc', { encoding: 'ucs2' }).parts[0]!.length).toBe(6);
  });
});

describe('invalid characters and limits', () => {
  it('REFUSE names the characters the alphabet lacks', () => {
    expect(() => planSms('Ünïcode ✓ ok', { encoding: 'gsm7', invalid: 'refuse' })).toThrow(SmsEncodingError);
    expect(() => planSms('Ünïcode ✓ ok', { encoding: 'gsm7', invalid: 'refuse' })).toThrow(/"ï" \(U\+00EF\), "✓" \(U\+2713\)/);
  });
  it('REPLACE puts "?" for each; TRANSLITERATE finds look-alikes first', () => {
    expect(planSms('naïve “quote” ✓', { encoding: 'gsm7', invalid: 'replace' })).toMatchObject({ text: 'na?ve ?quote? ?', changed: 4 });
    expect(planSms('naïve “quote” – ✓ Łódź', { encoding: 'gsm7', invalid: 'transliterate' })).toMatchObject({ text: 'naive "quote" - ? Lodz', changed: 8 });
  });
  it('Latin-1 takes 140 bytes in one part, 134 per part beyond', () => {
    const p = planSms('ï'.repeat(141), { encoding: 'latin1' });
    expect(p.parts.map((x) => x.length)).toEqual([134, 7]);
    expect(p.parts[0]![0]).toBe(0xef);
  });
  it('refuses more parts than maxParts', () => {
    expect(() => planSms('a'.repeat(400), { maxParts: 2 })).toThrow(/needs 3 parts in gsm7, more than the limit of 2 parts \(maxParts\)/);
  });
});

describe('wire helpers', () => {
  it('builds the 8-bit concatenation UDH', () => {
    expect(hex(concatUdh(0x1a2, 3, 2))).toBe('050003a20302');
  });
  it('gives an explicit data_coding for every encoding, class 0 for flash', () => {
    expect([dataCoding('gsm7'), dataCoding('latin1'), dataCoding('ucs2'), dataCoding('gsm7', true), dataCoding('ucs2', true)]).toEqual([0, 3, 8, 0x10, 0x18]);
    expect(() => dataCoding('latin1', true)).toThrow(/Latin-1/);
  });
});

describe('fewest parts in any encoding (the check before the provider is known)', () => {
  it('takes whichever of GSM, Latin-1 and UCS-2 carries the text unchanged in the fewest parts', () => {
    expect(fewestParts('hello')).toEqual({ encoding: 'gsm7', parts: 1 });
    expect(fewestParts('x'.repeat(1530))).toEqual({ encoding: 'gsm7', parts: 10 });
    expect(fewestParts('ê'.repeat(1000))).toEqual({ encoding: 'latin1', parts: 8 }); // 15 in UCS-2
    expect(fewestParts('{'.repeat(1000))).toEqual({ encoding: 'latin1', parts: 8 }); // 14 in GSM: two septets each
    expect(fewestParts('Привет')).toEqual({ encoding: 'ucs2', parts: 1 });
    expect(fewestParts('€'.repeat(200))).toEqual({ encoding: 'gsm7', parts: 3 }); // not Latin-1; 400 septets or 200 UCS-2 characters: 3 parts either way, GSM kept
  });
});
