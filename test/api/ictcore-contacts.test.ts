import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

let d: TestDaemon;
let alice: string;
let bob: string;
let admin: string;

const login = (username: string, password: string) => bearer(d, username, password);

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('alice', 'user', { password: 'alice-secret' });
  d.addUser('bob', 'user', { password: 'bob-secret' });
  d.addUser('root', 'admin', { password: 'root-secret' });
  alice = await login('alice', 'alice-secret');
  bob = await login('bob', 'bob-secret');
  admin = await login('root', 'root-secret');
});
afterAll(() => d.close());

describe('ICTCore face: authentication', () => {
  it("answers the user and its token, in OAuth's words too", async () => {
    const r = await d.api('POST', '/authenticate', { body: { username: 'alice', password: 'alice-secret' } });
    expect(r.json).toMatchObject({ username: 'alice', token_type: 'Bearer', token: expect.any(String), access_token: r.json.token, expires_in: 365 * 86_400 });
  });

  it('takes the token in Authorization or Authentication, and refuses what is missing, forged, expired or outdated', async () => {
    expect((await d.api('GET', '/contacts', { auth: alice })).status).toBe(200);
    expect((await d.api('GET', '/contacts', { headers: { authentication: alice } })).status).toBe(200);
    const none = await d.api('GET', '/contacts');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ error: { code: 401, message: expect.stringMatching(/^Unauthorized: send Authorization: Bearer/) } });
    // A token signed with another key, and one whose signature was altered.
    const forged = 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwiaXNzIjoic3dpdGNocG9zdCJ9.' + 'A'.repeat(43);
    expect((await d.api('GET', '/contacts', { auth: forged })).status).toBe(401);
    const none256 = 'Bearer ' + Buffer.from('{"alg":"none"}').toString('base64url') + '.' + Buffer.from('{"sub":"1","iss":"switchpost"}').toString('base64url') + '.';
    expect((await d.api('GET', '/contacts', { auth: none256 })).status).toBe(401);
    expect((await d.api('GET', '/contacts', { auth: alice.slice(0, -3) + 'xyz' })).status).toBe(401);
    expect((await d.api('POST', '/authenticate', { body: { username: 'alice', password: 'wrong' } })).status).toBe(401);
    expect((await d.api('POST', '/authenticate', { body: { password: 'x' } })).json.error.message).toMatch(/No valid username/);
    // A password change ends the tokens issued before it.
    const carol = d.addUser('carol', 'user', { password: 'carol-secret' });
    const token = await login('carol', 'carol-secret');
    d.db.prepare("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE user_code = 'bob') WHERE id = ?").run(carol.id);
    expect((await d.api('GET', '/contacts', { auth: token })).status).toBe(401);
  });

  it('answers an unknown path 404 in its own error format', async () => {
    const r = await d.api('GET', '/nothing-here', { auth: alice });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe(404);
  });
});

describe('ICTCore face: contacts', () => {
  it('creates, reads, lists with filters, updates and deletes (DELETE and GET …/delete)', async () => {
    const c = await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Ayesha', last_name: 'Khan', phone: '+923001234567', email: 'a@example.com', custom1: 'gold' } });
    expect(c.status, c.text).toBe(200);
    expect(c.json).toBeTypeOf('number');
    const id = c.json as number;
    const got = await d.api('GET', `/contacts/${id}`, { auth: alice });
    expect(got.json).toMatchObject({ contact_id: id, first_name: 'Ayesha', last_name: 'Khan', phone: '+923001234567', email: 'a@example.com', custom1: 'gold', custom2: null });
    await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'John', phone: 61491570156 } });
    expect((await d.api('GET', '/contacts', { auth: alice })).json).toHaveLength(2);
    const filtered = await d.api('GET', '/contacts?custom1=gold', { auth: alice });
    expect(filtered.json.map((x: { contact_id: number }) => x.contact_id)).toEqual([id]);
    expect((await d.api('GET', '/contacts?phone=61491570156', { auth: alice })).json[0]).toMatchObject({ first_name: 'John' });
    // A field no list knows is ignored, as ICTCore's search does; a known one's bad value is a 412.
    const unknown = await d.api('GET', '/contacts?colour=red', { auth: alice });
    expect(unknown.status).toBe(200);
    expect(unknown.json).toHaveLength(2);
    const bad = await d.api('GET', `/contacts?phone=${'9'.repeat(201)}`, { auth: alice });
    expect(bad.status).toBe(412);
    expect(bad.json.error.message).toMatch(/for phone: expected one value/);
    const put = await d.api('PUT', `/contacts/${id}`, { auth: alice, body: { last_name: 'Malik', custom1: '' } });
    expect(put.json).toMatchObject({ contact_id: id, first_name: 'Ayesha', last_name: 'Malik', custom1: null });
    expect((await d.api('GET', `/contacts/${id}/delete`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/contacts/${id}`, { auth: alice })).status).toBe(404);
    expect((await d.api('DELETE', `/contacts/${id}`, { auth: alice })).status).toBe(404);
  });

  it('refuses bad input with 412 naming the field, and stores nothing', async () => {
    const before = (await d.api('GET', '/contacts', { auth: alice })).json.length;
    const cases: [unknown, RegExp][] = [
      [{ first_name: 'X', phone: 'call me' }, /for phone: not a phone number/],
      [{ first_name: 'X', email: 'not-an-address' }, /for email: not an e-mail/],
      [{ first_name: 'X' }, /for phone: a contact needs a phone, mobile or fax number, or an e-mail/],
      [{ first_name: 'X'.repeat(101), phone: '+61491570156' }, /for first_name: at most 100/],
    ];
    for (const [body, pattern] of cases) {
      const r = await d.api('POST', '/contacts', { auth: alice, body });
      expect(r.status).toBe(412);
      expect(r.json.error.message).toMatch(pattern);
    }
    expect((await d.api('POST', '/contacts', { auth: alice, raw: '{"first_name":' })).status).toBe(412);
    expect((await d.api('GET', '/contacts', { auth: alice })).json).toHaveLength(before);
  });

  it('keeps tenants apart: another user can neither read, change nor delete a contact; an admin can', async () => {
    const id = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Private', phone: '+61491570157' } })).json as number;
    for (const [method, path, body] of [
      ['GET', `/contacts/${id}`],
      ['PUT', `/contacts/${id}`, { first_name: 'Hacked' }],
      ['DELETE', `/contacts/${id}`],
      ['GET', `/contacts/${id}/delete`],
    ] as const) {
      const r = await d.api(method, path, { auth: bob, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    expect((await d.api('GET', '/contacts', { auth: bob })).json.some((c: { contact_id: number }) => c.contact_id === id)).toBe(false);
    expect((await d.api('GET', `/contacts/${id}`, { auth: alice })).json.first_name).toBe('Private');
    expect((await d.api('GET', `/contacts/${id}`, { auth: admin })).json.first_name).toBe('Private');
  });
});

describe('ICTCore face: groups and CSV', () => {
  it("creates groups, links contacts, lists a group's contacts, and refuses another tenant's group", async () => {
    const g = (await d.api('POST', '/groups', { auth: alice, body: { name: 'VIP', description: 'best customers' } })).json as number;
    const c = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Linked', phone: '+61491570158' } })).json as number;
    expect((await d.api('PUT', `/contacts/${c}/link/${g}`, { auth: alice })).json).toMatchObject({ contact_id: c });
    expect((await d.api('GET', `/groups/${g}`, { auth: alice })).json).toMatchObject({ group_id: g, name: 'VIP', contact_total: 1 });
    expect((await d.api('GET', `/groups/${g}/contacts`, { auth: alice })).json.map((x: { contact_id: number }) => x.contact_id)).toEqual([c]);
    expect((await d.api('PUT', `/contacts/${c}/link/${g}`, { auth: bob })).status).toBe(404);
    expect((await d.api('GET', `/groups/${g}/contacts`, { auth: bob })).status).toBe(404);
    expect((await d.api('PUT', `/groups/${g}`, { auth: alice, body: { name: 'VIPs' } })).json.name).toBe('VIPs');
    expect((await d.api('PUT', `/groups/${g}`, { auth: alice, body: { name: '' } })).status).toBe(412);
    expect((await d.api('DELETE', `/contacts/${c}/link/${g}`, { auth: alice })).status).toBe(200);
    expect((await d.api('GET', `/groups/${g}`, { auth: alice })).json.contact_total).toBe(0);
    expect((await d.api('DELETE', `/groups/${g}`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/contacts/${c}`, { auth: alice })).status).toBe(200); // the contact stays
  });

  it('imports a CSV (rejected rows reported by line), exports it back, and offers a sample', async () => {
    const g = (await d.api('POST', '/groups', { auth: alice, body: { name: 'Imported' } })).json as number;
    const sample = await d.api('GET', '/groups/sample/csv', { auth: alice });
    expect(sample.status).toBe(200);
    // ICTCore's own format: no header, phone first, every field quoted.
    expect(sample.text.split('\n')[0]).toBe('"+923001234567","Ayesha","Khan","ayesha@example.com","Lahore","gold","","","imported from CSV"');
    const csv = ['First Name,phone,email,custom1', 'Ann,+61491570160,,"a, quoted"', 'Bad,not a number,,', 'Cat,,cat@example.com,', '', 'Dan,+61491570161,,"multi', 'line"'].join('\n');
    const r = await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ imported: 3, rejected_total: 1, rejected: [{ line: 3, error: expect.stringMatching(/^phone: not a phone number/) }] });
    const out = await d.api('GET', `/groups/${g}/csv`, { auth: alice });
    expect(out.text.startsWith('"+61491570160","Ann","","","","a, quoted","","",""\n')).toBe(true);
    expect(out.text).toContain('"multi\nline"');
    // Exported rows import back (headerless, ICTCore's order) as the same contacts.
    const again = (await d.api('POST', '/groups', { auth: alice, body: { name: 'Round trip' } })).json as number;
    expect((await d.api('POST', `/groups/${again}/csv`, { auth: alice, raw: out.text, headers: { 'content-type': 'text/csv' } })).json).toMatchObject({ imported: 3, rejected_total: 0 });
    expect((await d.api('GET', `/groups/${again}/csv`, { auth: alice })).text).toBe(out.text);
    // A broken CSV imports nothing; an unknown column is named.
    const broken = await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: 'first_name,phone\nEve,"+61491570162\n', headers: { 'content-type': 'text/csv' } });
    expect(broken.status).toBe(412);
    const unknown = await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: 'name,phone\nEve,+61491570162\n', headers: { 'content-type': 'text/csv' } });
    expect(unknown.json.error.message).toMatch(/"name" is not a contact field/);
    expect((await d.api('GET', `/groups/${g}`, { auth: alice })).json.contact_total).toBe(3);
    expect((await d.api('POST', `/groups/${g}/csv`, { auth: bob, raw: csv, headers: { 'content-type': 'text/csv' } })).status).toBe(404);
  });
});
