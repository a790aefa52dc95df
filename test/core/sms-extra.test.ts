import { describe, expect, it } from 'vitest';
import { decodeSms, planSms, senderAddress } from '../../dist/core/sms.js';
import { parseUdh, receivedAddress, relativeValidity, destinationAddress } from '../../dist/gateways/smpp/fields.js';
import { Reassembler } from '../../dist/gateways/smpp/reassembly.js';
import { combinePartReceipts } from '../../dist/core/parts.js';
import { classifyStatus, statusName } from '../../dist/gateways/smpp/status.js';

describe('SMS on the wire', () => {
  it('decodes by data_coding: GSM septets with extensions, Latin-1, UCS-2 with surrogates, coding groups, binary', () => {
    expect(decodeSms(planSms('Hi € [x] @').parts[0]!, 0)).toEqual({ text: 'Hi € [x] @', binary: false });
    expect(decodeSms(Buffer.from('café', 'latin1'), 3).text).toBe('café');
    expect(decodeSms(Buffer.from('ok 😀', 'utf16le').swap16(), 8).text).toBe('ok 😀');
    expect(decodeSms(Buffer.from('Да', 'utf16le').swap16(), 0x18).text).toBe('Да'); // class 0 UCS-2
    expect(decodeSms(Buffer.from([0x48, 0x69]), 0xf0).text).toBe('Hi');
    expect(decodeSms(Buffer.from([0xde, 0xad]), 0x04)).toEqual({ text: 'dead', binary: true });
  });
  it('parses 8- and 16-bit concatenation headers and refuses a broken one', () => {
    expect(parseUdh(Buffer.from([5, 0, 3, 7, 3, 2, 0x41]))).toEqual({ concat: { ref: 7, total: 3, seq: 2 }, payload: Buffer.from([0x41]) });
    expect(parseUdh(Buffer.from([6, 8, 4, 0x12, 0x34, 2, 1, 0x42]))!.concat).toEqual({ ref: 0x1234, total: 2, seq: 1 });
    expect(parseUdh(Buffer.from([5, 0, 3, 7, 2, 3]))!.concat).toBeNull(); // seq past total
    expect(parseUdh(Buffer.from([9, 0, 3]))).toBeNull();
  });
  it('chooses Latin-1 over UCS-2 only where the provider allows it', () => {
    expect(planSms('naïve café ¿ñ? ý', { latin1Fallback: true }).encoding).toBe('latin1');
    expect(planSms('naïve café ¿ñ? ý').encoding).toBe('ucs2');
    expect(planSms('Привет', { latin1Fallback: true }).encoding).toBe('ucs2');
  });
  it('writes relative validity periods and addresses with their TON/NPI', () => {
    expect(relativeValidity(90)).toBe('000000013000000R');
    expect(relativeValidity(3 * 1440 + 5)).toBe('000003000500000R');
    expect(senderAddress('Acme Ltd')).toEqual({ ton: 5, npi: 0, addr: 'Acme Ltd' });
    expect(senderAddress('+61412345678')).toEqual({ ton: 1, npi: 1, addr: '61412345678' });
    expect(senderAddress('1234')).toEqual({ ton: 3, npi: 0, addr: '1234' });
    expect(() => senderAddress('A sender far too long')).toThrow(/neither/);
    expect(destinationAddress('+61491570156')).toEqual({ ton: 1, npi: 1, addr: '61491570156' });
    expect(receivedAddress('61491570156', 1)).toBe('+61491570156');
    expect(receivedAddress('5551', 0)).toBe('5551');
  });
});

describe('long messages', () => {
  it('decides a recipient from all its parts', () => {
    expect(combinePartReceipts(['delivered', null])).toBeNull();
    expect(combinePartReceipts(['delivered', 'delivered'])).toBe('delivered');
    expect(combinePartReceipts([null, 'undeliverable'])).toBe('undeliverable');
    expect(combinePartReceipts(['delivered', 'unknown'])).toBe('unknown');
  });
  it('reassembles MO parts in any order and hands over an incomplete message after the timeout', () => {
    const r = new Reassembler<number>(1000);
    expect(r.add('+1', '55', { ref: 1, total: 3, seq: 3 }, Buffer.from('c'), 0, 0)).toBeNull();
    expect(r.add('+1', '55', { ref: 1, total: 3, seq: 1 }, Buffer.from('a'), 10, 0)).toBeNull();
    expect(r.add('+1', '55', { ref: 1, total: 3, seq: 2 }, Buffer.from('b'), 20, 0)).toEqual({ payload: Buffer.from('abc'), meta: 0 });
    r.add('+2', '55', { ref: 9, total: 2, seq: 2 }, Buffer.from('y'), 100, 8);
    expect(r.expire(1099)).toEqual([]);
    expect(r.expire(1100)).toEqual([{ from: '+2', to: '55', payload: Buffer.from('y'), meta: 8, received: 1, missing: [1] }]);
    expect(r.size).toBe(0);
  });
});

describe('SMPP command_status', () => {
  it('classes throttling, final and retryable errors', () => {
    expect(classifyStatus(0x58)).toBe('throttled');
    expect(classifyStatus(0x14)).toBe('throttled');
    expect(classifyStatus(0x0b)).toBe('invalid_destination');
    expect(classifyStatus(0x0a)).toBe('invalid_sender');
    expect(classifyStatus(0x08)).toBe('retryable');
    expect(classifyStatus(0x62)).toBe('final');
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(statusName(0x400)).toBe('0x00000400');
  });
});
