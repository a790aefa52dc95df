import { describe, expect, it } from 'vitest';
import { forwardsReply, isOptOut, numberForms, replyMatcher, sameAddress } from '../../dist/core/reply-match.js';

describe('reply matching', () => {
  it('knows one sender in the spellings SMPP, Kannel and the sandbox write', () => {
    for (const to of ['+61412345678', '61412345678', '0412345678', '0061412345678', '+61 412 345 678']) expect(sameAddress('+61412345678', to, 'AU')).toBe(true);
    expect(sameAddress('0412345678', '61412345678', 'AU')).toBe(true);
    expect(sameAddress('+61412345678', '+61412345679', 'AU')).toBe(false);
    expect(sameAddress('+61412345678', '412345678', 'GB')).toBe(false);
    expect(sameAddress('Acme', 'ACME', 'AU')).toBe(true);
    expect(sameAddress('Acme Co', 'ACMECO', 'AU')).toBe(true);
    expect(sameAddress('Acme', 'Acme2', 'AU')).toBe(false);
    expect(sameAddress('5551', '5551', 'AU')).toBe(true);
    expect(sameAddress('5551', '5552', 'AU')).toBe(false);
  });

  it('looks a reply\'s number up in E.164, whether it came international, without "+" or national', () => {
    expect([...numberForms('+61491570156', 'AU')]).toEqual(['+61491570156']);
    expect([...numberForms('0061491570156', 'AU')]).toEqual(['+61491570156']);
    // Without "+": national in the owner's country first when valid there, then international without "+".
    expect([...numberForms('61491570156', 'AU')]).toEqual(['+61491570156']);
    expect([...numberForms('0491570156', 'AU')]).toEqual(['+61491570156', '+0491570156']);
    expect([...numberForms('2034567890', 'US')]).toEqual(['+12034567890', '+2034567890']);
    expect([...numberForms('447700900123', 'AU')]).toEqual(['+447700900123']);
  });

  it('matches a job without a sender only through the provider it went by, and any job when the reply names no number', () => {
    expect(replyMatcher({ to: '+61400000000', providerId: 2 })({ sender: null, providerId: 2, country: 'AU' })).toBe(true);
    expect(replyMatcher({ to: '+61400000000', providerId: 3 })({ sender: null, providerId: 2, country: 'AU' })).toBe(false);
    expect(replyMatcher({ to: null, providerId: 3 })({ sender: '+61412345678', providerId: 2, country: 'AU' })).toBe(true);
    expect(replyMatcher({ to: '0412345678', providerId: 3 })({ sender: '+61412345678', providerId: 2, country: 'AU' })).toBe(true);
    expect(replyMatcher({ to: '0412345679', providerId: 2 })({ sender: '+61412345678', providerId: 2, country: 'AU' })).toBe(false);
  });
  it("opts out on the job's code alone, case and surrounding space aside; forwards replies until the job's expiry", () => {
    expect(isOptOut(' stop ', 'STOP')).toBe(true);
    expect(isOptOut('stop now', 'STOP')).toBe(false);
    expect(isOptOut('STOP', null)).toBe(false);
    expect(isOptOut('', '  ')).toBe(false);
    expect(forwardsReply(null, 5)).toBe(true);
    expect(forwardsReply(10, 9)).toBe(true);
    expect(forwardsReply(10, 10)).toBe(false);
  });
});
