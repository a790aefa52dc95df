import { describe, expect, it } from 'vitest';
import { canonicalNumber, plausibleNumber, validateNumber } from '../../dist/core/numbers.js';

describe('numbers', () => {
  it('normalises national and international input to E.164', () => {
    expect(validateNumber('0491 570 156', 'AU')).toEqual({ ok: true, e164: '+61491570156' });
    expect(validateNumber('+61 (491) 570-156', 'US')).toEqual({ ok: true, e164: '+61491570156' });
    expect(validateNumber('(202) 555-0123', 'US')).toEqual({ ok: true, e164: '+12025550123' });
  });
  it('fails invalid numbers with a reason', () => {
    const r = validateNumber('+1234', 'AU');
    expect(r.ok).toBe(false);
    expect(validateNumber('call me', 'AU')).toMatchObject({ ok: false, reason: expect.stringContaining('not a phone number') });
  });
  it('refuses what cannot be a number on the request path', () => {
    expect(plausibleNumber('+61491570156')).toBeNull();
    expect(plausibleNumber('+61491570156;drop')).toMatch(/not a phone number/);
    expect(plausibleNumber('12')).toMatch(/too short/);
    expect(plausibleNumber('1'.repeat(20))).toMatch(/too long/);
  });
  it('gives equal canonical forms for the same number written differently', () => {
    expect(canonicalNumber('0491 570 156', 'AU')).toBe(canonicalNumber('+61491570156', 'AU'));
    expect(canonicalNumber('0061 491 570 156', 'AU')).toBe('+61491570156');
  });
});
