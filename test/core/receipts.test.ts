import { describe, expect, it } from 'vitest';
import { canonicalMessageId, messageStateStatus, parseReceiptText, statStatus } from '../../dist/core/receipts.js';

describe('delivery receipt text', () => {
  it('parses the SMPP 3.4 Appendix B format', () => {
    const r = parseReceiptText('id:0123456789 sub:001 dlvrd:001 submit date:2411221015 done date:2411221016 stat:DELIVRD err:000 text:Hello world, this is');
    expect(r).toEqual({ id: '0123456789', sub: '001', dlvrd: '001', submitDate: '2411221015', doneDate: '2411221016', stat: 'DELIVRD', err: '000', text: 'Hello world, this is' });
  });
  it('takes any case, seconds in dates, missing optional fields, and text containing field-like words', () => {
    const r = parseReceiptText('ID:AbC9 Submit Date:241122101530 Done Date:241122101645 Stat:undeliv Err:0b1 Text:my id:5 stat:x');
    expect(r).toMatchObject({ id: 'AbC9', sub: null, submitDate: '241122101530', doneDate: '241122101645', stat: 'UNDELIV', err: '0b1', text: 'my id:5 stat:x' });
  });
  it('does not read a word ending in a field name as that field', () => {
    expect(parseReceiptText('prepaid:9 id:77 stat:DELIVRD')).toMatchObject({ id: '77', stat: 'DELIVRD' });
  });
  it("keeps a field's first value when an SMSC repeats it, and reads no field after text", () => {
    expect(parseReceiptText('id:1 stat:DELIVRD id:2 err:001 stat:UNDELIV err:002 text:a stat:x')).toEqual({ id: '1', sub: null, dlvrd: null, submitDate: null, doneDate: null, stat: 'DELIVRD', err: '001', text: 'a stat:x' });
    expect(parseReceiptText('id: stat:DELIVRD')).toBeNull();
    // A parse that stopped at text leaves the shared pattern mid-string: the next one must start at 0.
    parseReceiptText('id:123456789 sub:001 dlvrd:001 stat:DELIVRD err:000 text:a long text after every field');
    expect(parseReceiptText('id:9 stat:ENROUTE')).toMatchObject({ id: '9', stat: 'ENROUTE' });
  });
  it('is null for a message that is not a receipt', () => {
    expect(parseReceiptText('Yes please, call me')).toBeNull();
    expect(parseReceiptText('id:12 but no state')).toBeNull();
  });
  it('maps stat and message_state to final states, intermediate ones to null', () => {
    expect(['DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'REJECTD', 'UNKNOWN', 'ENROUTE', 'ACCEPTD'].map(statStatus)).toEqual(['delivered', 'expired', 'undeliverable', 'undeliverable', 'rejected', 'unknown', null, null]);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(messageStateStatus)).toEqual([null, 'delivered', 'expired', 'undeliverable', 'undeliverable', null, 'unknown', 'rejected']);
  });
});

describe('message ids', () => {
  it('matches a hex submit_sm_resp id with a decimal receipt id, whatever the case and leading zeros', () => {
    expect(canonicalMessageId('0000A1B2', 'hex')).toBe(canonicalMessageId('41394', 'dec'));
    expect(canonicalMessageId('a1b2', 'hex')).toBe('a1b2');
    expect(canonicalMessageId('00041394', 'dec')).toBe('a1b2');
  });
  it('keeps ids beyond 2^53 exact', () => {
    expect(canonicalMessageId('18446744073709551615', 'dec')).toBe('ffffffffffffffff');
  });
  it('lower-cases and trims non-numeric ids', () => {
    expect(canonicalMessageId(' 3F2504E0-4F89-11D3 ', 'text')).toBe('3f2504e0-4f89-11d3');
    expect(canonicalMessageId('msg-12', 'hex')).toBe('msg-12');
  });
});
