import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, scryptSync } from 'node:crypto';
import { testDaemon, basic, bearer, type TestDaemon } from '../helpers/daemon.js';
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

  it('nor does setting a password (v1 PUT /users, ICTCore PUT /users/{id}/password and POST /accounts)', async () => {
    const admin = d.addUser('boss', 'admin', { password: 'boss-password' });
    const token = await bearer(d, 'boss', 'boss-password');
    const targets = [0, 1, 2, 3].map((n) => d.addUser(`changed${n}`, 'user', { password: 'old-password' }));
    await d.api('GET', '/api/v1/users', { auth: admin.auth }); // remembered: no hash below but the changes'
    const oneHash = (() => {
      const t0 = performance.now();
      scryptSync('x', randomBytes(16), 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      return performance.now() - t0;
    })();
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 2);
    let answers: number[];
    try {
      answers = (await Promise.all([
        d.api('PUT', `/api/v1/users/${targets[0]!.id}`, { auth: admin.auth, body: { password: 'new-password-0' } }),
        d.api('PUT', `/api/v1/users/${targets[1]!.id}`, { auth: admin.auth, body: { password: 'new-password-1' } }),
        d.api('PUT', `/users/${targets[2]!.id}/password`, { auth: token, body: { password: 'new-password-2' } }),
        d.api('POST', '/accounts', { auth: token, body: { username: 'sip-account', passwd: 'account-secret', passwd_pin: '1234' } }),
      ])).map((r) => r.status);
    } finally {
      clearInterval(tick);
    }
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(worst).toBeLessThan(oneHash / 2);
    // The hashes made in the workers are the real thing.
    for (const n of [0, 1, 2]) {
      expect((await d.api('GET', '/api/v1/users', { auth: basic(`changed${n}`, `new-password-${n}`) })).status).toBe(200);
      expect((await d.api('GET', '/api/v1/users', { auth: basic(`changed${n}`, 'old-password') })).status).toBe(401);
    }
    const account = d.db.prepare("SELECT password_hash, pin_hash FROM accounts WHERE username = 'sip-account'").get() as { password_hash: string; pin_hash: string };
    expect(account.password_hash).toMatch(/^scrypt\$/);
    expect(account.pin_hash).toMatch(/^scrypt\$/);
  });
});
