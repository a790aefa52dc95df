import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { concrete, routesOf } from '../helpers/routes.js';

/**
 * Bad input on every route of every face: repeated query parameters, odd numbers, bad bodies. Nothing
 * may answer 5xx, and every refusal comes in the face's own envelope. The routes are read from the
 * app itself, so a route added later is fuzzed too.
 */

let d: TestDaemon;
/** Who the fuzz calls as: an admin reaches every route; a plain user the tenancy branches. */
let who: 'fuzz-admin' | 'fuzz-user' = 'fuzz-admin';
const basicAuth: Record<string, string> = {};
const ictAuth: Record<string, string> = {};
let ucAuth: string;

type Face = 'welcorp' | 'retarus' | 'ucontact' | 'ictcore' | 'daemon';

const faceOf = (path: string): Face =>
  path.startsWith('/api/v1') ? 'welcorp'
  : path.startsWith('/rest/v1') ? 'retarus'
  : path.startsWith('/Integra') ? 'ucontact'
  : path === '/health' || path.startsWith('/gateways') || path === '*' || path === '/*' ? 'daemon'
  : 'ictcore';

const authFor = (face: Face) => (face === 'ictcore' ? ictAuth[who]! : face === 'ucontact' ? `Bearer ${ucAuth}` : basicAuth[who]!);

interface Answer { status: number; text: string; json: unknown; xError: string | null }

/** The value at `keys` inside a parsed body; undefined where a step is not an object. */
function at(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

async function call(method: string, url: string, opts: { body?: string; type?: string } = {}): Promise<Answer> {
  const face = faceOf(url);
  const headers: Record<string, string> = { authorization: authFor(face) };
  if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await fetch(d.url + url, { method, headers, body: opts.body });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json, xError: res.headers.get('x-error') };
}

/** The face's own error envelope (see each face's README). */
function envelopeProblem(face: Face, a: Answer): string | null {
  if (a.status < 400) return null;
  switch (face) {
    case 'welcorp': {
      // Verification answers its validation errors as a list of messages, as its seed says.
      const errors = at(a.json, 'errors');
      return at(a.json, 'status') === a.status && (typeof errors === 'string' || (Array.isArray(errors) && errors.every((e: unknown) => typeof e === 'string'))) ? null : 'not {status, errors}';
    }
    case 'retarus':
      return typeof at(a.json, 'message') === 'string' ? null : 'not {message}';
    case 'ucontact':
      return a.text === 'ERROR' && a.xError ? null : 'not ERROR with X-Error';
    case 'ictcore':
      return at(a.json, 'error', 'code') === a.status && typeof at(a.json, 'error', 'message') === 'string' ? null : 'not {error: {code, message}}';
    default:
      return null;
  }
}

/** Parameter names the routes read (and a few they don't). */
const NAMES = ['user_code', 'jobId', 'user', 'username', 'password', 'destination', 'message', 'campaign', 'source', 'fileb64', 'phone', 'page', 'page_size', 'limit', 'offset', 'job_name', 'fromTs', 'open', 'status', 'program_id', 'name', 'id'];
const PAGING = ['page', 'page_size', 'limit', 'offset'];
const NUMBERS = ['1.5', '1e20', '-1', 'NaN', 'Infinity', '99999999999999999999999', '0x10', ' 1', '1,5'];
const BODIES: { body: string; type?: string }[] = [
  { body: '{' },
  { body: '' },
  { body: '[]' },
  { body: 'null' },
  { body: '"x"' },
  { body: '1e999' },
  { body: '{"__proto__": {"x": 1}, "limit": 1.5, "page": 1e20}' },
  { body: '<a/>', type: 'text/xml' },
  { body: 'a=1&a=2&user=x&user=y&destination=1&destination=2', type: 'application/x-www-form-urlencoded' },
  { body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', type: 'multipart/form-data; boundary=x' },
  { body: '{"a":1}', type: 'application/json; charset=latin-99' },
  // Lists and objects where one value belongs (uContact reads JSON bodies as its form too).
  { body: JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, ['a', 'b']]))) },
  { body: JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, { a: 1 }]))) },
  { body: JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, 1e308]))) },
];

let routes: { method: string; path: string; face: Face }[] = [];

/** A fresh uContact session: the fuzz itself calls auth/logout. */
async function ucontactLogin(): Promise<void> {
  const login = await fetch(`${d.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=${who}&password=fuzz-password-1` });
  ucAuth = ((await login.json()) as { token: string }).token;
}

beforeAll(async () => {
  // Retarus' request window and the failed-login limits (the fuzz logs in with bad bodies from one
  // address; login-limits.test.ts tests those) would answer most of the fuzz 429.
  d = await testDaemon({ retarus: { requests_per_10s: 1_000_000 }, login: { max_failures_per_address: 1_000_000, max_failures_per_user_address: 1_000_000, max_failures_per_user: 1_000_000 } });
  for (const [code, role] of [['fuzz-admin', 'admin'], ['fuzz-user', 'user']] as const) {
    basicAuth[code] = d.addUser(code, role, { password: 'fuzz-password-1' }).auth;
    ictAuth[code] = await bearer(d, code, 'fuzz-password-1');
  }
  routes = routesOf(d.app.printRoutes({ commonPrefix: false })).map((r) => ({ ...r, face: faceOf(concrete(r.path)) }));
}, 30_000);
beforeEach(ucontactLogin);
afterAll(async () => d?.close());

/** Runs every case (a few at once; logouts alone, at the end), collecting what went wrong, so one failure lists them all. */
async function sweep(cases: { method: string; url: string; body?: string; type?: string }[]): Promise<string[]> {
  const wrong: string[] = [];
  const check = async (c: (typeof cases)[number]) => {
    const a = await call(c.method, c.url, c);
    const what = `${c.method} ${c.url.slice(0, 160)}${c.body !== undefined ? ` [${c.type ?? 'application/json'}: ${c.body.slice(0, 30)}]` : ''}`;
    if (a.status >= 500) wrong.push(`${what} → ${a.status} ${a.text.slice(0, 80)}`);
    const bad = envelopeProblem(faceOf(c.url), a);
    if (bad) wrong.push(`${what} → ${a.status} ${bad}: ${a.text.slice(0, 80)}`);
  };
  const isLogout = (c: (typeof cases)[number]) => c.url.includes('/auth/logout');
  const first = cases.filter((c) => !isLogout(c));
  for (let i = 0; i < first.length; i += 8) await Promise.all(first.slice(i, i + 8).map(check));
  for (const c of cases.filter(isLogout)) await check(c);
  return wrong;
}

const repeatedCases = () => routes.flatMap((r) => NAMES.map((n) => ({ method: r.method, url: `${concrete(r.path)}?${n}=a&${n}=b` })));

/** Every field name the faces read, each set to one odd value at a time; and nesting deeper than any body. */
function oddBodyCases() {
  const FIELDS = ['job_type', 'job_name', 'message', 'recipients', 'destination', 'files', 'audiofile', 'company_id', 'company', 'user_code', 'program_id', 'account_id', 'group_id', 'contact_id', 'campaign_id', 'transmission_id', 'phone', 'email', 'username', 'passwd', 'password', 'role', 'active', 'cpm', 'hour', 'minute', 'messages', 'options', 'text', 'dst', 'name', 'data', 'value', 'settings', 'services', 'host', 'port', 'throughput', 'first_name', 'timezone', 'country', 'scheduled_date', 'sms', 'fileb64', 'try_allowed', 'origin', 'type', 'direction', 'client_ref', 'code'];
  const VALUES: unknown[] = [1e308, -1, 1.5, 2 ** 63, 'x'.repeat(20_000), {}, [], [[[]]], null, true, '\u0000\u202e', { $gt: '' }];
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  return routes
    .filter((r) => ['POST', 'PUT', 'DELETE'].includes(r.method))
    .flatMap((r) => [...VALUES.map((v) => ({ method: r.method, url: concrete(r.path), body: JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, v]))) })), { method: r.method, url: concrete(r.path), body: deep }]);
}

describe('bad input on every route of every face', () => {
  it('finds the routes of all four faces', () => {
    const faces = new Set(routes.map((r) => r.face));
    for (const f of ['welcorp', 'retarus', 'ucontact', 'ictcore'] as const) expect(faces).toContain(f);
    expect(routes.length).toBeGreaterThan(80);
  });

  it('answers a repeated query parameter with a 400 in the face envelope, never a 5xx', async () => {
    expect(await sweep(repeatedCases())).toEqual([]);
    // The ones that were 500s, now each a 400 in its face's words.
    for (const [method, url] of [
      ['GET', '/api/v1/users?user_code=a&user_code=b'],
      ['GET', '/rest/v1/sms?jobId=a&jobId=b'],
      ['POST', '/Integra/resources/auth/login?user=a&user=b'],
      ['POST', '/Integra/resources/SMS/SendSMS?destination=a&destination=b'],
      ['POST', '/Integra/resources/SMS/SendSMSv2?destination=a&destination=b'],
      ['POST', '/Integra/resources/SMS/uploadbase?fileb64=a&fileb64=b'],
      ['GET', '/Integra/resources/InboundSMS/ReceiveURLSMS?phone=a&phone=b'],
      ['POST', '/Integra/resources/SMS/SendSMS?source=a&source=b'],
      ['GET', '/transmissions?status=a&status=b'],
    ] as const) {
      const a = await call(method, url);
      expect(a.status, `${method} ${url}`).toBe(400);
      expect(envelopeProblem(faceOf(url), a), `${method} ${url}`).toBeNull();
      const name = /\?([^=]+)=/.exec(url)![1]!;
      expect(a.text + (a.xError ? decodeURIComponent(a.xError) : ''), `${method} ${url} names the parameter`).toContain(name);
    }
  }, 120_000);

  it('answers fractional, huge, negative and non-numeric paging values with a 400, never a 5xx', async () => {
    const cases = routes.filter((r) => r.method === 'GET').flatMap((r) => PAGING.flatMap((n) => NUMBERS.map((v) => ({ method: r.method, url: `${concrete(r.path)}?${n}=${encodeURIComponent(v)}` }))));
    expect(await sweep(cases)).toEqual([]);
    for (const q of ['limit=1.5', 'offset=1.5', 'offset=1e20', 'limit=-1', 'limit=abc']) {
      const a = await call('GET', `/transmissions?${q}`);
      expect(a.status, q).toBe(400);
      expect(at(a.json, 'error', 'message'), q).toEqual(expect.stringContaining(q.split('=')[0]!));
    }
    for (const q of ['limit=1.5', 'offset=1e20', 'limit=0']) expect((await call('GET', `/rest/v1/jobs?${q}`)).status, q).toBe(400);
    // The v1 face answers a bad page as Laravel does, with its validation status.
    for (const q of ['page=1.5', 'page_size=1e20', 'page=-1']) {
      expect((await call('GET', `/api/v1/jobs?${q}`)).status, q).toBe(422);
      expect((await call('GET', `/api/v1/users?${q}`)).status, q).toBe(422);
    }
    // Good paging still works.
    expect((await call('GET', '/transmissions?limit=2&offset=0')).status).toBe(200);
    expect((await call('GET', '/api/v1/jobs?page=1&page_size=5')).status).toBe(200);
  }, 120_000);

  it('answers bad bodies and wrong content types in the face envelope, never a 5xx', async () => {
    const cases = routes.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)).flatMap((r) => BODIES.map((b) => ({ method: r.method, url: concrete(r.path), ...b })));
    expect(await sweep(cases)).toEqual([]);
  }, 120_000);

  it('answers odd values in every query parameter, and prototype names, in the face envelope, never a 5xx', async () => {
    const names = [...NAMES, 'start_after', 'start_before', 'job_type', 'job_status', 'user_id', 'toTs', 'jobIdsOnly', 'contact_id', 'account_id', 'campaign_id', 'service_flag', 'active', 'role', 'email', 'filename', 'calldate', 'sms', 'client_ref', 'code', '__proto__', 'constructor', 'hasOwnProperty', 'toString'];
    const values = ['%00', '1e308', '-1', '%E2%80%AE', '[object Object]', '2023-02-30', '9999-99-99 99:99', 'true'];
    const cases = routes.flatMap((r) => values.map((v) => ({ method: r.method, url: `${concrete(r.path)}?${names.map((n) => `${n}=${v}`).join('&')}` })));
    // One name at a time too (a long value alone: the whole URL stays under Node's 16 KB header limit).
    cases.push(...routes.filter((r) => r.method === 'GET').flatMap((r) => names.map((n) => ({ method: r.method, url: `${concrete(r.path)}?${n}=${'x'.repeat(4000)}` }))));
    expect(await sweep(cases)).toEqual([]);
  }, 180_000);

  it('answers odd values in every field of a JSON body in the face envelope, never a 5xx', async () => {
    expect(await sweep(oddBodyCases())).toEqual([]);
  }, 180_000);

  it('holds for a plain user too (its own records, other tenancy branches)', async () => {
    who = 'fuzz-user';
    try {
      await ucontactLogin();
      expect(await sweep([...repeatedCases(), ...oddBodyCases()])).toEqual([]);
    } finally {
      who = 'fuzz-admin';
    }
  }, 180_000);

  it('answers a path that is not valid percent-encoding, or too long a segment, in the face envelope', async () => {
    const cases = routes.flatMap((r) => {
      const url = concrete(r.path);
      const withParam = r.path.includes(':') ? [r.path.replace(/:[A-Za-z_]+/g, '%zz'), r.path.replace(/:[A-Za-z_]+/g, 'a'.repeat(300)), r.path.replace(/:[A-Za-z_]+/g, '%E0%A4%A')] : [];
      return [`${url}/%zz`, `${url}%`, ...withParam].map((u) => ({ method: r.method, url: u.startsWith('/') ? u : `/${u}` }));
    });
    expect(await sweep(cases)).toEqual([]);
    const a = await call('GET', '/api/v1/jobs/%zz');
    expect(a.json).toEqual({ status: 400, errors: expect.stringMatching(/percent-encoding/) });
    expect((await call('GET', '/rest/v1/jobs/%zz')).json).toEqual({ message: expect.stringMatching(/percent-encoding/) });
    expect((await call('GET', '/contacts/%zz')).json).toEqual({ error: { code: 400, message: expect.stringMatching(/^Bad Request: .*percent-encoding/) } });
    const uc = await call('POST', '/Integra/resources/SMS/%zz');
    expect([uc.status, uc.text, decodeURIComponent(uc.xError ?? '')]).toEqual([400, 'ERROR', expect.stringMatching(/percent-encoding/)]);
  }, 120_000);

  it('stores nothing when it refuses a repeated parameter', async () => {
    const jobs = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const before = jobs();
    const a = await call('POST', '/Integra/resources/SMS/SendSMS?destination=0491570156&destination=0491570157&message=hi&campaign=c');
    expect(a.status).toBe(400);
    expect(jobs()).toBe(before);
  });
});
