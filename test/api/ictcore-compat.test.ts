import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Issue 18, ICTCore: what the real ICTCore does where a client relies on it (core/Transmission.php,
// bin/campaign): list filters it knows or ignores, one try by default, no resend of a finished one.
let d: TestDaemon;
let alice: string;

const ids = (list: { transmission_id: number }[]) => list.map((t) => t.transmission_id);
const stateOf = (id: number) => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state;
const attemptsOf = (id: number) => (d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE recipient_id = ?').get(id) as { n: number }).n;

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('alice', 'user', { password: 'alice-secret' });
  alice = await bearer(d, 'alice', 'alice-secret');
});
afterAll(() => d.close());

describe('ICTCore face: list filters as ICTCore has them', () => {
  it('ignores fields it does not know, filters by service_flag, direction, before and after, and refuses a bad value for a known one', async () => {
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'filters', data: 'Filtered' } })).json as number;
    const a = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491571301' } })).json as number;
    const b = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491571302' } })).json as number;
    const created = (await d.api('GET', `/transmissions/${a}`, { auth: alice })).json.date_created as number;
    const list = async (query: string) => {
      const r = await d.api('GET', `/transmissions?program_id=${program}${query}`, { auth: alice });
      expect(r.status, `${query}: ${r.text}`).toBe(200);
      return ids(r.json);
    };
    expect(await list('')).toEqual([a, b]);
    // What ICTCore's client sends to every list, and fields neither knows: the same list.
    expect(await list('&service_flag=4&direction=outbound&title=x&colour=red&after=0')).toEqual([a, b]);
    // The filters ICTCore's Transmission::search() has, doing what they say.
    expect(await list('&service_flag=1')).toEqual([]);
    expect(await list('&service_flag=0')).toEqual([a, b]);
    expect(await list('&direction=inbound')).toEqual([]);
    expect(await list(`&after=${created}&before=${created + 60}`)).toEqual([a, b]);
    expect(await list(`&after=${created + 60}`)).toEqual([]);
    expect(await list(`&before=${created - 1}`)).toEqual([]);
    expect(await list(`&transmission_id=${b}`)).toEqual([b]);
    // A known filter with a bad value: ICTCore's 412, naming it.
    for (const [query, field] of [
      ['program_id=abc', 'program_id'],
      ['service_flag=sms', 'service_flag'],
      ['direction=sideways', 'direction'],
      ['before=yesterday', 'before'],
      ['after=-5', 'after'],
      ['status=lost', 'status'],
      ['transmission_id=1.5', 'transmission_id'],
    ] as const) {
      const r = await d.api('GET', `/transmissions?${query}`, { auth: alice });
      expect(r.status, query).toBe(412);
      expect(r.json.error.message, query).toMatch(new RegExp(`^Precondition Failed: Data validation failed, for ${field}: `));
    }
    // The other lists alike.
    const contacts = (await d.api('GET', '/contacts', { auth: alice })).json as unknown[];
    expect(contacts).toHaveLength(2);
    const again = await d.api('GET', '/contacts?service_flag=1&direction=outbound&before=99&after=1', { auth: alice });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual(contacts);
    expect((await d.api('GET', `/programs?program_id=${program}&service_flag=4`, { auth: alice })).json).toHaveLength(1);
    const bad = await d.api('GET', `/contacts?service_flag=1&first_name=${'x'.repeat(201)}`, { auth: alice });
    expect(bad.status).toBe(412);
    expect(bad.json.error.message).toMatch(/for first_name: expected one value/);
  });
});

describe('ICTCore face: tries and resends as ICTCore has them', () => {
  it('tries a transmission without try_allowed once (ICTCore default), and sends a failed one again on retry', async () => {
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'once', data: 'Once' } })).json as number;
    // +…009: the link is down on every try (retryable); with the daemon's default of 3 it would try again.
    const id = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491570009' } })).json as number;
    expect((await d.api('GET', `/transmissions/${id}`, { auth: alice })).json.try_allowed).toBe(1);
    expect((await d.api('POST', `/transmissions/${id}/send`, { auth: alice })).status).toBe(200);
    await d.waitFor(() => stateOf(id) === 'failed', 8000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(attemptsOf(id)).toBe(1);
    expect((await d.api('GET', `/transmissions/${id}`, { auth: alice })).json).toMatchObject({ status: 'failed', try_allowed: 1, try_done: 1 });
    // ICTCore's send() takes a failed transmission again: a new spool.
    const retry = await d.api('POST', `/transmissions/${id}/retry`, { auth: alice });
    expect(retry.status, retry.text).toBe(200);
    await d.waitFor(() => attemptsOf(id) === 2 && stateOf(id) === 'failed', 8000);
    // A clone keeps the one try.
    const copy = (await d.api('GET', `/transmissions/${id}/clone`, { auth: alice })).json as number;
    expect((await d.api('GET', `/transmissions/${copy}`, { auth: alice })).json.try_allowed).toBe(1);
  });

  it('refuses to send or retry a completed transmission (423) and makes no new attempt', async () => {
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'done', data: 'Done' } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491571310' } })).json as number;
    expect((await d.api('POST', `/transmissions/${id}/send`, { auth: alice })).status).toBe(200);
    await d.waitFor(() => stateOf(id) === 'delivered', 5000);
    for (const action of ['send', 'retry']) {
      const r = await d.api('POST', `/transmissions/${id}/${action}`, { auth: alice });
      expect(r.status, action).toBe(423);
      expect(r.json.error.message).toMatch(/^Locked: transmission \d+ completed, request denied/);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(attemptsOf(id)).toBe(1);
    expect(stateOf(id)).toBe('delivered');
    expect((await d.api('GET', `/transmissions/${id}`, { auth: alice })).json).toMatchObject({ status: 'completed', try_done: 1 });
  });

  it('does not start a completed campaign again (423) and makes no new run', async () => {
    const group = (await d.api('POST', '/groups', { auth: alice, body: { name: 'once list' } })).json as number;
    const contact = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'C', phone: '+61491571320' } })).json;
    await d.api('PUT', `/contacts/${contact}/link/${group}`, { auth: alice });
    const program = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'camp', data: 'Campaign' } })).json as number;
    const id = (await d.api('POST', '/campaigns', { auth: alice, body: { program_id: program, group_id: group } })).json as number;
    expect((await d.api('PUT', `/campaigns/${id}/start`, { auth: alice })).json).toBe(true);
    await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE campaign_id = ?').get(id) as { status: string } | undefined)?.status === 'complete', 5000);
    expect((await d.api('GET', `/campaigns/${id}`, { auth: alice })).json.status).toBe('completed');
    for (const method of ['PUT', 'GET']) {
      const r = await d.api(method, `/campaigns/${id}/start`, { auth: alice });
      expect(r.status, method).toBe(423);
      expect(r.json.error.message).toMatch(/already completed/);
    }
    const runs = d.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE campaign_id = ?').get(id) as { n: number };
    expect(runs.n).toBe(1);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ?').get(id) as { n: number }).n).toBe(1);
    expect((await d.api('GET', `/campaigns/${id}`, { auth: alice })).json.status).toBe('completed');
  });
});

describe('ICTCore face: bodies as its REST server reads them', () => {
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string> = {}) => fetch(`${d.url}${path}`, { method: 'POST', headers: { authorization: alice, ...headers }, body });

  it('reads JSON sent without a Content-Type and form-encoded bodies (k[] as a list), and refuses a body that is neither with a 412', async () => {
    // fetch sets no Content-Type for bytes: the request carries none.
    const bare = await fetch(`${d.url}/authenticate`, { method: 'POST', body: Buffer.from(JSON.stringify({ username: 'alice', password: 'alice-secret' })) });
    expect(bare.headers.get('content-type')).toMatch(/json/);
    expect([bare.status, typeof ((await bare.json()) as { token?: unknown }).token]).toEqual([200, 'string']);
    const form = await fetch(`${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: 'username=alice&password=alice-secret' });
    expect(form.status).toBe(200);

    const byForm = await post('/contacts', 'first_name=Form&last_name=Filled&phone=%2B61491571401', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(byForm.status).toBe(200);
    const id = (await byForm.json()) as number;
    expect(d.db.prepare('SELECT first_name, last_name, phone FROM contacts WHERE id = ?').get(id)).toEqual({ first_name: 'Form', last_name: 'Filled', phone: '+61491571401' });
    const byBareJson = await post('/contacts', Buffer.from(JSON.stringify({ first_name: 'Bare', phone: '+61491571402' })));
    expect(byBareJson.status).toBe(200);
    expect(d.db.prepare('SELECT first_name FROM contacts WHERE id = ?').get((await byBareJson.json()) as number)).toEqual({ first_name: 'Bare' });

    const before = d.db.prepare('SELECT COUNT(*) AS n FROM contacts').get();
    const junk = await post('/contacts', Buffer.from('first_name: not json'));
    expect(junk.status).toBe(412);
    expect(await junk.text()).toMatch(/body: expected a JSON object/);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM contacts').get()).toEqual(before);
  });

  it('reads a form field given as k[] as a list, and a repeated plain key as its last value', async () => {
    const { formFields } = await import('../../dist/api/ictcore/bodies.js');
    expect(formFields('a=1&a=2&b[]=x&b[]=y&c=%2B61')).toEqual({ a: '2', b: ['x', 'y'], c: '+61' });
  });
});

describe('ICTCore face: authentication as ICTCore has it', () => {
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

  it('takes HTTP Basic credentials on every call beside the token, and refuses wrong ones 401', async () => {
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    const ok = await fetch(`${d.url}/contacts`, { headers: basic('alice', 'alice-secret') });
    expect(ok.status).toBe(200);
    expect(Array.isArray(await ok.json())).toBe(true);
    const made = await fetch(`${d.url}/contacts`, { method: 'POST', headers: { ...basic('alice', 'alice-secret'), 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Basic', phone: '+61491571501' }) });
    expect(made.status).toBe(200);
    expect(d.db.prepare('SELECT u.user_code FROM contacts c JOIN users u ON u.id = c.user_id WHERE c.id = ?').get((await made.json()) as number)).toEqual({ user_code: 'alice' });
    const wrong = await fetch(`${d.url}/contacts`, { headers: basic('alice', 'not-her-password') });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/Invalid user name and password/);
    expect((await fetch(`${d.url}/contacts`, { headers: { authorization: 'Basic !!!' } })).status).toBe(401);
    // The scheme's name in any case, as HTTP has it (here and on the faces that share the checker).
    const lower = `basic ${Buffer.from('alice:alice-secret').toString('base64')}`;
    expect((await fetch(`${d.url}/contacts`, { headers: { authorization: lower } })).status).toBe(200);
    expect((await fetch(`${d.url}/api/v1/jobs`, { headers: { authorization: lower } })).status).toBe(200);
  });

  it("puts ICTCore's claims in its token: user_id, username, is_admin (may create users), api-version", async () => {
    const boss = d.addUser('boss', 'admin', { password: 'boss-secret-1' });
    const aliceId = (d.db.prepare(`SELECT id FROM users WHERE user_code = 'alice'`).get() as { id: number }).id;
    expect(claims(alice.slice('Bearer '.length))).toMatchObject({ user_id: aliceId, username: 'alice', is_admin: '0', 'api-version': '1.0', sub: String(aliceId) });
    expect(claims((await bearer(d, 'boss', 'boss-secret-1')).slice('Bearer '.length))).toMatchObject({ user_id: boss.id, username: 'boss', is_admin: '1' });
  });
});

describe('ICTCore face: its own CSV', () => {
  it("imports ICTCore's headerless, phone-first file (its sample's rows, a phone alone) and rejects a row with more fields than its order", async () => {
    const g = (await d.api('POST', '/groups', { auth: alice, body: { name: 'ICTCore CSV' } })).json as number;
    // data/contact_sample.csv's two rows as ICTCore ships them (no header, every field quoted), a bare phone, and one field too many.
    const csv = [
      '"923330000000","Valid","Contact","email@domain.com","street address","custome 1","custome 2","custome 3","any comments will be here"',
      '"923331111111","First2","Last2","other@domain.com","street address","custome value 1","custome value 2","custome value 3",""',
      '+61491571601',
      '"923332222222","a","b","","","","","","","one too many"',
    ].join('\n');
    const r = await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ imported: 3, rejected_total: 1, rejected: [{ line: 4, error: expect.stringMatching(/10 fields, ICTCore's order has 9/) }] });
    const rows = d.db.prepare('SELECT c.phone, c.first_name, c.last_name, c.email, c.custom3, c.description FROM contacts c JOIN group_members m ON m.contact_id = c.id WHERE m.group_id = ? ORDER BY c.id').all(g);
    expect(rows).toEqual([
      { phone: '923330000000', first_name: 'Valid', last_name: 'Contact', email: 'email@domain.com', custom3: 'custome 3', description: 'any comments will be here' },
      { phone: '923331111111', first_name: 'First2', last_name: 'Last2', email: 'other@domain.com', custom3: 'custome value 3', description: null },
      { phone: '+61491571601', first_name: null, last_name: null, email: null, custom3: null, description: null },
    ]);
    // A header line still names the columns, and a row that does not fit it refuses the file.
    const mixed = await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: 'phone,first_name\n+61491571602,Ann,extra\n', headers: { 'content-type': 'text/csv' } });
    expect(mixed.status).toBe(412);
    expect((await d.api('GET', `/groups/${g}`, { auth: alice })).json.contact_total).toBe(3);
  });
});

describe('ICTCore face: its CSV export', () => {
  it('exports a group as ICTCore does (no header, phone first, all quoted) and imports that back, also when its first contact has only an e-mail', async () => {
    const g = (await d.api('POST', '/groups', { auth: alice, body: { name: 'Export' } })).json as number;
    const csv = 'email,first_name,phone\nmail-only@example.com,Mo,\n"","Quote ""Q""",+61491571701\n';
    expect((await d.api('POST', `/groups/${g}/csv`, { auth: alice, raw: csv, headers: { 'content-type': 'text/csv' } })).json).toMatchObject({ imported: 2, rejected_total: 0 });
    const out = (await d.api('GET', `/groups/${g}/csv`, { auth: alice })).text;
    expect(out).toBe(['"","Mo","","mail-only@example.com","","","","",""', '"+61491571701","Quote ""Q""","","","","","","",""', ''].join('\n'));
    const again = (await d.api('POST', '/groups', { auth: alice, body: { name: 'Export again' } })).json as number;
    expect((await d.api('POST', `/groups/${again}/csv`, { auth: alice, raw: out, headers: { 'content-type': 'text/csv' } })).json).toMatchObject({ imported: 2, rejected_total: 0 });
    expect((await d.api('GET', `/groups/${again}/csv`, { auth: alice })).text).toBe(out);
  });
});
