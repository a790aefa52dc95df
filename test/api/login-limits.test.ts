import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';
import { from, upgradeFrom, type Answer } from '../helpers/from-address.js';

/** One login surface: how to try a user and password from an address, and what its refusals look like. */
interface Face {
  name: string;
  attempt(d: TestDaemon, address: string, user: string, password: string): Promise<Answer | { status: number; retryAfter: string | undefined; ok?: boolean }>;
  refused(a: any): void;
  limited(a: any): void;
}

const json = { 'content-type': 'application/json' };
const FACES: Face[] = [
  {
    name: 'v1 API (Basic)',
    attempt: (d, address, user, password) => from(address, `${d.url}/api/v1/jobs`, { headers: { authorization: basic(user, password) } }),
    refused: (a) => expect(a.json).toEqual({ status: 401, errors: 'Invalid credentials.' }),
    limited: (a) => expect(a.json).toEqual({ status: 429, errors: expect.stringMatching(/^Too many failed logins.*retry in \d+ s/) }),
  },
  {
    name: 'Retarus (Basic)',
    attempt: (d, address, user, password) => from(address, `${d.url}/rest/v1/jobs`, { headers: { authorization: basic(user, password) } }),
    refused: (a) => expect(a.json).toEqual({ message: 'Authentication failed' }),
    limited: (a) => expect(a.json).toEqual({ message: expect.stringMatching(/^Too many failed logins.*retry in \d+ s/) }),
  },
  {
    name: 'ICTCore POST /authenticate',
    attempt: (d, address, user, password) => from(address, `${d.url}/authenticate`, { method: 'POST', headers: json, body: JSON.stringify({ username: user, password }) }),
    refused: (a) => expect(a.json).toEqual({ error: { code: 401, message: 'Unauthorized: Invalid user name and password' } }),
    limited: (a) => expect(a.json).toEqual({ error: { code: 429, message: expect.stringMatching(/^Too Many Requests: too many failed logins.*retry in \d+ s/) } }),
  },
  {
    name: 'uContact auth/login',
    attempt: (d, address, user, password) => from(address, `${d.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user, password }).toString() }),
    refused: (a) => expect([a.text, decodeURIComponent(String(a.headers['x-error']))]).toEqual(['ERROR', 'wrong user or password']),
    limited: (a) => expect([a.text, decodeURIComponent(String(a.headers['x-error']))]).toEqual(['ERROR', expect.stringMatching(/^too many failed logins.*retry in \d+ s/)]),
  },
  {
    name: "uContact's auth/getUserToken",
    attempt: (d, address, user, password) =>
      from(address, `${d.url}/IntegraChannels/resources/auth/getUserToken`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user, password }).toString() }),
    refused: (a) => expect([a.status, a.text, decodeURIComponent(String(a.headers['x-error']))]).toEqual([401, '0', 'wrong user or password']),
    limited: (a) => expect([a.text, decodeURIComponent(String(a.headers['x-error']))]).toEqual(['0', expect.stringMatching(/^too many failed logins.*retry in \d+ s/)]),
  },
  {
    name: 'WebSocket upgrade',
    attempt: async (d, address, user, password) => {
      const r = await upgradeFrom(address, d.url.replace('http', 'ws') + '/stream', { authorization: basic(user, password) });
      if ('ws' in r) {
        r.ws.close();
        return { status: 101, retryAfter: undefined };
      }
      return r;
    },
    refused: (a) => expect([a.status, a.headers['www-authenticate']]).toEqual([401, 'Basic realm="switchpost"']),
    limited: (a) => expect([a.status, Number(a.headers['retry-after']) > 0]).toEqual([429, true]),
  },
];
const ok = (status: number) => status === 200 || status === 101;

describe('failed logins are limited on every face (defaults: 5 per user and address)', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await testDaemon();
  });
  afterAll(async () => d.close());

  FACES.forEach((face, i) => {
    it(`${face.name}: the 6th wrong password from one address is a 429 with Retry-After; the right one from elsewhere works`, async () => {
      const user = `lim${i}`;
      d.addUser(user, 'user', { password: 'the-right-password' });
      const attacker = `127.0.0.${10 + i}`;
      for (let n = 0; n < 5; n++) {
        const a = await face.attempt(d, attacker, user, `guess-${n}`);
        expect(a.status).toBe(401);
        face.refused(a);
      }
      const limited = await face.attempt(d, attacker, user, 'guess-5');
      expect(limited.status).toBe(429);
      const retryAfter = 'headers' in limited ? limited.headers['retry-after'] : limited.retryAfter;
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);
      face.limited(limited);
      // The blocked pair is not verified at all, so even the right password waits there…
      expect((await face.attempt(d, attacker, user, 'the-right-password')).status).toBe(429);
      // …but the user's own client elsewhere is not locked out.
      expect(ok((await face.attempt(d, '127.0.0.1', user, 'the-right-password')).status)).toBe(true);
    });
  });
});

describe('per address and per user', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await testDaemon({ login: { max_failures_per_user_address: 3, max_failures_per_address: 6, max_failures_per_user: 4 } });
  });
  afterAll(async () => d.close());
  const ict = FACES[2]!;

  it('an address that fails for many users is limited for every user; other addresses are not', async () => {
    for (let n = 0; n < 7; n++) d.addUser(`spray${n}`, 'user', { password: 'spray-password' });
    for (let n = 0; n < 6; n++) expect((await ict.attempt(d, '127.0.0.40', `spray${n}`, 'wrong')).status).toBe(401);
    const a = await ict.attempt(d, '127.0.0.40', 'spray6', 'spray-password');
    expect(a.status).toBe(429);
    ict.limited(a);
    expect((await ict.attempt(d, '127.0.0.41', 'spray6', 'spray-password')).status).toBe(200);
    // Unknown users count as failures too (the limiter says nothing about who exists).
    for (let n = 0; n < 6; n++) expect((await ict.attempt(d, '127.0.0.42', `ghost${n}`, 'wrong')).status).toBe(401);
    expect((await ict.attempt(d, '127.0.0.42', 'spray6', 'spray-password')).status).toBe(429);
  });

  it('a user attacked from many addresses: addresses that failed for it wait, a clean address with the right password still logs in', async () => {
    d.addUser('victim', 'user', { password: 'victim-password' });
    for (const n of [50, 51, 52, 53]) expect((await ict.attempt(d, `127.0.0.${n}`, 'victim', 'wrong')).status).toBe(401);
    // Over the user's limit: .50 failed once only (its pair limit is 3), but it is part of the attack.
    expect((await ict.attempt(d, '127.0.0.50', 'victim', 'wrong')).status).toBe(429);
    // A new address gets one try, then waits too.
    expect((await ict.attempt(d, '127.0.0.54', 'victim', 'wrong')).status).toBe(401);
    expect((await ict.attempt(d, '127.0.0.54', 'victim', 'victim-password')).status).toBe(429);
    // The user itself, from an address with no failures, is not locked out.
    expect((await ict.attempt(d, '127.0.0.55', 'victim', 'victim-password')).status).toBe(200);
    expect((await ict.attempt(d, '127.0.0.1', 'victim', 'victim-password')).status).toBe(200);
  });

  it('a successful login clears its own pair only', async () => {
    d.addUser('forgetful', 'user', { password: 'forgetful-password' });
    for (let n = 0; n < 2; n++) expect((await ict.attempt(d, '127.0.0.60', 'forgetful', 'wrong')).status).toBe(401);
    expect((await ict.attempt(d, '127.0.0.60', 'forgetful', 'forgetful-password')).status).toBe(200);
    // Without the reset, the 4th failure of the pair would be over its limit of 3.
    for (let n = 0; n < 2; n++) expect((await ict.attempt(d, '127.0.0.60', 'forgetful', 'wrong')).status).toBe(401);
  });
});

describe("behind a trusted proxy (http.trust_proxy: the proxies' addresses)", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await testDaemon({ http: { port: 0, trust_proxy: ['127.0.0.1'] } });
  });
  afterAll(async () => d.close());

  it('the forwarded client is counted, on the faces and the stream upgrade alike; what the client wrote before it is not', async () => {
    d.addUser('proxied', 'user', { password: 'proxied-password' });
    // The client writes a new left-most address each time; the proxy (127.0.0.1) appends the real one.
    let n = 0;
    const xff = (client: string) => `198.51.100.${++n}, ${client}`;
    const upgrade = (client: string, password: string) => upgradeFrom('127.0.0.1', d.url.replace('http', 'ws') + '/stream', { authorization: basic('proxied', password), 'x-forwarded-for': xff(client) });
    // Three failures on the stream and two on the v1 API: the same client, five failures.
    for (let i = 0; i < 3; i++) expect(await upgrade('203.0.113.9', 'wrong')).toMatchObject({ status: 401 });
    for (let i = 0; i < 2; i++) {
      const a = await from('127.0.0.1', `${d.url}/api/v1/jobs`, { headers: { authorization: basic('proxied', 'wrong'), 'x-forwarded-for': xff('203.0.113.9') } });
      expect(a.status).toBe(401);
    }
    expect(await upgrade('203.0.113.9', 'wrong')).toMatchObject({ status: 429 });
    const a = await from('127.0.0.1', `${d.url}/api/v1/jobs`, { headers: { authorization: basic('proxied', 'wrong'), 'x-forwarded-for': xff('203.0.113.9') } });
    expect(a.status).toBe(429);
    const open = await upgrade('203.0.113.10', 'proxied-password');
    expect('ws' in open).toBe(true);
    if ('ws' in open) open.ws.close();
  });

  it('a peer that is not a listed proxy is counted as itself, whatever X-Forwarded-For it sends', async () => {
    d.addUser('spoofed', 'user', { password: 'spoofed-password' });
    let n = 0;
    const spoof = () => `198.51.100.${++n}`;
    for (let i = 0; i < 3; i++) {
      const a = await from('127.0.0.2', `${d.url}/api/v1/jobs`, { headers: { authorization: basic('spoofed', 'wrong'), 'x-forwarded-for': spoof() } });
      expect(a.status).toBe(401);
    }
    for (let i = 0; i < 2; i++) {
      const a = await upgradeFrom('127.0.0.2', d.url.replace('http', 'ws') + '/stream', { authorization: basic('spoofed', 'wrong'), 'x-forwarded-for': spoof() });
      expect(a).toMatchObject({ status: 401 });
    }
    expect((await from('127.0.0.2', `${d.url}/api/v1/jobs`, { headers: { authorization: basic('spoofed', 'wrong'), 'x-forwarded-for': spoof() } })).status).toBe(429);
    expect(await upgradeFrom('127.0.0.2', d.url.replace('http', 'ws') + '/stream', { authorization: basic('spoofed', 'wrong'), 'x-forwarded-for': spoof() })).toMatchObject({ status: 429 });
  });
});

describe('a burst of parallel guesses', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await testDaemon();
  });
  afterAll(async () => d.close());

  it('20 wrong passwords at once from one address: at most 5 are checked (401), the rest wait (429)', async () => {
    d.addUser('burst', 'user', { password: 'burst-password' });
    const ict = FACES[2]!;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => ict.attempt(d, '127.0.5.1', 'burst', `guess-${n}`) as Promise<Answer>));
    const refused = answers.filter((a) => a.status === 401).length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(20 - refused);
    for (const a of answers.filter((x) => x.status === 429)) expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
    // Once they have failed, the pair waits its whole window.
    const after = (await ict.attempt(d, '127.0.5.1', 'burst', 'burst-password')) as Answer;
    expect(after.status).toBe(429);
    expect(Number(after.headers['retry-after'])).toBeGreaterThan(60);
  });
});

describe('too many logins at once', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await testDaemon({ login: { hash_concurrency: 1, max_queued: 1 } });
  });
  afterAll(async () => d.close());

  it('past login.max_queued waiting, a login is a 429 with Retry-After: 1 at once, not queued', async () => {
    for (let n = 0; n < 6; n++) d.addUser(`busy${n}`, 'user', { password: 'busy-password' });
    const ict = FACES[2]!;
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => ict.attempt(d, `127.0.4.${n + 1}`, `busy${n}`, 'wrong') as Promise<Answer>));
    // One hashing, one waiting; the rest are told to come back.
    expect(answers.filter((a) => a.status === 401).length).toBe(2);
    const busy = answers.filter((a) => a.status === 429);
    expect(busy).toHaveLength(4);
    for (const a of busy) {
      expect(a.headers['retry-after']).toBe('1');
      expect(a.json).toEqual({ error: { code: 429, message: 'Too Many Requests: too many logins at once; retry in 1 s' } });
    }
    // Once they are done, the right password goes through.
    expect((await ict.attempt(d, '127.0.4.20', 'busy0', 'busy-password')).status).toBe(200);
  });
});
