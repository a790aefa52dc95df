import { describe, expect, it } from 'vitest';
import { faxReceipt, inboundFields, inboundMail, receivedOutcome } from '../../dist/core/inbound-report.js';
import type { InboundFax, InboundMessage } from '../../dist/core/inbound.js';

const fax = (f: Partial<InboundFax>): InboundFax => ({ call_uuid: 'u', pdf: 'inbound/fax/u.pdf', pages: 3, total_pages: 3, success: true, result_code: 0, result_text: 'OK', ...f });
const msg = (m: Partial<InboundMessage>): InboundMessage => ({ providerId: 1, channel: 'sms', from: '+61491570156', to: '+61412000001', text: 'Hi', at: Date.UTC(2026, 11, 3, 8, 0, 0), ...m });

describe('what the owner is told of a message received', () => {
  it('tells a whole fax from a partial one (spandsp failed, or fewer pages than announced) and one where no page came', () => {
    expect(faxReceipt(fax({}))).toBe('received');
    expect(faxReceipt(fax({ success: false, pages: 2 }))).toBe('partial');
    expect(faxReceipt(fax({ success: true, pages: 2 }))).toBe('partial');
    expect(faxReceipt(fax({ success: false, pages: 0, pdf: null }))).toBe('failed');
    expect(receivedOutcome(msg({ channel: 'fax', data: { fax: fax({ success: false, pages: 1, result_code: 49, result_text: 'dropped' }) } }))).toEqual({ state: 'failed', reason: 'partial: 1 of 3 pages received (49 dropped)' });
    expect(receivedOutcome(msg({}))).toEqual({ state: 'delivered', reason: null });
  });

  it("writes the caller, pages and time in the owner's zone in a fax's subject and body", () => {
    const m = inboundMail(msg({ channel: 'fax', from: '+61299998888', text: '', data: { fax: fax({ remote_station_id: 'ACME' }) } }), 'Australia/Sydney');
    expect(m.subject).toBe('Fax from +61299998888: 3 pages, 2026-12-03 19:00:00 (Australia/Sydney)');
    expect(m.text).toContain('From:      +61299998888 (station id ACME)');
    expect(m.text).toContain('Pages:     3 of 3 pages');
    expect(inboundMail(msg({ channel: 'fax', data: { fax: fax({ success: false, pages: 0, pdf: null }) } }), 'UTC').subject).toMatch(/^Failed fax from/);
    expect(inboundMail(msg({}), 'Not/AZone').text).toContain('2026-12-03 08:00:00 (UTC)');
  });

  it("gives the callback the fax's result beside the message's fields", () => {
    expect(inboundFields(msg({}), 7, null)).toEqual({ type: 'inbound', channel: 'sms', transmission_id: '7', from: '+61491570156', to: '+61412000001', message: 'Hi', received_at: '2026-12-03T08:00:00.000Z' });
    expect(inboundFields(msg({ channel: 'fax', data: { fax: fax({ pages: 2, success: false }) } }), 8, 'inbound/fax/u.pdf')).toMatchObject({ fax_status: 'partial', pages: '2', total_pages: '3', document: 'inbound/fax/u.pdf' });
  });
});
