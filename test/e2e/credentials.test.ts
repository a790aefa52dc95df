import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { cli, freePort, killAll, startProcess } from '../helpers/process.js';
import { basic, bearer } from '../helpers/daemon.js';

/**
 * A password change or a deactivation ends everything the user holds (cached Basic credentials, open
 * WebSockets, uContact sessions, ICTCore tokens), also when the CLI makes it while the daemon runs.
 */
let dir: string;
let env: Record<string, string>;
const ids: Record<string, number> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-creds-'));
  // Streams rechecked every 100 ms (live.recheck_ms), so the bounds below leave seconds of slack on a loaded machine.
  env = { SWITCHPOST_DATA_DIR: dir, SWITCHPOST_HTTP_PORT: String(await freePort()), SWITCHPOST_LOG_LEVEL: 'warn', SWITCHPOST_LIVE_RECHECK_MS: '100' };
  for (const [code, role] of [
    ['alice', 'user'],
    ['bob', 'user'],
    ['boss', 'admin'],
  ]) {
    const r = cli(['user', 'add', code!, '--role', role!, '--password', `${code}-old-password`], env);
    expect(r.status).toBe(0);
    ids[code!] = Number(/with id (\d+)/.exec(r.stdout)![1]);
  }
});
afterEach(killAll);
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const form = (url: string, fields: Record<string, string>, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: token } : {}) }, body: new URLSearchParams(fields).toString() });

/** Everything a user can hold, opened with its current password. */
async function hold(url: string, code: string, password: string) {
  const auth = basic(code, password);
  expect((await fetch(`${url}/api/v1/jobs`, { headers: { authorization: auth } })).status).toBe(200); // now cached
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const s = new WebSocket(url.replace('http', 'ws') + '/stream', { headers: { authorization: auth } });
    s.on('open', () => resolve(s));
    s.on('error', reject);
  });
  const closed = new Promise<{ at: number; code: number }>((r) => ws.on('close', (c) => r({ at: Date.now(), code: c })));
  const login = await form(`${url}/Integra/resources/auth/login`, { user: code, password });
  const session = ((await login.json()) as { token: string }).token;
  const jwt = ((await (await fetch(`${url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: code, password }) })).json()) as { token: string }).token;
  // What each answers while the holding is good: 200 / a 400 for an empty SMS (past the session check) / 200.
  const probe = async () => ({
    basic: (await fetch(`${url}/api/v1/jobs`, { headers: { authorization: auth } })).status,
    session: (await form(`${url}/Integra/resources/SMS/SendSMS`, { destination: '', message: '' }, session)).status,
    jwt: (await fetch(`${url}/contacts`, { headers: { authorization: `Bearer ${jwt}` } })).status,
  });
  expect(await probe()).toEqual({ basic: 200, session: 400, jwt: 200 });
  return { ws, closed, probe };
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a credentials change ends what the user holds', () => {
  it('`switchpost user passwd` while the daemon runs: the old password, its sockets, sessions and tokens end within the recheck interval', async () => {
    const p = await startProcess(env);
    const alice = await hold(p.url, 'alice', 'alice-old-password');
    const bob = await hold(p.url, 'bob', 'bob-old-password');
    const r = cli(['user', 'passwd', 'alice', '--password', 'alice-new-password'], env);
    expect(r.status).toBe(0);
    const changed = Date.now();
    const ended = { basic: 401, session: 401, jwt: 401 };
    expect(await until(alice.probe, (v) => JSON.stringify(v) === JSON.stringify(ended), 5000)).toEqual(ended);
    const closed = await Promise.race([alice.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    expect(closed).not.toBeNull();
    expect(closed!.at - changed).toBeLessThan(5000);
    expect(closed!.code).toBe(4401);
    // The new password works; another user is untouched.
    expect((await fetch(`${p.url}/api/v1/jobs`, { headers: { authorization: basic('alice', 'alice-new-password') } })).status).toBe(200);
    expect(await bob.probe()).toEqual({ basic: 200, session: 400, jwt: 200 });
    expect(bob.ws.readyState).toBe(WebSocket.OPEN);
    bob.ws.close();
  });

  it('deactivation through the API ends them at once', async () => {
    const p = await startProcess(env);
    const bob = await hold(p.url, 'bob', 'bob-old-password');
    const put = await fetch(`${p.url}/api/v1/users/${ids.bob}`, { method: 'PUT', headers: { authorization: basic('boss', 'boss-old-password'), 'content-type': 'application/json' }, body: JSON.stringify({ user_live: false }) });
    expect(put.status).toBe(200);
    expect(await bob.probe()).toEqual({ basic: 401, session: 401, jwt: 401 });
    const closed = await Promise.race([bob.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    expect(closed).not.toBeNull();
    expect(closed!.code).toBe(4401);
  });

  it('a role change through the API ends the open stream (it was scoped to the old role)', async () => {
    const p = await startProcess(env);
    const put = (body: object) => fetch(`${p.url}/api/v1/users/${ids.bob}`, { method: 'PUT', headers: { authorization: basic('boss', 'boss-old-password'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put({ user_live: true })).status).toBe(200);
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const s = new WebSocket(p.url.replace('http', 'ws') + '/stream', { headers: { authorization: basic('bob', 'bob-old-password') } });
      s.on('open', () => resolve(s));
      s.on('error', reject);
    });
    const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
    const token = await bearer(p, 'boss', 'boss-old-password');
    expect((await fetch(`${p.url}/users/${ids.bob}/roles/2`, { method: 'PUT', headers: { authorization: token } })).status).toBe(200);
    expect(await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))])).toBe(4401);
  });
});
