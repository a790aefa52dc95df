import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../dist/core/login-limits.js';
import { nameKey } from '../../dist/api/login-limiter.js';

const limits = { windowMs: 60_000, perUserAddress: 3, perAddress: 5, perUser: 4 };

describe('LoginLimiter', () => {
  it('counts a pair from its first failure; the wait is what is left of the window, then it starts afresh', () => {
    const l = new LoginLimiter(limits);
    for (let i = 0; i < 3; i++) {
      expect(l.wait('Alice', 'A', 1000 + i)).toBe(0);
      l.failed('Alice', 'A', 1000 + i);
    }
    expect(l.wait('alice', 'A', 11_000)).toBe(50_000); // names compare without case
    expect(l.wait('alice', 'B', 11_000)).toBe(0);
    expect(l.wait('bob', 'A', 11_000)).toBe(0);
    expect(l.wait('alice', 'A', 61_000)).toBe(0);
    l.failed('alice', 'A', 61_000);
    expect(l.wait('alice', 'A', 61_001)).toBe(0);
  });

  it('an address over its limit waits for every user', () => {
    const l = new LoginLimiter(limits);
    for (let i = 0; i < 5; i++) l.failed(`u${i}`, 'A', 0);
    expect(l.wait('someone-else', 'A', 1)).toBe(59_999);
    expect(l.wait('someone-else', 'B', 1)).toBe(0);
  });

  it('a user over its limit: only addresses that failed for it wait', () => {
    const l = new LoginLimiter(limits);
    for (const a of ['A', 'B', 'C', 'D']) l.failed('victim', a, 0);
    expect(l.wait('victim', 'A', 10)).toBe(59_990);
    expect(l.wait('victim', 'E', 10)).toBe(0);
    expect(l.wait('other', 'A', 10)).toBe(0);
  });

  it('success clears the pair, not the address or the user', () => {
    const l = new LoginLimiter({ ...limits, perUser: 100 });
    for (let i = 0; i < 2; i++) l.failed('alice', 'A', 0);
    l.succeeded('ALICE', 'A');
    for (let i = 0; i < 2; i++) l.failed('alice', 'A', 0);
    expect(l.wait('alice', 'A', 1)).toBe(0);
    l.failed('bob', 'A', 0);
    expect(l.wait('carol', 'A', 1)).toBe(59_999); // A: 5 failures, success or not
  });
});

describe('sourceOf: what a login limit counts an address as', () => {
  it('IPv4 as is (also IPv4-mapped), IPv6 by its /64', async () => {
    const { sourceOf } = await import('../../dist/api/login-limiter.js');
    expect(sourceOf('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourceOf('10.1.2.3')).toBe('10.1.2.3');
    expect(sourceOf('2001:db8:1:2:3:4:5:6')).toBe(sourceOf('2001:db8:1:2::9'));
    expect(sourceOf('2001:db8:1:3::9')).not.toBe(sourceOf('2001:db8:1:2::9'));
  });

  it('attempts in flight count as failures: a burst cannot pass `wait` before the first of it fails', () => {
    const l = new LoginLimiter(limits);
    for (let i = 0; i < 3; i++) {
      expect(l.wait('alice', 'A', 0)).toBe(0);
      l.start('alice', 'A');
    }
    // Three in flight, none failed yet: the pair is at its limit; come back when they have ended.
    expect(l.wait('alice', 'A', 0)).toBe(1000);
    expect(l.wait('alice', 'B', 0)).toBe(0);
    l.finish('alice', 'A', 10, false);
    l.finish('alice', 'A', 10, false);
    l.finish('alice', 'A', 10, false);
    expect(l.wait('alice', 'A', 10)).toBe(60_000);
  });

  it('a finished attempt that was right resets its pair; one never checked (null) counts nothing', () => {
    const l = new LoginLimiter(limits);
    l.failed('bob', 'A', 0);
    l.failed('bob', 'A', 0);
    l.start('bob', 'A');
    expect(l.wait('bob', 'A', 0)).toBe(60_000);
    l.finish('bob', 'A', 1, true);
    expect(l.wait('bob', 'A', 1)).toBe(0);
    for (let i = 0; i < 5; i++) l.start(`u${i}`, 'C');
    expect(l.wait('someone', 'C', 0)).toBe(1000); // the address's limit, in flight
    for (let i = 0; i < 5; i++) l.finish(`u${i}`, 'C', 1, null);
    expect(l.wait('someone', 'C', 1)).toBe(0);
  });
});

describe('limiter keys for unknown user names', () => {
  it('long names are kept as a fixed-size digest (no case), distinct names stay distinct, short ones as they are', () => {
    const long = 'x'.repeat(10_000);
    expect(nameKey(long).length).toBeLessThanOrEqual(64);
    expect(nameKey(long)).toBe(nameKey(long.toUpperCase()));
    expect(nameKey(long)).not.toBe(nameKey(long + 'y'));
    expect(nameKey('Alice')).toBe('alice');
    // A digest never equals a short name someone could type.
    expect(nameKey(long).startsWith('\u0002')).toBe(true);
  });
});
