import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, bearer, basic, type TestDaemon } from '../helpers/daemon.js';
import { from, type Answer } from '../helpers/from-address.js';
import { UserStore, UserCodeTaken } from '../../dist/store/users.js';

/** What happens while a password is being hashed (~50 ms in a worker): other requests commit meanwhile. */
let d: TestDaemon;
let users: UserStore;
beforeAll(async () => {
  d = await testDaemon({ login: { hash_concurrency: 1, max_queued: 4 } });
  users = new UserStore(d.db);
});
afterAll(async () => d.close());

const form = (url: string, fields: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

describe('a login checked against a password that changes during the hash', () => {
  it('is refused when the password changed or the user was disabled meanwhile (the row is read again after the hash)', async () => {
    const racer = d.addUser('racer', 'user', { password: 'racer-old-password' });
    // login() reads the row before its first await: the change below commits while the hash runs.
    const changed = d.logins.login('racer', 'racer-old-password', '127.0.0.1');
    users.setPassword(racer.id, 'racer-new-password');
    expect((await changed).kind).toBe('refused');
    const disabled = d.logins.login('racer', 'racer-new-password', '127.0.0.1');
    users.update(racer.id, { active: false });
    expect((await disabled).kind).toBe('refused');
    users.update(racer.id, { active: true });
    const plain = await d.logins.login('racer', 'racer-new-password', '127.0.0.1');
    expect(plain.kind).toBe('ok');
  });

  it('uContact auth/login, the face that opens a session: the same login after the change gets no session', async () => {
    d.addUser('agent7', 'user', { password: 'agent7-old-password' });
    const ok = await form(`${d.url}/Integra/resources/auth/login`, { user: 'agent7', password: 'agent7-old-password' });
    expect(ok.status).toBe(200);
    const racer = users.byCode('agent7')!;
    const login = d.logins.login('agent7', 'agent7-old-password', '127.0.0.1');
    users.setPassword(racer.id, 'agent7-new-password');
    expect((await login).kind).toBe('refused');
    expect((await form(`${d.url}/Integra/resources/auth/login`, { user: 'agent7', password: 'agent7-old-password' })).status).toBe(401);
  });
});

describe('two creates of the same user code at once', () => {
  it('v1 POST /users: one is created, the other is the 422 naming user_code (no 500)', async () => {
    const admin = d.addUser('boss1', 'admin');
    const body = { user_code: 'twin', password: 'Twin Password', first_name: 'T', last_name: 'W', email: 't@example.com', fax: '6987654321', mobile: '6123456789', account_type: 'Acct', agree_spam_policy: true };
    const answers = await Promise.all([0, 1].map(() => d.api('POST', '/api/v1/users', { auth: admin.auth, body })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 422]);
    expect(answers.find((a) => a.status === 422)!.json).toEqual({ status: 422, errors: 'Validation failed: The user_code has already been taken.' });
    expect(d.db.prepare("SELECT COUNT(*) AS n FROM users WHERE user_code = 'twin'").get()).toEqual({ n: 1 });
  });

  it('ICTCore POST /users and PUT /users/{id}: one is written, the other is the 412 naming the username', async () => {
    d.addUser('boss2', 'admin', { password: 'boss2-password' });
    const token = await bearer(d, 'boss2', 'boss2-password');
    const created = await Promise.all([0, 1].map(() => d.api('POST', '/users', { auth: token, body: { username: 'twin2', passwd: 'twin2-password' } })));
    expect(created.map((a) => a.status).sort()).toEqual([200, 412]);
    expect(created.find((a) => a.status === 412)!.json).toEqual({ error: { code: 412, message: 'Precondition Failed: Data validation failed, for username: "twin2" is taken' } });
    // Two users renamed to one code at once, each with a new password (a hash before the write).
    const a = d.addUser('rename-a', 'user');
    const b = d.addUser('rename-b', 'user');
    const renamed = await Promise.all([a, b].map((u) => d.api('PUT', `/users/${u.id}`, { auth: token, body: { username: 'twin3', passwd: 'twin3-password' } })));
    expect(renamed.map((r) => r.status).sort()).toEqual([200, 412]);
    expect(d.db.prepare("SELECT COUNT(*) AS n FROM users WHERE user_code = 'twin3'").get()).toEqual({ n: 1 });
  });

  it('a clash only the table sees (another process added the code) is the typed UserCodeTaken', () => {
    d.addUser('taken-code', 'user');
    expect(() => users.add({ user_code: 'TAKEN-code', password: 'x-password', role: 'user', timezone: 'UTC', country: 'AU' })).toThrow(UserCodeTaken);
    const other = d.addUser('other-code', 'user');
    expect(() => users.update(other.id, { user_code: 'taken-code' })).toThrow(UserCodeTaken);
  });
});

describe('password changes do not crowd out logins', () => {
  it('a user flooding PUT /users/{self} with new passwords: a few are hashed, the rest 429, and other users still log in', async () => {
    const flooder = d.addUser('flooder', 'user', { password: 'flooder-password' });
    d.addUser('bystander', 'user', { password: 'bystander-password' });
    expect((await d.api('GET', '/api/v1/jobs', { auth: flooder.auth })).status).toBe(200); // remembered: no hash at auth
    const flood = Promise.all(Array.from({ length: 12 }, (_, n) => d.api('PUT', `/api/v1/users/${flooder.id}`, { auth: flooder.auth, body: { password: `flooder-new-${n}` } })));
    await new Promise((r) => setTimeout(r, 20));
    const login = (await from('127.0.0.1', `${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bystander', password: 'bystander-password' }) })) as Answer;
    const statuses = (await flood).map((r) => r.status);
    expect(login.status).toBe(200);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429 || s === 401)).toBe(true);
  });

  it('an ICTCore change of a first name keeps remembered Basic logins; a password change ends them', async () => {
    d.addUser('boss3', 'admin', { password: 'boss3-password' });
    const token = await bearer(d, 'boss3', 'boss3-password');
    const named = d.addUser('named', 'user', { password: 'named-password' });
    expect((await d.api('GET', '/api/v1/jobs', { auth: named.auth })).status).toBe(200);
    const before = d.logins.hashCounts.verified;
    expect((await d.api('PUT', `/users/${named.id}`, { auth: token, body: { first_name: 'Renamed' } })).status).toBe(200);
    expect((await d.api('GET', '/api/v1/jobs', { auth: named.auth })).status).toBe(200);
    expect(d.logins.hashCounts.verified).toBe(before); // still remembered: no hash
    expect((await d.api('PUT', `/users/${named.id}`, { auth: token, body: { passwd: 'named-new-password' } })).status).toBe(200);
    expect((await d.api('GET', '/api/v1/jobs', { auth: named.auth })).status).toBe(401);
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('named', 'named-new-password') })).status).toBe(200);
  });
});

describe('when the password workers cannot answer', () => {
  it('a malformed stored hash matches nothing (401), and the worker lives on for the next login', async () => {
    d.addUser('broken-hash', 'user', { password: 'broken-password' });
    d.addUser('after-broken', 'user', { password: 'after-password' });
    // N=3 is not a power of two: scrypt throws on it.
    d.db.prepare("UPDATE users SET password_hash = 'scrypt$3$8$1$c2FsdA==$aGFzaA==' WHERE user_code = 'broken-hash'").run();
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('broken-hash', 'broken-password') })).status).toBe(401);
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('after-broken', 'after-password') })).status).toBe(200);
  });

  it("stopped workers: a login is a 503 in the face's own envelope, not a 500", async () => {
    const s = await testDaemon();
    try {
      s.addUser('late', 'user', { password: 'late-password' });
      await s.logins.close();
      expect(await s.api('GET', '/api/v1/jobs', { auth: basic('late', 'late-password') })).toMatchObject({ status: 503, json: { status: 503, errors: expect.stringMatching(/password workers are stopped/) } });
      const ict = await s.api('POST', '/authenticate', { body: { username: 'late', password: 'late-password' } });
      expect(ict).toMatchObject({ status: 503, json: { error: { code: 503 } } });
    } finally {
      await s.close();
    }
  });
});
