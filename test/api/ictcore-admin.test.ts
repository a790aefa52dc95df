import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, basic, type TestDaemon, bearer } from '../helpers/daemon.js';
import { TestSmsc } from '../peers/smsc.js';
import { createServer, type Socket } from 'node:net';

let d: TestDaemon;
let admin: string;
let agent: string;
let agentId: number;
let alice: string;
let aliceId: number;

const login = (username: string, password: string) => bearer(d, username, password);

beforeAll(async () => {
  // No sandbox: the trunks made in the provider test are the only way out. The test SMSC's loopback
  // address is allow-listed for resellers' providers, as an administrator would a private SMSC.
  d = await testDaemon({ sandbox: { enabled: false }, agent_providers: { allow_hosts: ['127.0.0.1'] } });
  d.addUser('root', 'admin', { password: 'root-secret' });
  agentId = d.addUser('reseller', 'agent', { password: 'reseller-secret' }).id;
  aliceId = d.addUser('alice', 'user', { password: 'alice-secret', agent: agentId }).id;
  admin = await login('root', 'root-secret');
  agent = await login('reseller', 'reseller-secret');
  alice = await login('alice', 'alice-secret');
});
afterAll(() => d.close());

describe('ICTCore face: users, roles and permissions', () => {
  it('lets an agent create and manage its own users, and keeps it from others', async () => {
    const r = await d.api('POST', '/users', { auth: agent, body: { username: 'customer1', passwd: 'customer-pass', first_name: 'Cu', email: 'c@example.com', country_id: 'pk', timezone_id: 'Asia/Karachi', company: 'Acme' } });
    expect(r.status, r.text).toBe(200);
    const id = r.json as number;
    expect((await d.api('GET', `/users/${id}`, { auth: agent })).json).toMatchObject({
      user_id: id,
      username: 'customer1',
      country_id: 586,
      country: 'PK',
      timezone_id: 18000,
      timezone: 'Asia/Karachi',
      company: 'Acme',
      role: 'user',
      role_id: 3,
      created_by: agentId,
    });
    expect((await d.api('GET', '/users', { auth: agent })).json.map((u: { username: string }) => u.username).sort()).toEqual(['alice', 'customer1', 'reseller']);
    expect((await d.api('GET', '/users?username=customer1', { auth: agent })).json).toHaveLength(1);
    expect((await d.api('PUT', `/users/${id}`, { auth: agent, body: { last_name: 'Stomer' } })).json.last_name).toBe('Stomer');
    // The new user logs in; a password change ends that token and takes effect on the Basic-auth faces at once.
    const token = await login('customer1', 'customer-pass');
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('customer1', 'customer-pass') })).status).toBe(200);
    expect((await d.api('PUT', `/users/${id}/password`, { auth: agent, body: { password: 'new-password-1' } })).status).toBe(200);
    expect((await d.api('GET', '/contacts', { auth: token })).status).toBe(401);
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('customer1', 'customer-pass') })).status).toBe(401);
    await login('customer1', 'new-password-1');
    // A plain user cannot make users, nor see others.
    expect((await d.api('POST', '/users', { auth: alice, body: { username: 'x1', passwd: 'password-x' } })).status).toBe(403);
    expect((await d.api('GET', `/users/${id}`, { auth: alice })).status).toBe(404);
    expect((await d.api('GET', '/users', { auth: alice })).json.map((u: { username: string }) => u.username)).toEqual(['alice']);
    // Bad input names its field; a taken username is refused.
    expect((await d.api('POST', '/users', { auth: agent, body: { username: 'customer1', passwd: 'password-x' } })).json.error.message).toMatch(/for username: "customer1" is taken/);
    expect((await d.api('POST', '/users', { auth: agent, body: { username: 'x2', passwd: 'short' } })).json.error.message).toMatch(/for passwd/);
    expect((await d.api('POST', '/users', { auth: agent, body: { username: 'x3', passwd: 'password-x', timezone_id: 'Mars/Base' } })).json.error.message).toMatch(/for timezone_id/);
    expect((await d.api('DELETE', `/users/${id}`, { auth: agent })).json).toBe(true);
    expect((await d.api('GET', `/users/${id}`, { auth: agent })).status).toBe(404);
  });

  it('gives roles and permissions that every face enforces', async () => {
    // Roles are the admin's to give.
    expect((await d.api('PUT', `/users/${aliceId}/roles/2`, { auth: agent })).status).toBe(403);
    // Take transmission_create from alice: the ICTCore, v1 and Retarus faces all refuse her sends.
    const pid = 17; // transmission_create, by ICTCore's permission order (db/database.sql)
    const took = await d.api('DELETE', `/users/${aliceId}/permissions/${pid}`, { auth: admin });
    expect(took.status, took.text).toBe(200);
    expect((await d.api('GET', `/users/${aliceId}`, { auth: admin })).json.permissions).toEqual([{ permission_id: 17, name: 'transmission_create', granted: false }]);
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'p', data: 'hi' } })).json;
    const ict = await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570156' } });
    expect(ict.status).toBe(403);
    expect(ict.json.error.message).toMatch(/transmission_create/);
    const v1 = await d.api('POST', '/api/v1/jobs', { auth: basic('alice', 'alice-secret'), body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }] } });
    expect(v1.status).toBe(403);
    expect(v1.json.errors).toMatch(/transmission_create/);
    const retarus = await d.api('POST', '/rest/v1/jobs', { auth: basic('alice', 'alice-secret'), body: { messages: [{ text: 'x', recipients: [{ dst: '+61491570156' }] }] } });
    expect(retarus.status).toBe(403);
    const session = await fetch(`${d.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=alice&password=alice-secret' });
    const { token: ucToken } = (await session.json()) as { token: string };
    const uc = await fetch(`${d.url}/Integra/resources/SMS/SendSMS`, { method: 'POST', headers: { authorization: ucToken, 'content-type': 'application/x-www-form-urlencoded' }, body: 'campaign=c&destination=%2B61491570156&message=x' });
    expect(uc.status).toBe(403);
    expect(await uc.text()).toBe('ERROR');
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('alice', 'alice-secret') })).status).toBe(200); // reading is still allowed
    // Given back (by name too), and a role makes an agent.
    expect((await d.api('PUT', `/users/${aliceId}/permissions/transmission_create`, { auth: admin })).status).toBe(200);
    expect((await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570156' } })).status).toBe(200);
    expect((await d.api('PUT', `/users/${aliceId}/roles/2`, { auth: admin })).json).toMatchObject({ role: 'agent', role_id: 2 });
    expect((await d.api('DELETE', `/users/${aliceId}/roles/2`, { auth: admin })).json).toMatchObject({ role: 'user', role_id: 3 });
    expect((await d.api('PUT', `/users/${aliceId}/roles/9`, { auth: admin })).status).toBe(404);
    expect((await d.api('PUT', `/users/${aliceId}/permissions/999`, { auth: admin })).status).toBe(404);
    // A user who owns work is disabled, not deleted.
    expect((await d.api('DELETE', `/users/${aliceId}`, { auth: admin })).status).toBe(423);
  });
});

describe('ICTCore face: accounts', () => {
  it('stores accounts with settings and programs, changes their owner, and keeps them per tenant', async () => {
    const a = await d.api('POST', '/accounts', { auth: alice, body: { username: 'alice-fax', passwd: 'secret-pw', passwd_pin: '1234', phone: '+61491570100', email: 'fax@example.com', type: 'did' } });
    expect(a.status, a.text).toBe(200);
    const id = a.json as number;
    const got = (await d.api('GET', `/accounts/${id}`, { auth: alice })).json;
    expect(got).toMatchObject({ account_id: id, username: 'alice-fax', phone: '+61491570100', type: 'did', user_id: aliceId, programs: [] });
    expect(JSON.stringify(got)).not.toMatch(/secret-pw|1234|hash/);
    expect((await d.api('PUT', `/accounts/${id}/settings/fax_header`, { auth: alice, body: { value: 'ACME Ltd' } })).json).toBe(true);
    expect((await d.api('GET', `/accounts/${id}/settings/fax_header`, { auth: alice })).json).toBe('ACME Ltd');
    expect((await d.api('DELETE', `/accounts/${id}/settings/fax_header`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/accounts/${id}/settings/fax_header`, { auth: alice })).status).toBe(404);
    const program = (await d.api('POST', '/programs/receivefax', { auth: alice, body: { name: 'inbox', account_id: id } })).json as number;
    expect((await d.api('PUT', `/accounts/${id}/programs/${program}`, { auth: alice })).json.programs).toEqual([program]);
    expect((await d.api('DELETE', `/accounts/${id}/programs/${program}`, { auth: alice })).json.programs).toEqual([]);
    await d.api('PUT', `/accounts/${id}/programs/${program}`, { auth: alice });
    expect((await d.api('DELETE', `/accounts/${id}/programs`, { auth: alice })).json.programs).toEqual([]);
    expect((await d.api('POST', '/accounts', { auth: agent, body: { username: 'alice-fax' } })).json.error.message).toMatch(/is taken/);
    // The reseller hands the account over and takes it back; a free account stays with its maker.
    const mine = (await d.api('POST', '/accounts', { auth: agent, body: { username: 'pool-1', phone: '+61491570101' } })).json as number;
    expect((await d.api('PUT', `/accounts/${mine}/users/${aliceId}`, { auth: agent })).json.user_id).toBe(aliceId);
    expect((await d.api('GET', `/accounts/${mine}`, { auth: alice })).status).toBe(200);
    expect((await d.api('DELETE', `/accounts/${mine}/users`, { auth: agent })).json.user_id).toBeNull();
    expect((await d.api('GET', `/accounts/${mine}`, { auth: alice })).status).toBe(404);
    expect((await d.api('GET', `/accounts/${mine}`, { auth: agent })).status).toBe(200);
    const stranger = d.addUser('stranger', 'user', { password: 'stranger-pw' });
    const s = await login('stranger', 'stranger-pw');
    for (const [m, p] of [
      ['GET', `/accounts/${id}`],
      ['PUT', `/accounts/${id}/settings/x`],
      ['DELETE', `/accounts/${id}`],
    ] as const)
      expect((await d.api(m, p, { auth: s, body: m === 'PUT' ? { value: 'x' } : undefined })).status).toBe(404);
    expect((await d.api('PUT', `/accounts/${mine}/users/${stranger.id}`, { auth: agent })).status).toBe(404);
    expect((await d.api('DELETE', `/accounts/${id}`, { auth: alice })).json).toBe(true);
  });
});

describe('ICTCore face: providers', () => {
  it('adds an SMPP trunk that binds at once, reconfigures it live, weights the choice, and removes it', async () => {
    const smsc = new TestSmsc({ systemId: 'esme', password: 'secret' });
    const port = await smsc.listen();
    try {
      const body = { name: 'trunk-a', type: 'smpp', service_flag: 4, host: '127.0.0.1', port, username: 'esme', password: 'secret', weight: 1, settings: JSON.stringify({ reconnect_min_ms: 50, reconnect_max_ms: 200 }) };
      const r = await d.api('POST', '/providers', { auth: agent, body });
      expect(r.status, r.text).toBe(200);
      const id = r.json as number;
      const health = async () => ((await d.api('GET', '/health')).json.providers as { id: number; up: boolean }[]).find((p) => p.id === id);
      for (let i = 0; i < 200 && !(await health())?.up; i++) await new Promise((res) => setTimeout(res, 25));
      expect((await health())?.up).toBe(true);
      expect(smsc.binds.length).toBeGreaterThan(0);
      const got = (await d.api('GET', `/providers/${id}`, { auth: agent })).json;
      expect(got).toMatchObject({ provider_id: id, name: 'trunk-a', type: 'smpp', gateway_flag: 16, service_flag: 4, weight: 1, created_by: agentId });
      expect(JSON.stringify(got)).not.toContain('secret"');
      // A wrong password: the running daemon rebinds with it and the trunk goes down.
      expect((await d.api('PUT', `/providers/${id}`, { auth: agent, body: { password: 'wrong' } })).status).toBe(200);
      for (let i = 0; i < 200 && (await health())?.up; i++) await new Promise((res) => setTimeout(res, 25));
      expect((await health())?.up).toBe(false);
      expect((await d.api('PUT', `/providers/${id}`, { auth: agent, body: { password: 'secret' } })).status).toBe(200);
      for (let i = 0; i < 200 && !(await health())?.up; i++) await new Promise((res) => setTimeout(res, 25));
      expect((await health())?.up).toBe(true);

      // Weights (ICTCore's: lighter is used more): a second trunk of weight 3 takes about a quarter.
      const b = (await d.api('POST', '/providers', { auth: admin, body: { ...body, name: 'trunk-b', weight: 3 } })).json as number;
      const sandbox = ((await d.api('GET', '/providers?name=sandbox', { auth: admin })).json as { provider_id: number }[])[0]!.provider_id;
      expect((await d.api('PUT', `/providers/${sandbox}`, { auth: admin, body: { active: 0 } })).status).toBe(423); // declared by the config
      for (let i = 0; i < 200 && !((await d.api('GET', '/health')).json.providers as { id: number; up: boolean }[]).find((p) => p.id === b)?.up; i++) await new Promise((res) => setTimeout(res, 25));
      const owner = d.addUser('weigher', 'user');
      const job = await d.api('POST', '/api/v1/jobs', { auth: owner.auth, body: { job_type: 'sms', message: 'w', recipients: Array.from({ length: 400 }, (_, i) => ({ destination: `+6149157${String(2000 + i)}` })) } });
      expect(job.status, job.text).toBe(200);
      await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND status <> 'sending'").get(job.json.data) as { n: number }).n === 400, 15_000);
      const byProvider = Object.fromEntries((d.db.prepare('SELECT provider_id, COUNT(*) AS n FROM attempts WHERE job_id = ? GROUP BY provider_id').all(job.json.data) as { provider_id: number; n: number }[]).map((r) => [r.provider_id, r.n]));
      expect(Object.keys(byProvider).map(Number).sort()).toEqual([id, b].sort());
      // Expected 300 : 100 (1000 : 333); five standard deviations either side.
      expect(byProvider[id]).toBeGreaterThan(255);
      expect(byProvider[b]).toBeGreaterThan(55);
      expect(byProvider[b]).toBeLessThan(145);

      // Tenancy: a user sees no trunks; the agent does not see the admin's.
      expect((await d.api('GET', '/providers', { auth: alice })).json).toEqual([]);
      expect((await d.api('GET', `/providers/${b}`, { auth: agent })).status).toBe(404);
      expect((await d.api('POST', '/providers', { auth: alice, body })).status).toBe(403);
      // Bad input names its field.
      expect((await d.api('POST', '/providers', { auth: agent, body: { ...body, name: 'trunk-c', port: 70000 } })).json.error.message).toMatch(/for port/);
      expect((await d.api('POST', '/providers', { auth: agent, body: { ...body, name: 'trunk-a' } })).json.error.message).toMatch(/is taken/);
      expect((await d.api('POST', '/providers', { auth: agent, body: { ...body, name: 'trunk-d', settings: '{nope' } })).json.error.message).toMatch(/for settings/);
      // Removed: unbound and gone from the pool.
      const unbinds = smsc.unbinds;
      expect((await d.api('DELETE', `/providers/${id}`, { auth: agent })).json).toBe(true);
      expect(await health()).toBeUndefined();
      expect(smsc.unbinds).toBeGreaterThan(unbinds);
    } finally {
      await smsc.close();
    }
  }, 40_000);
  it("keeps a reseller's providers off internal addresses unless allow-listed, and refuses host names it could re-resolve", async () => {
    // A listener on a loopback address that is not allow-listed: the daemon must never connect to it.
    const sockets: Socket[] = [];
    const trap = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => trap.listen(0, '127.0.0.2', r));
    const port = (trap.address() as { port: number }).port;
    try {
      const before = d.db.prepare('SELECT id, host FROM providers ORDER BY id').all();
      const body = (name: string, host: string, type = 'smpp') => ({ name, type, service_flag: 4, host, port, username: 'esme', password: 'secret' });
      for (const [host, why] of [
        ['127.0.0.2', /host: 127\.0\.0\.2 is a loopback address/],
        ['10.1.2.3', /host: 10\.1\.2\.3 is a private address/],
        ['169.254.169.254', /host: 169\.254\.169\.254 is a linkLocal address/],
        ['0.0.0.0', /host: 0\.0\.0\.0 is a unspecified address/],
        ['::1', /host: ::1 is a loopback address/],
        ['::ffff:127.0.0.2', /host: .*loopback/],
        ['localhost', /host: .*IP address, not a name/],
        ['smsc.example.com', /host: .*IP address, not a name/],
        ['2130706434', /host: .*IP address, not a name/],
      ] as const) {
        for (const type of ['smpp', 'kannel']) {
          const r = await d.api('POST', '/providers', { auth: agent, body: body(`evil-${type}-${host.replace(/[^A-Za-z0-9]/g, '_')}`, host, type) });
          expect(r.status, `${type} ${host}`).toBe(412);
          expect(r.json.error.message).toMatch(/Data validation failed, for host: /);
          expect(r.json.error.message).toMatch(why);
        }
      }
      // Nor make the daemon read a file of its choosing.
      const ca = await d.api('POST', '/providers', { auth: agent, body: { ...body('evil-ca', '127.0.0.1'), settings: JSON.stringify({ tls: true, tls_ca_file: '/etc/shadow' }) } });
      expect(ca.status).toBe(412);
      expect(ca.json.error.message).toMatch(/for settings\.tls_ca_file: only an administrator sets it/);
      // Nor can it move an allowed provider there.
      const ok = await d.api('POST', '/providers', { auth: agent, body: { ...body('reseller-ok', '127.0.0.1'), settings: JSON.stringify({ reconnect_min_ms: 50, reconnect_max_ms: 200 }) } });
      expect(ok.status, ok.text).toBe(200);
      const moved = await d.api('PUT', `/providers/${ok.json}`, { auth: agent, body: { host: '127.0.0.2' } });
      expect(moved.status).toBe(412);
      expect(moved.json.error.message).toMatch(/host: 127\.0\.0\.2 is a loopback address/);
      expect((d.db.prepare('SELECT host FROM providers WHERE id = ?').get(ok.json) as { host: string }).host).toBe('127.0.0.1');
      await new Promise((r) => setTimeout(r, 300));
      expect(sockets).toHaveLength(0);
      expect(d.db.prepare('SELECT id, host FROM providers WHERE id <> ? ORDER BY id').all(ok.json)).toEqual(before);
      // An administrator may use any host, and its provider does connect there.
      const mine = await d.api('POST', '/providers', { auth: admin, body: { ...body('admin-internal', '127.0.0.2'), settings: JSON.stringify({ reconnect_min_ms: 50, reconnect_max_ms: 200 }) } });
      expect(mine.status, mine.text).toBe(200);
      await d.waitFor(() => sockets.length > 0);
      for (const id of [ok.json, mine.json]) expect((await d.api('DELETE', `/providers/${id}`, { auth: admin })).status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => trap.close(r));
    }
  });
});

describe('v1 API: user_list_ids are ICTCore groups', () => {
  it("sends to a group's contacts with their fields merged, and refuses another user's list", async () => {
    const bob = d.addUser('bob', 'user', { password: 'bob-secret' });
    const bobToken = await login('bob', 'bob-secret');
    const g = (await d.api('POST', '/groups', { auth: bobToken, body: { name: 'list' } })).json as number;
    await d.api('POST', `/groups/${g}/csv`, { auth: bobToken, raw: 'first_name,phone\nAnn,+61491573001\nBen,+61491573002\nNoPhone,\n', headers: { 'content-type': 'text/csv' } });
    const r = await d.api('POST', '/api/v1/jobs', { auth: bob.auth, body: { job_type: 'sms', message: 'Hi %%first_name%%', user_list_ids: String(g), recipients: [{ destination: '+61491573003' }] } });
    expect(r.status, r.text).toBe(200);
    const rows = d.db.prepare('SELECT destination, name, contact_id FROM recipients WHERE job_id = ? ORDER BY seq').all(r.json.data) as { destination: string; name: string | null; contact_id: number | null }[];
    // The seed: "If both are included, the message will be sent to the uploaded user lists, and the recipient array will be ignored."
    expect(rows.map((x) => x.destination)).toEqual(['+61491573001', '+61491573002']);
    expect(rows[0]).toMatchObject({ name: 'Ann', contact_id: expect.any(Number) });
    const other = await d.api('POST', '/api/v1/jobs', { auth: basic('alice', 'alice-secret'), body: { job_type: 'sms', message: 'x', user_list_ids: [g] } });
    expect(other.status).toBe(422);
    expect(other.json.errors).toMatch(new RegExp(`user_list_ids: list ${g} not found`));
  });
});
