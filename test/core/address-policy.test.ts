import { describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../dist/net/address-policy.js';

describe('address policy', () => {
  it('refuses IPv4-compatible IPv6 addresses (::/96), which embed an IPv4 address such as 127.0.0.1', () => {
    const policy = new AddressPolicy();
    for (const a of ['::7f00:1', '::a00:1', '::a9fe:a9fe', '::808:808']) expect(policy.check(a), a).toMatch(/IPv4-compatible/);
    expect(policy.check('::127.0.0.1')).toMatch(/loopback/);
    expect(policy.check('::1')).toMatch(/loopback/);
    expect(policy.check('2001:4860:4860::8888')).toBeNull();
    expect(policy.check('8.8.8.8')).toBeNull();
    // An administrator may still allow one explicitly.
    expect(new AddressPolicy(['::7f00:1']).check('::7f00:1')).toBeNull();
  });
});
