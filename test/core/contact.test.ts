import { describe, expect, it } from 'vitest';
import { contactFieldOf, contactProblem, contactRecipient, listDestination } from '../../dist/core/contact.js';
import { compileTemplate } from '../../dist/core/merge.js';

describe('contacts as the v1 lists have them', () => {
  it("reads the seed's list columns and ICTCore's field names alike, and nothing else", () => {
    expect(['Recipient', 'Reference', 'Email', 'Fax', 'Phone', 'Mobile', 'CustomField1', 'customfield6', 'Custom Field 3', 'First Name', 'last-name'].map(contactFieldOf)).toEqual([
      'first_name',
      'reference',
      'email',
      'fax',
      'phone',
      'mobile',
      'custom1',
      'custom6',
      'custom3',
      'first_name',
      'last_name',
    ]);
    expect(['CustomField7', 'id', 'user_id', '', 'constructor', '__proto__'].map(contactFieldOf)).toEqual([null, null, null, null, null, null]);
  });

  it("picks the channel's number of a contact", () => {
    const all = { phone: '+61491575001', mobile: '+61491575002', fax: '+61491575003', email: 'a@example.com' };
    const pick = (c: Record<string, unknown>, channel: 'sms' | 'tts' | 'fax' | 'email' | 'mms', preferred: 'phone' | 'mobile' | null = null) => listDestination(c, { channel, preferred });
    expect([pick(all, 'sms'), pick(all, 'mms'), pick(all, 'tts'), pick(all, 'tts', 'mobile'), pick(all, 'fax'), pick(all, 'email')]).toEqual(['+61491575002', '+61491575002', '+61491575001', '+61491575002', '+61491575003', 'a@example.com']);
    expect([pick({ phone: '+61491575001' }, 'sms'), pick({ mobile: '+61491575002' }, 'tts', 'phone'), pick({ phone: '+61491575001' }, 'fax'), pick({ phone: '+61491575001', email: '' }, 'email')]).toEqual([
      '+61491575001',
      '+61491575002',
      '+61491575001',
      null,
    ]);
  });

  it('merges a contact by its v1 names, the name as %%recipient%%', () => {
    const r = contactRecipient({ id: 7, first_name: 'Jane', last_name: 'Smith', reference: 'R1', custom1: 'one', custom6: 'six', mobile: '+61491575002' });
    expect(r).toMatchObject({ name: 'Jane Smith', reference: 'R1', contactId: 7 });
    expect(compileTemplate('%%Recipient%% %%reference%% %%CUSTOMFIELD1%% %%customfield6%% %%custom1%% %%mobile%% [%%customfield2%%]')(r.fields)).toBe('Jane Smith R1 one six one +61491575002 []');
  });

  it('checks every number a contact has, and takes one with only a mobile or a fax', () => {
    expect(contactProblem({ mobile: 'call me' }, true)).toMatch(/^mobile: /);
    expect(contactProblem({ fax: '12;drop' }, true)).toMatch(/^fax: /);
    expect(contactProblem({ mobile: '+61491575002' }, true)).toBeNull();
    expect(contactProblem({ first_name: 'x' }, true)).toMatch(/^phone: a contact needs/);
  });
});
