import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

// Seed 000's create requests (the second made valid JSON: its trailing comma removed).
const seedNewCompany = {
  user_code: 'au/mytestuser',
  password: 'Test Password',
  first_name: 'Jane',
  last_name: 'Smith',
  email: 'jsmith@test.com',
  fax: '6987654321',
  mobile: '6123456789',
  account_type: 'Acct',
  agree_spam_policy: true,
  company: { name: 'test company', abn: '123456789', address: '123 test st', suburb: 'testville', state: 'NSW', postcode: '2345', country: 'Australia' },
};
const seedJoinCompany = (companyId: number) => ({
  user_code: 'au/mytestuser2',
  company_id: companyId,
  password: 'Test Password',
  first_name: 'Jane',
  last_name: 'Smith',
  email: 'jsmith@test.com',
  fax: '6987654321',
  mobile: '6123456789',
  account_type: 'Acct',
  agree_spam_policy: true,
});

describe('v1 users', () => {
  it('creates users with a new or an existing company, shows the full record, and never the password', async () => {
    d = await testDaemon();
    const admin = d.addUser('boss', 'admin');
    const r = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: seedNewCompany });
    expect(r.json).toEqual({ status: 200, data: expect.any(Number) });
    const got = await d.api('GET', `/api/v1/users/${r.json.data}`, { auth: admin.auth });
    expect(got.status).toBe(200);
    expect(got.json.data).toMatchObject({
      user_id: r.json.data,
      user_code: 'au/mytestuser',
      first_name: 'Jane',
      email: 'jsmith@test.com',
      mobile: '6123456789',
      account_type: 'Acct',
      agree_spam_policy: true,
      user_live: true,
      receive_reports: false,
      fax_header_text: null,
    });
    expect(got.json.data.company).toMatchObject({ company_id: expect.any(Number), name: 'test company', abn: '123456789', state: 'NSW', billing_contact_email: null });
    expect(got.text).not.toMatch(/password|scrypt/i);
    const hash = (d.db.prepare('SELECT password_hash FROM users WHERE id = ?').get(r.json.data) as { password_hash: string }).password_hash;
    expect(hash).not.toContain('Test Password');
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('au/mytestuser', 'Test Password') })).status).toBe(200);
    const joined = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: seedJoinCompany(got.json.data.company.company_id) });
    expect((await d.api('GET', `/api/v1/users/${joined.json.data}`, { auth: admin.auth })).json.data.company.name).toBe('test company');
    expect(await d.api('POST', '/api/v1/users', { auth: admin.auth, body: seedNewCompany })).toMatchObject({ status: 422, json: { status: 422, errors: 'Validation failed: The user_code has already been taken.' } });
    for (const [body, pattern] of [
      [{ ...seedNewCompany, user_code: 'x1', colour: 'red' }, /unknown field "colour"/],
      [{ ...seedNewCompany, user_code: 'x2', password: 'short' }, /password: at least 8/],
      [{ ...seedNewCompany, user_code: 'x3', email: 'not-mail' }, /email/],
      [{ ...seedJoinCompany(99999), user_code: 'x4' }, /company_id: no such company/],
      [{ ...seedNewCompany, user_code: 'x5', timezone: 'Mars/Olympus' }, /timezone/],
    ] as const) {
      const bad = await d.api('POST', '/api/v1/users', { auth: admin.auth, body });
      expect(bad.status).toBe(422);
      expect(bad.json.errors).toMatch(pattern);
    }
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM users WHERE user_code LIKE 'x%'`).get()).toEqual({ n: 0 });
  });

  it("lists users by visibility, with partial user_code matches and the seed's pagination", async () => {
    d = await testDaemon();
    const admin = d.addUser('boss', 'admin');
    const agent = d.addUser('agent7', 'agent');
    const other = d.addUser('agent8', 'agent');
    for (const code of ['au/jon1', 'au/jonathan', 'au/mary']) await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: code, password: 'password-123' } });
    await d.api('POST', '/api/v1/users', { auth: other.auth, body: { user_code: 'au/jonas', password: 'password-123' } });
    const mine = await d.api('GET', '/api/v1/users?user_code=jon', { auth: agent.auth });
    expect(mine.json.data.map((u: any) => u.user_code)).toEqual(['au/jon1', 'au/jonathan']);
    expect(mine.json.data.every((u: any) => u.agent_id === agent.id)).toBe(true);
    expect(mine.json).toMatchObject({ status: 200, current_page: 1, total: 2, per_page: 10, last_page: 1 });
    expect(Object.keys(mine.json)).toEqual(expect.arrayContaining(['first_page_url', 'from', 'last_page_url', 'links', 'next_page_url', 'path', 'prev_page_url', 'to']));
    const all = await d.api('GET', '/api/v1/users?user_code=jon&page_size=2&page=2', { auth: admin.auth });
    expect(all.json).toMatchObject({ total: 3, current_page: 2, last_page: 2 });
    expect(all.json.data.map((u: any) => u.user_code)).toEqual(['au/jonas']);
    const self = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'au/solo', password: 'password-123' } });
    const solo = basic('au/solo', 'password-123');
    const only = await d.api('GET', '/api/v1/users', { auth: solo });
    expect(only.json).toEqual({ status: 200, data: expect.objectContaining({ user_id: self.json.data, user_code: 'au/solo' }) });
    expect((await d.api('GET', `/api/v1/users/${agent.id}`, { auth: solo })).status).toBe(403);
    expect((await d.api('GET', `/api/v1/users/${other.id}`, { auth: agent.auth })).status).toBe(403);
    expect((await d.api('POST', '/api/v1/users', { auth: solo, body: { user_code: 'au/new', password: 'password-123' } })).status).toBe(403);
    expect((await d.api('GET', '/api/v1/users/99999', { auth: admin.auth })).status).toBe(404);
    expect((await d.api('GET', '/api/v1/users?page_size=0', { auth: admin.auth })).status).toBe(422);
  });

  it('updates users partially, within what the caller may edit; a new password takes effect at once', async () => {
    d = await testDaemon();
    const agent = d.addUser('agent7', 'agent');
    const other = d.addUser('agent8', 'agent');
    const id = (await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: 'au/u1', password: 'password-123', email: 'old@test.com', phone: '0311111111' } })).json.data;
    const u1 = basic('au/u1', 'password-123');
    expect((await d.api('GET', '/api/v1/jobs', { auth: u1 })).status).toBe(200);
    expect(await d.api('PUT', `/api/v1/users/${id}`, { auth: agent.auth, body: { email: 'mynewemail@test.com', phone: '6876765654' } })).toMatchObject({ json: { status: 200, data: id } });
    expect((await d.api('GET', `/api/v1/users/${id}`, { auth: u1 })).json.data).toMatchObject({ email: 'mynewemail@test.com', phone: '6876765654', user_code: 'au/u1' });
    expect((await d.api('PUT', `/api/v1/users/${id}`, { auth: other.auth, body: { email: 'x@test.com' } })).status).toBe(403);
    expect((await d.api('PUT', `/api/v1/users/${id}`, { auth: u1, body: { user_code: 'agent8' } })).json.errors).toBe('Validation failed: The user_code has already been taken.');
    expect((await d.api('PUT', `/api/v1/users/${id}`, { auth: u1, body: { password: 'new-password-456' } })).status).toBe(200);
    expect((await d.api('GET', '/api/v1/jobs', { auth: u1 })).status).toBe(401);
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('au/u1', 'new-password-456') })).status).toBe(200);
    expect((await d.api('PUT', `/api/v1/users/${id}`, { auth: agent.auth, body: { user_live: false } })).status).toBe(200);
    expect((await d.api('GET', '/api/v1/jobs', { auth: basic('au/u1', 'new-password-456') })).status).toBe(401);
  });
  it("lets a user join only its own company, an agent its users' companies, an admin any; a refusal changes nothing", async () => {
    d = await testDaemon();
    const admin = d.addUser('boss', 'admin');
    const agent = d.addUser('agent7', 'agent');
    const victimCo = (await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'victim', password: 'password-123', company: { name: 'Victim Pty', abn: '99 999 999 999', billing_contact_email: 'billing@victim.example' } } })).json
      .data;
    const victimCompany = (await d.api('GET', `/api/v1/users/${victimCo}`, { auth: admin.auth })).json.data.company.company_id as number;
    const mine = (await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: 'cust1', password: 'password-123', company: { name: 'Cust One' } } })).json.data;
    const custCompany = (await d.api('GET', `/api/v1/users/${mine}`, { auth: agent.auth })).json.data.company.company_id as number;
    const cust = basic('cust1', 'password-123');
    const before = d.db.prepare('SELECT id, company_id, updated_at FROM users ORDER BY id').all();
    // A plain user cannot move itself into another company, and so never reads its ABN or billing e-mail.
    const self = await d.api('PUT', `/api/v1/users/${mine}`, { auth: cust, body: { company_id: victimCompany, email: 'cust@test.com' } });
    expect(self).toMatchObject({ status: 422, json: { status: 422, errors: expect.stringMatching(/company_id/) } });
    const after = await d.api('GET', `/api/v1/users/${mine}`, { auth: cust });
    expect(after.json.data.company).toMatchObject({ company_id: custCompany, name: 'Cust One' });
    expect(after.text).not.toMatch(/billing@victim|999 999/);
    // Nor can an agent create or move its users there.
    const made = await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: 'cust2', password: 'password-123', company_id: victimCompany } });
    expect(made).toMatchObject({ status: 422, json: { errors: expect.stringMatching(/company_id/) } });
    expect((await d.api('PUT', `/api/v1/users/${mine}`, { auth: agent.auth, body: { company_id: victimCompany } })).status).toBe(422);
    expect(d.db.prepare('SELECT id, company_id, updated_at FROM users ORDER BY id').all()).toEqual(before);
    expect(d.db.prepare(`SELECT 1 FROM users WHERE user_code = 'cust2'`).get()).toBeUndefined();
    // What is allowed still works: one's own company, an agent's users' companies, an admin anywhere.
    expect((await d.api('PUT', `/api/v1/users/${mine}`, { auth: cust, body: { company_id: custCompany } })).status).toBe(200);
    const cust3 = await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: 'cust3', password: 'password-123', company_id: custCompany } });
    expect(cust3.status).toBe(200);
    expect(await d.api('PUT', `/api/v1/users/${mine}`, { auth: admin.auth, body: { company_id: victimCompany } })).toMatchObject({ status: 200 });
    expect((d.db.prepare('SELECT company_id FROM users WHERE id = ?').get(mine) as { company_id: number }).company_id).toBe(victimCompany);
  });
});
