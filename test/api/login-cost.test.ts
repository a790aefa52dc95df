import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, scryptSync } from 'node:crypto';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { from } from '../helpers/from-address.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await testDaemon();
  for (let n = 0; n < 12; n++) d.addUser(`known${n}`, 'user', { password: 'known-password' });
});
afterAll(async () => d.close());

const attempt = async (address: string, username: string) => {
  const t = performance.now();
  const a = await from(address, `${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'wrong' }) });
  expect(a.status).toBe(401);
  return performance.now() - t;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('what a login costs', () => {
  it('an unknown user costs as much as a known one (no enumeration by timing)', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, each from its own address and user, so load and the login limits touch both alike.
    for (let n = 0; n < 5; n++) {
      known.push(await attempt(`127.0.1.${n + 1}`, `known${n}`));
      unknown.push(await attempt(`127.0.2.${n + 1}`, `nobody${n}`));
    }
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(unknown)).toBeLessThan(median(known) * 2);
  });

  it('password hashing does not run on the event loop: wrong passwords never stall it for a hash', async () => {
    // What one scrypt of the stored parameters costs on this machine now (run here, on purpose).
    const t0 = performance.now();
    scryptSync('x', randomBytes(16), 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const oneHash = performance.now() - t0;
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 2);
    try {
      await Promise.all(Array.from({ length: 8 }, (_, n) => attempt(`127.0.3.${n + 1}`, `known${n + 4}`)));
    } finally {
      clearInterval(tick);
    }
    expect(worst).toBeLessThan(oneHash / 2);
  });
});
