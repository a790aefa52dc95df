import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, basic, bearer, type TestDaemon } from '../helpers/daemon.js';
import { from } from '../helpers/from-address.js';
import { hashesInThisThread } from '../../dist/core/passwords.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await testDaemon();
  for (let n = 0; n < 12; n++) d.addUser(`known${n}`, 'user', { password: 'known-password' });
});
afterAll(async () => d.close());

const attempt = async (address: string, username: string) => {
  const a = await from(address, `${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'wrong' }) });
  expect(a.status).toBe(401);
};

/**
 * Where the hashes run, counted rather than timed (wall-clock gaps are noise on a loaded machine; the
 * figures are bench/login-flood.js's): the main thread's own scrypt count stays put, the workers' grows.
 */
describe('what a login costs', () => {
  it('an unknown user costs what a known one does: one hash each (no enumeration by timing)', async () => {
    for (let n = 0; n < 5; n++) {
      const known = d.logins.hashCounts.verified;
      await attempt(`127.0.1.${n + 1}`, `known${n}`);
      const unknown = d.logins.hashCounts.verified;
      await attempt(`127.0.2.${n + 1}`, `nobody${n}`);
      expect([unknown - known, d.logins.hashCounts.verified - unknown]).toEqual([1, 1]);
    }
  });

  it('password hashing does not run on the event loop: wrong passwords are all checked in the workers', async () => {
    const mainBefore = hashesInThisThread();
    const workersBefore = d.logins.hashCounts.verified;
    await Promise.all(Array.from({ length: 8 }, (_, n) => attempt(`127.0.3.${n + 1}`, `known${n + 4}`)));
    expect(hashesInThisThread()).toBe(mainBefore);
    expect(d.logins.hashCounts.verified - workersBefore).toBe(8);
    expect(d.logins.hashCounts.onMainThread).toBe(0);
  });

  it('nor does setting a password (v1 PUT /users, ICTCore PUT /users/{id}/password and POST /accounts)', async () => {
    const admin = d.addUser('boss', 'admin', { password: 'boss-password' });
    const token = await bearer(d, 'boss', 'boss-password');
    const targets = [0, 1, 2, 3].map((n) => d.addUser(`changed${n}`, 'user', { password: 'old-password' }));
    await d.api('GET', '/api/v1/users', { auth: admin.auth }); // remembered: no hash below but the changes'
    const mainBefore = hashesInThisThread();
    const hashedBefore = d.logins.hashCounts.hashed;
    const answers = (
      await Promise.all([
        d.api('PUT', `/api/v1/users/${targets[0]!.id}`, { auth: admin.auth, body: { password: 'new-password-0' } }),
        d.api('PUT', `/api/v1/users/${targets[1]!.id}`, { auth: admin.auth, body: { password: 'new-password-1' } }),
        d.api('PUT', `/users/${targets[2]!.id}/password`, { auth: token, body: { password: 'new-password-2' } }),
        d.api('POST', '/accounts', { auth: token, body: { username: 'sip-account', passwd: 'account-secret', passwd_pin: '1234' } }),
      ])
    ).map((r) => r.status);
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(hashesInThisThread()).toBe(mainBefore);
    expect(d.logins.hashCounts.hashed - hashedBefore).toBe(5);
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
