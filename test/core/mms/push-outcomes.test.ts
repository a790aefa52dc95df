// What the WAP Push path's events mean for their attempt, and the SMS link's text (pure, issue 20).
import { describe, expect, it } from 'vitest';
import { answerOutcome, attemptOfRef, attemptRef, fetchOutcome, pushExpiryOutcome } from '../../../dist/core/mms/push-outcomes.js';
import { fallsBack, linkRef, linkText, mediaLinks } from '../../../dist/core/mms/sms-link.js';
import { checkHostedToken, hostedKey } from '../../../dist/core/mms/hosted-token.js';

describe('WAP Push outcomes', () => {
  it('names an attempt by its ref and reads back only refs it makes', () => {
    expect(attemptRef(42)).toBe('a42');
    expect(attemptOfRef('a42')).toBe(42);
    for (const ref of ['a0', 'a042', 'a42x', 'j1p1', 'A42', 'a', 'a12345678901234567', '../a1']) expect(attemptOfRef(ref), ref).toBeNull();
  });

  it("makes the handset's answers the recipient's outcome", () => {
    const tid = 'm.a1.x.y';
    expect(answerOutcome({ type: 'notifyresp', transactionId: tid, status: 'retrieved' })).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(answerOutcome({ type: 'acknowledge', transactionId: tid })).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(answerOutcome({ type: 'notifyresp', transactionId: tid, status: 'rejected' })).toMatchObject({ kind: 'receipt', status: 'rejected' });
    expect(answerOutcome({ type: 'notifyresp', transactionId: tid, status: 'unrecognised' })).toMatchObject({ kind: 'receipt', status: 'undeliverable' });
    expect(answerOutcome({ type: 'notifyresp', transactionId: tid, status: 'deferred' })).toMatchObject({ kind: 'stage', status: 'deferred' });
    for (const status of ['indeterminate', 'forwarded', 'unknown'] as const) expect(answerOutcome({ type: 'notifyresp', transactionId: tid, status })).toBeNull();
    expect(fetchOutcome('mms')).toMatchObject({ kind: 'stage', status: 'retrieved' });
    expect(fetchOutcome('file')).toBeNull();
  });

  it('ends an expired push by whether it was fetched and whether the provider falls back', () => {
    expect(pushExpiryOutcome('submitted')).toMatchObject({ kind: 'failed', retryable: false, state: 'expired' });
    expect(pushExpiryOutcome('retrieved')).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(pushExpiryOutcome('retrieved', true)).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(pushExpiryOutcome(null, true)).toMatchObject({ kind: 'failed', retryable: true, code: 'expired_fallback' });
  });
});

describe('the SMS with a link', () => {
  it('writes the subject, the text and a signed link per part that names the job and part', () => {
    const key = hostedKey(Buffer.alloc(32, 3));
    const at = new Date(Date.now() + 60_000);
    const links = mediaLinks(7, 2, 'https://mms.example.net/', key, at);
    expect(links).toHaveLength(2);
    for (const [i, l] of links.entries()) {
      expect(l.startsWith('https://mms.example.net/m/f.j7p')).toBe(true);
      const check = checkHostedToken(l.slice(l.lastIndexOf('/') + 1), key, Date.now());
      expect(check).toEqual({ ok: true, claims: { kind: 'file', ref: linkRef(7, i + 1), expiresAt: new Date(Math.ceil(at.getTime() / 1000) * 1000) } });
    }
    expect(linkText({ subject: 'Hi', text: 'Look' }, links)).toBe(`Hi\nLook\n${links[0]}\n${links[1]}`);
    expect(linkText({ subject: '', text: 'Look' }, links.slice(0, 1))).toBe(`Look\n${links[0]}`);
  });

  it('falls back after a final refusal, never after an invalid number or a retryable failure', () => {
    expect(fallsBack({ kind: 'failed', retryable: false, state: 'rejected', reason: 'x' })).toBe(true);
    expect(fallsBack({ kind: 'failed', retryable: false, reason: 'x' })).toBe(true);
    expect(fallsBack({ kind: 'failed', retryable: false, state: 'invalid', reason: 'x' })).toBe(false);
    expect(fallsBack({ kind: 'failed', retryable: true, reason: 'x' })).toBe(false);
    expect(fallsBack({ kind: 'held', reason: 'x', retryMs: 1 })).toBe(false);
  });
});
