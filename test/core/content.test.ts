import { describe, expect, it } from 'vitest';
import { callContent, checkContent, parseContent, smsContent, textFor, withText } from '../../dist/core/content.js';
import { planDelivery } from '../../dist/core/delivery-plan.js';
import { PLAIN_SMS_LINK, smsMessage } from '../../dist/core/sms.js';

const noHistory = () => ({ startPage: 0, audio: false });

describe('job content: one typed shape per channel family', () => {
  it('is checked once where a job is made: its shape, and that the channel carries its kind', () => {
    const sms = smsContent({ template: 'Hi %%name%%' }, { maxParts: 10 });
    expect(checkContent('sms2way', sms)).toEqual(sms);
    expect(() => checkContent('tts', sms)).toThrow(/a tts job cannot carry sms content/);
    expect(() => checkContent('email', sms)).toThrow(/a email job cannot carry sms content/);
    // A face that slips an old wire-name bag through is caught, naming what is wrong.
    expect(() => checkContent('sms', { message: 'x' } as never)).toThrow(/sms content: kind/);
    expect(() => checkContent('tts2way', callContent({ template: 'x' }, { responses: [{ key: '12', message: null, redirectTo: null }] }))).toThrow(/responses\.0\.key/);
    expect(() => checkContent('sms', { ...sms, sms: { maxParts: 0 } })).toThrow(/sms\.maxParts/);
    expect(parseContent(JSON.stringify(sms))).toEqual(sms);
  });

  it('gives each recipient its text: a template merged, or the fixed text its __message points at', () => {
    expect(textFor({ template: 'Hi %%name%%' })({ name: 'Ann' })).toBe('Hi Ann');
    const fixed = textFor({ texts: ['a %%name%%', 'b'] });
    expect([fixed({ __message: '0', name: 'x' }), fixed({ __message: '1' }), fixed({ __message: '7' })]).toEqual(['a %%name%%', 'b', '']);
    expect(withText(smsContent({ texts: ['Code 123456'] }), { texts: ['Code [[code]]'] })).toEqual(smsContent({ texts: ['Code [[code]]'] }));
  });
});

describe('delivery plans made by the core', () => {
  it("plans an SMS for the link it goes over, and refuses it by the job's own limits", () => {
    const text = 'Grüße aus Köln {ok}';
    // The job leaves the encoding to the link: GSM 03.38 carries it.
    expect(smsMessage(text, {}, PLAIN_SMS_LINK).plan.encoding).toBe('gsm7');
    // Latin-1 asked: a link without 8-bit text (Kannel) sends UCS-2; an SMSC link Latin-1.
    expect(smsMessage(text, { encoding: 'latin1' }, { encoding: 'auto', latin1: false, latin1Fallback: false }).plan.encoding).toBe('ucs2');
    expect(smsMessage(text, { encoding: 'latin1' }, { encoding: 'auto', latin1: true, latin1Fallback: false }).plan.encoding).toBe('latin1');
    // An SMSC that takes data_coding 3: auto picks Latin-1 before UCS-2 for what GSM lacks.
    expect(smsMessage('naïve ¤ façade ÿ', {}, { encoding: 'auto', latin1: true, latin1Fallback: true }).plan.encoding).toBe('latin1');
    expect(smsMessage('naïve ¤ façade ÿ', {}, PLAIN_SMS_LINK).plan.encoding).toBe('ucs2');
    const m = smsMessage('x'.repeat(161), { flash: true, validityMinutes: 90 }, PLAIN_SMS_LINK);
    expect([m.plan.parts.length, m.flash, m.validityMinutes]).toEqual([2, true, 90]);
    expect(() => smsMessage('x'.repeat(161), { maxParts: 1 }, PLAIN_SMS_LINK)).toThrow(/needs 2 parts in gsm7, more than the limit of 1 part/);
    const d = planDelivery(smsContent({ template: 'Hi %%name%%' }), 'sms', 'Hi Ann', { name: 'Ann' }, { sms: PLAIN_SMS_LINK, faxHistory: noHistory });
    expect(d.kind === 'sms' && d.sms.plan.text).toBe('Hi Ann');
  });

  it('plans a call: texts merged, read twice unless asked, keys only on a 2-way call, a recording played once', () => {
    const content = callContent({ template: 'Press 1, %%name%%' }, { header: 'For %%name%%', voicemail: '  ', responses: [{ key: '1', message: 'Bye %%name%%', redirectTo: '+61299990000' }] });
    const twoWay = planDelivery(content, 'tts2way', 'Press 1, Ann', { name: 'Ann' }, { sms: PLAIN_SMS_LINK, faxHistory: noHistory });
    expect(twoWay).toEqual({
      kind: 'call',
      call: { voice: 'default', audio: null, header: 'For Ann', message: 'Press 1, Ann', plays: 2, voicemail: null, collect: true, responses: { 1: { message: 'Bye Ann', redirectTo: '+61299990000' } } },
    });
    const oneWay = planDelivery({ ...content, repeat: false }, 'tts', 'Press 1, Ann', { name: 'Ann' }, { sms: PLAIN_SMS_LINK, faxHistory: noHistory });
    expect(oneWay.kind === 'call' && [oneWay.call.collect, oneWay.call.plays, oneWay.call.responses]).toEqual([false, 1, {}]);
    const voice = planDelivery(callContent({ template: '' }, { recording: { file: '/d/a.wav', name: 'a.mp3' } }), 'voice', '', {}, { sms: PLAIN_SMS_LINK, faxHistory: noHistory });
    expect(voice.kind === 'call' && [voice.call.audio, voice.call.plays]).toEqual(['/d/a.wav', 1]);
  });

  it('plans a fax from where earlier tries left it, reading its history only for a fax', () => {
    let reads = 0;
    const faxHistory = () => (reads++, { startPage: 2, audio: true });
    const fax = { kind: 'fax' as const, document: '/d/f.tiff', pages: 4, fine: true, header: 'Acme', fileNames: ['a.pdf'] };
    expect(planDelivery(fax, 'fax', '', {}, { sms: PLAIN_SMS_LINK, faxHistory })).toEqual({ kind: 'fax', fax: { file: '/d/f.tiff', header: 'Acme', startPage: 2, audio: true } });
    planDelivery(smsContent({ template: 'x' }), 'sms', 'x', {}, { sms: PLAIN_SMS_LINK, faxHistory });
    expect(reads).toBe(1);
  });
});
