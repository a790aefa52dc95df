import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cli } from '../helpers/process.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const form = async (dd: TestDaemon, path: string, fields: Record<string, string>, auth?: string) => {
  const res = await fetch(dd.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', ...(auth ? { authorization: auth } : {}) }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, text: await res.text() };
};
type Sent = { state: string; reason: string | null; address: string | null };
/** The one recipient of the user's latest job, once it is done. */
const lastRecipient = async (dd: TestDaemon): Promise<Sent> => {
  const { id } = dd.db.prepare('SELECT MAX(id) AS id FROM jobs').get() as { id: number };
  await dd.waitFor(() => (dd.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete');
  return dd.db.prepare('SELECT state, reason, address FROM recipients WHERE job_id = ?').get(id) as Sent;
};
const countryOf = (dd: TestDaemon, id: number) => (dd.db.prepare('SELECT country FROM users WHERE id = ?').get(id) as { country: string }).country;

describe("a user's country through the API (v1 /users), as national numbers are read", () => {
  it('sets it on an existing user: a national number the uContact face sends afterwards is read in the new country; a bad code is a 422 that changes nothing', async () => {
    d = await testDaemon();
    const admin = d.addUser('boss', 'admin');
    const agent = d.addUser('montevideo', 'user', { password: 'uc-password-1' });
    const [, , key] = JSON.parse((await form(d, '/Integra/resources/auth/getUserToken', { user: 'montevideo', password: 'uc-password-1' })).text) as [string, number, string];
    // The seed's own example number, Uruguayan: read in AU (the user's country so far) it is no number.
    const send = { destination: '098344484', message: 'Hola', campaign: 'Ventas' };
    expect((await form(d, '/Integra/resources/SMS/SendSMS', send, `Basic ${key}`)).text).toBe('OK');
    expect(await lastRecipient(d)).toMatchObject({ state: 'invalid', reason: 'invalid number for AU' });

    for (const bad of ['ZZ', 'AUS', 'U', '', 'EU', '1A']) {
      const r = await d.api('PUT', `/api/v1/users/${agent.id}`, { auth: admin.auth, body: { country: bad } });
      expect([r.status, r.json], bad).toEqual([422, { status: 422, errors: expect.stringMatching(/^Validation failed: country: expected an ISO 3166 alpha-2 country code/) }]);
    }
    const typed = await d.api('PUT', `/api/v1/users/${agent.id}`, { auth: admin.auth, body: { country: 598, first_name: 'Ana' } });
    expect(typed.status).toBe(422);
    expect(d.db.prepare('SELECT country, first_name FROM users WHERE id = ?').get(agent.id)).toEqual({ country: 'AU', first_name: null });

    const ok = await d.api('PUT', `/api/v1/users/${agent.id}`, { auth: admin.auth, body: { country: 'uy' } });
    expect(ok.status).toBe(200);
    expect(countryOf(d, agent.id)).toBe('UY');
    expect((await d.api('GET', `/api/v1/users/${agent.id}`, { auth: admin.auth })).json.data.country).toBe('UY');
    // The same session, the same number: now +598.
    expect((await form(d, '/Integra/resources/SMS/SendSMS', send, `Basic ${key}`)).text).toBe('OK');
    expect(await lastRecipient(d)).toMatchObject({ state: 'delivered', address: '+59898344484' });
  });

  it('takes it when a user is created, the default otherwise; a plain user may set its own', async () => {
    d = await testDaemon();
    const admin = d.addUser('boss', 'admin');
    const made = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'uy/ana', password: 'ana-password-1', country: 'UY' } });
    expect(made.status).toBe(200);
    expect(countryOf(d, made.json.data)).toBe('UY');
    const plain = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'au/bob', password: 'bob-password-1' } });
    expect(countryOf(d, plain.json.data)).toBe('AU');
    const refused = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'xx/eve', password: 'eve-password-1', country: 'XX' } });
    expect([refused.status, refused.json.errors]).toEqual([422, expect.stringMatching(/country/)]);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM users WHERE user_code = 'xx/eve'`).get()).toEqual({ n: 0 });
    const self = d.addUser('carla', 'user');
    expect((await d.api('PUT', `/api/v1/users/${self.id}`, { auth: self.auth, body: { country: 'AR' } })).status).toBe(200);
    expect(countryOf(d, self.id)).toBe('AR');
  });

  it('the CLI refuses an unknown --country and adds no user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-country-'));
    const env = { SWITCHPOST_DATA_DIR: dir, SWITCHPOST_LOG_LEVEL: 'silent' };
    const bad = cli(['user', 'add', 'zed', '--role', 'user', '--password', 'zed-password-1', '--country', 'ZZ'], env);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--country: expected an ISO 3166 alpha-2 country code/);
    const good = cli(['user', 'add', 'ana', '--role', 'user', '--password', 'ana-password-1', '--country', 'uy'], env);
    expect(good.status, good.stderr).toBe(0);
    const db = new Database(join(dir, 'switchpost.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT user_code, country FROM users ORDER BY id').all()).toEqual([{ user_code: 'ana', country: 'UY' }]);
    } finally {
      db.close();
    }
  });
});
