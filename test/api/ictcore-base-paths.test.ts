import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';
import { loadConfig } from '../../dist/config/load.js';

// Issue 18: the ICTCore face at ICTCore's own /api and at the site root by default, as one face (one
// token, one set of rows, one campaign runner), beside the other faces, each still answering its own.
let d: TestDaemon;
let admin: { id: number; auth: string };

const login = async (base: string, username: string, password: string) => {
  const r = await d.api('POST', `${base}/authenticate`, { body: { username, password } });
  expect(r.status, r.text).toBe(200);
  return `Bearer ${r.json.token as string}`;
};
/** The status of a WebSocket upgrade to `path` (101 when it opens). */
const upgrade = (path: string, auth?: string) =>
  new Promise<number>((resolve) => {
    const ws = new WebSocket(d.url.replace('http', 'ws') + path, auth ? { headers: { authorization: auth } } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });

beforeAll(async () => {
  d = await testDaemon();
  admin = d.addUser('paths-admin', 'admin', { password: 'paths-admin-pw' });
  d.addUser('paths-alice', 'user', { password: 'paths-alice-pw' });
});
afterAll(() => d.close());

describe('ICTCore at /api and at /', () => {
  it('is served at both by default', () => {
    const config = loadConfig({ env: {} });
    expect(config.ictcore.base_paths).toEqual(['/api', '/']);
    expect(config.ictcore.base_path).toBeNull();
  });

  it('takes a token from either path on the other', async () => {
    for (const [from, to] of [
      ['/api', ''],
      ['', '/api'],
    ]) {
      const token = await login(from!, 'paths-alice', 'paths-alice-pw');
      const r = await d.api('GET', `${to}/contacts`, { auth: token });
      expect(r.status, `${from} → ${to}: ${r.text}`).toBe(200);
      expect(Array.isArray(r.json)).toBe(true);
    }
  });

  it('reads under / what was made under /api, and the other way', async () => {
    const token = await login('/api', 'paths-alice', 'paths-alice-pw');
    const text = await d.api('POST', '/api/messages/texts', { auth: token, body: { name: 't', data: 'hello' } });
    const program = await d.api('POST', '/api/programs/sendsms', { auth: token, body: { name: 'p', text_id: text.json } });
    const made = await d.api('POST', '/api/transmissions', { auth: token, body: { program_id: program.json, phone: '+61491570156' } });
    expect(made.status, made.text).toBe(200);
    const read = await d.api('GET', `/transmissions/${made.json}`, { auth: token });
    expect(read.status, read.text).toBe(200);
    expect(read.json).toMatchObject({ transmission_id: made.json, program_id: program.json, phone: '+61491570156' });
    const back = await d.api('POST', '/contacts', { auth: token, body: { first_name: 'B', phone: '+61491570157' } });
    expect((await d.api('GET', `/api/contacts/${back.json}`, { auth: token })).json).toMatchObject({ contact_id: back.json, phone: '+61491570157' });
  });

  it('starts a campaign once when starts arrive at both paths at once (one runner for the face)', async () => {
    const token = await login('', 'paths-alice', 'paths-alice-pw');
    const text = await d.api('POST', '/messages/texts', { auth: token, body: { name: 'c', data: 'hi' } });
    const program = await d.api('POST', '/programs/sendsms', { auth: token, body: { name: 'cp', text_id: text.json } });
    const group = await d.api('POST', '/groups', { auth: token, body: { name: 'g' } });
    for (const phone of ['+61491570160', '+61491570161']) {
      const c = await d.api('POST', '/contacts', { auth: token, body: { phone } });
      await d.api('PUT', `/contacts/${c.json}/link/${group.json}`, { auth: token });
    }
    // A slow pace keeps the run open: a second start finds it running.
    const campaign = await d.api('POST', '/campaigns', { auth: token, body: { program_id: program.json, group_id: group.json, cpm: 1 } });
    expect(campaign.status, campaign.text).toBe(200);
    const starts = await Promise.all(['/api', '', '/api', ''].map((base) => d.api('PUT', `${base}/campaigns/${campaign.json}/start`, { auth: token })));
    expect(starts.map((s) => s.status).sort()).toEqual([200, 423, 423, 423]);
    const jobs = d.db.prepare('SELECT count(*) AS n FROM jobs WHERE campaign_id = ?').get(campaign.json) as { n: number };
    expect(jobs.n).toBe(1);
  });
});

describe('every face answers its own paths on a default daemon', () => {
  it('answers each prefix in its own envelope', async () => {
    // No credentials: each face's 401, in its format.
    const ict = await d.api('GET', '/api/programs');
    expect(ict.status).toBe(401);
    expect(ict.json).toMatchObject({ error: { code: 401 } });
    expect((await d.api('GET', '/programs')).json).toMatchObject({ error: { code: 401 } });
    const v1 = await d.api('GET', '/api/v1/jobs');
    expect(v1.status).toBe(401);
    expect(v1.json).toMatchObject({ status: 401, errors: expect.anything() });
    const retarus = await d.api('GET', '/rest/v1/jobs/x');
    expect(retarus.status).toBe(401);
    expect(retarus.json?.error?.code).toBeUndefined();

    // With credentials: each face's own answer.
    const v1Users = await d.api('GET', '/api/v1/users', { auth: admin.auth });
    expect(v1Users.status, v1Users.text).toBe(200);
    expect(v1Users.json).toMatchObject({ path: '/api/v1/users' });
    expect((await d.api('GET', '/api/users', { auth: admin.auth })).status).toBe(200);
    expect(Array.isArray((await d.api('GET', '/api/users', { auth: admin.auth })).json)).toBe(true);
    const health = await d.api('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ pid: expect.any(Number), storage: 'ok' });
  });

  it("answers an unknown path under /api in ICTCore's envelope, under /api/v1 in the v1 API's", async () => {
    for (const path of ['/api/nothing', '/api/v2/jobs', '/api/', '/api', '/nothing']) {
      const r = await d.api('GET', path, { auth: admin.auth });
      expect(r.status, path).toBe(404);
      expect(r.json, path).toMatchObject({ error: { code: 404, message: expect.stringContaining('no API at') } });
    }
    for (const path of ['/api/v1/nothing', '/api/v1/', '/api/v1']) {
      const v1 = await d.api('GET', path, { auth: admin.auth });
      expect(v1.status, path).toBe(404);
      expect(v1.json, path).toEqual({ status: 404, errors: 'Not found' });
    }
    const retarus = await d.api('GET', '/rest/v1/nothing', { auth: admin.auth });
    expect(retarus.status).toBe(404);
    expect(retarus.json?.error?.code).toBeUndefined();
    for (const path of ['/Integra/resources/nothing', '/IntegraChannels/resources/nothing']) {
      const r = await d.api('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.json?.error?.code, path).toBeUndefined();
    }
  });

  it('answers a path that is not percent-encoding in the envelope of the face it falls under', async () => {
    const ict = await d.api('GET', '/api/contacts/%zz');
    expect(ict.status).toBe(400);
    expect(ict.json).toMatchObject({ error: { code: 400 } });
    const v1 = await d.api('GET', '/api/v1/jobs/%zz');
    expect(v1.status).toBe(400);
    expect(v1.json).toMatchObject({ status: 400, errors: expect.any(String) });
  });

  it("answers a bad body in ICTCore's 412 at both paths", async () => {
    const token = await login('/api', 'paths-alice', 'paths-alice-pw');
    for (const base of ['/api', '']) {
      const r = await d.api('POST', `${base}/contacts`, { auth: token, body: { first_name: 'no phone or e-mail' } });
      expect(r.status, base).toBe(412);
      expect(r.json.error.message, base).toContain('Data validation failed');
    }
  });

  it('keeps the live stream at /stream (not under /api)', async () => {
    expect(await upgrade('/stream', basic('paths-alice', 'paths-alice-pw'))).toBe(101);
    expect(await upgrade('/stream')).toBe(401);
    expect(await upgrade('/api/stream', basic('paths-alice', 'paths-alice-pw'))).toBe(404);
  });
});

describe('the paths in the config', () => {
  const load =
    (ictcore: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    () =>
      loadConfig({ env: {}, overrides: { ictcore, ...more } });
  it('takes the older base_path alone', () => {
    expect(load({ base_path: '/ictcore' })().ictcore).toMatchObject({ base_path: '/ictcore' });
    expect(load({ base_paths: ['/api'] })().ictcore.base_paths).toEqual(['/api']);
    // From the environment too, the list as JSON, the older key as a bare path.
    expect(loadConfig({ env: { SWITCHPOST_ICTCORE_BASE_PATHS: '["/ict"]' } }).ictcore.base_paths).toEqual(['/ict']);
    expect(loadConfig({ env: { SWITCHPOST_ICTCORE_BASE_PATH: '/old' } }).ictcore.base_path).toBe('/old');
  });
  it("refuses a path at or under another face's, one given twice, or both keys", () => {
    expect(load({ base_paths: ['/api/v1'] })).toThrow(/ictcore\.base_paths\.0: \/api\/v1 is \/api\/v1 \(the v1 API\)/);
    expect(load({ base_paths: ['/', '/rest/v1/x'] })).toThrow(/ictcore\.base_paths\.1: .*Retarus/);
    expect(load({ base_paths: ['/Integra/resources'] })).toThrow(/uContact/);
    expect(load({ base_paths: ['/health'] })).toThrow(/the daemon/);
    expect(load({ base_paths: ['/api', '/api/'] })).toThrow(/given twice/);
    expect(load({ base_path: '/x', base_paths: ['/y'] })).toThrow(/not both/);
    // A face that is off leaves its path free.
    expect(load({ base_paths: ['/rest/v1'] }, { retarus: { enabled: false } })().ictcore.base_paths).toEqual(['/rest/v1']);
  });
  it('serves the older base_path alone', async () => {
    const one = await testDaemon({ ictcore: { base_path: '/ictcore' } });
    try {
      one.addUser('solo', 'user', { password: 'solo-password' });
      expect((await one.api('POST', '/ictcore/authenticate', { body: { username: 'solo', password: 'solo-password' } })).status).toBe(200);
      expect((await one.api('POST', '/api/authenticate', { body: { username: 'solo', password: 'solo-password' } })).status).toBe(404);
      expect((await one.api('POST', '/authenticate', { body: { username: 'solo', password: 'solo-password' } })).status).toBe(404);
    } finally {
      await one.close();
    }
  });
});
