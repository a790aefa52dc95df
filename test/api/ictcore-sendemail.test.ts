import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Issue 16/18, ICTCore: the sendemail program (core/Program/Sendemail.php, core/Application/Email_send.php)
// over templates, sent through the built-in sandbox's e-mail addresses.
let d: TestDaemon;
let alice: string;
let bob: string;
const stateOf = (id: number) => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state;
const contentOf = (id: number) => JSON.parse((d.db.prepare('SELECT j.content FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').get(id) as { content: string }).content);
const put = async (path: string, type: string, body: Buffer | string) => {
  const res = await fetch(d.url + path, { method: 'PUT', headers: { authorization: alice, 'content-type': type }, body });
  return { status: res.status, json: await res.json().catch(() => null) };
};

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('alice', 'user', { password: 'alice-secret' });
  d.addUser('bob', 'user', { password: 'bob-secret' });
  alice = await bearer(d, 'alice', 'alice-secret');
  bob = await bearer(d, 'bob', 'bob-secret');
  d.db.prepare("UPDATE users SET email = 'alice@shop.example', first_name = 'Alice' WHERE user_code = 'alice'").run();
});
afterAll(() => d.close());

describe('ICTCore face: sendemail', () => {
  it('attaches every file appended to a template by POST …/media (TemplateApi::upload), in order; PUT replaces them', async () => {
    const post = async (path: string, type: string, body: string) => {
      const res = await fetch(d.url + path, { method: 'POST', headers: { authorization: alice, 'content-type': type }, body });
      return { status: res.status, json: await res.json().catch(() => null) };
    };
    const tpl = (await d.api('POST', '/templates', { auth: alice, body: { name: 'pack', subject: 'Files', body: 'See attached' } })).json as number;
    expect((await put(`/templates/${tpl}/media`, 'text/plain', 'one')).json).toBe(tpl);
    expect((await post(`/templates/${tpl}/media`, 'text/plain', 'two')).json).toBe(tpl);
    expect((await post(`/templates/${tpl}/media`, 'text/html', '<p>three</p>')).json).toBe(tpl);
    // A file of a type a template does not take is refused and changes nothing.
    expect((await post(`/templates/${tpl}/media`, 'application/x-msdownload', 'MZ')).status).toBe(415);
    const program = (await d.api('POST', '/programs/sendemail', { auth: alice, body: { template_id: tpl } })).json as number;
    const contact = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Pat', email: 'delivered@example.com' } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, contact_id: contact } })).json as number;
    const c = contentOf(id);
    expect(c.attachments.map((a: { name: string }) => a.name)).toEqual(['pack-1.txt', 'pack-2.txt', 'pack-3.html']);
    expect(c.attachments.map((a: { file: string }) => readFileSync(a.file, 'utf8'))).toEqual(['one', 'two', '<p>three</p>']);
    // PUT replaces them all with one.
    expect((await put(`/templates/${tpl}/media`, 'text/plain', 'alone')).json).toBe(tpl);
    const again = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, contact_id: contact } })).json as number;
    expect(contentOf(again).attachments.map((a: { name: string }) => a.name)).toEqual(['pack.txt']);
    // Another user cannot append to it.
    const res = await fetch(`${d.url}/templates/${tpl}/media`, { method: 'POST', headers: { authorization: bob, 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(404);
  });

  it("mails a template to contacts' addresses from the account's address, with the template's file and a document attached", async () => {
    const doc = (await d.api('POST', '/documents', { auth: alice, body: { name: 'terms' } })).json as number;
    expect((await put(`/documents/${doc}/media`, 'text/plain', 'Terms and conditions')).json).toBe(doc);
    const tpl = await d.api('POST', '/templates', { auth: alice, body: { name: 'welcome', subject: 'Welcome %%first_name%%', body: '<p>Hello %%first_name%%</p>', body_alt: 'Hello %%first_name%%', attachment: doc } });
    expect(tpl.status, tpl.text).toBe(200);
    expect((await d.api('GET', `/templates/${tpl.json}`, { auth: alice })).json).toMatchObject({ subject: 'Welcome %%first_name%%', document_id: doc, attachment: doc });
    expect((await put(`/templates/${tpl.json}/media`, 'text/plain', 'Read me')).json).toBe(tpl.json);
    const program = await d.api('POST', '/programs/sendemail', { auth: alice, body: { name: 'welcome', template_id: tpl.json } });
    expect(program.status, program.text).toBe(200);
    const account = (await d.api('POST', '/accounts', { auth: alice, body: { username: 'mailer', type: 'eaddress', email: 'news@shop.example', first_name: 'Shop', last_name: 'News' } })).json as number;
    const contact = (await d.api('POST', '/contacts', { auth: alice, body: { first_name: 'Jane', email: 'delivered@example.com' } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program.json, contact_id: contact, account_id: account } })).json as number;
    expect((await d.api('GET', `/transmissions/${id}`, { auth: alice })).json).toMatchObject({ service_flag: 8, phone: 'delivered@example.com', status: 'pending' });
    const c = contentOf(id);
    expect(c).toMatchObject({ kind: 'email', from: { address: 'news@shop.example', name: 'Shop News' }, subject: 'Welcome %%first_name%%', html: '<p>Hello %%first_name%%</p>', text: 'Hello %%first_name%%' });
    expect(c.attachments.map((a: { name: string }) => a.name)).toEqual(['welcome.txt', 'terms.txt']);
    expect(c.attachments.map((a: { file: string }) => readFileSync(a.file, 'utf8'))).toEqual(['Read me', 'Terms and conditions']);
    // A later upload changes no e-mail already made.
    await put(`/templates/${tpl.json}/media`, 'text/plain', 'Changed');
    expect(readFileSync(contentOf(id).attachments[0].file, 'utf8')).toBe('Read me');

    expect((await d.api('POST', `/transmissions/${id}/send`, { auth: alice })).status).toBe(200);
    await d.waitFor(() => stateOf(id) === 'sent');
    expect((await d.api('GET', `/transmissions/${id}/status`, { auth: alice })).json).toBe('completed');
    const detail = (await d.api('GET', `/transmissions/${id}/detail`, { auth: alice })).json;
    // One spool, completed: an e-mail the relay took ends its attempt as sent (no receipt follows).
    expect(detail).toMatchObject([{ transmission_id: id, status: 'completed' }]);
    expect(d.db.prepare('SELECT status, ended_at FROM attempts WHERE job_id = (SELECT job_id FROM recipients WHERE id = ?)').get(id)).toEqual({ status: 'sent', ended_at: expect.any(Number) });

    // An account's address is the user's to write, so it is held to the same allowed senders as every face:
    // without a list, the domain of the user's own address only (no open relay).
    const spoof = (await d.api('POST', '/accounts', { auth: alice, body: { username: 'spoof', type: 'eaddress', email: 'ceo@bank.example' } })).json as number;
    const jobs = (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const refused = await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program.json, contact_id: contact, account_id: spoof } });
    expect(refused.status).toBe(412);
    expect(refused.json.error.message).toMatch(/account_id: .*ceo@bank\.example|account_id: .*allowed/);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(jobs);
  });

  it('answers a refused address as a failed transmission, mails in one call to a bare address, and runs a campaign over the group', async () => {
    const tpl = (await d.api('POST', '/templates', { auth: alice, body: { name: 'plain', subject: 'Note', body: 'Just text' } })).json as number;
    const r = await d.api('POST', '/programs/sendemail/transmissions', { auth: alice, body: { program_data: { template_id: tpl }, transmission_data: { email: 'undeliverable@example.com' } } });
    expect(r.status, r.text).toBe(200);
    // No account: the user's own address is the sender (ICTCore's user default account); a body without markup is text.
    expect(contentOf(r.json)).toMatchObject({ from: { address: 'alice@shop.example', name: 'Alice' }, text: 'Just text', html: null, attachments: [] });
    await d.api('POST', `/transmissions/${r.json}/send`, { auth: alice });
    await d.waitFor(() => stateOf(r.json) === 'undeliverable');
    expect((await d.api('GET', `/transmissions/${r.json}/status`, { auth: alice })).json).toBe('failed');
    expect((await d.api('GET', `/transmissions/${r.json}`, { auth: alice })).json.response).toMatch(/550/);

    const group = (await d.api('POST', '/groups', { auth: alice, body: { name: 'mailing' } })).json as number;
    for (const body of [{ email: 'a@example.com' }, { phone: '+61491571501' }, { email: 'b@example.com', phone: '+61491571502' }]) {
      const c = (await d.api('POST', '/contacts', { auth: alice, body })).json as number;
      await d.api('PUT', `/contacts/${c}/link/${group}`, { auth: alice });
    }
    const program = (await d.api('POST', '/programs/sendemail', { auth: alice, body: { template_id: tpl } })).json as number;
    const campaign = (await d.api('POST', '/campaigns', { auth: alice, body: { program_id: program, group_id: group, cpm: 6000 } })).json as number;
    expect((await d.api('PUT', `/campaigns/${campaign}/start`, { auth: alice })).status).toBe(200);
    const sent = () => d.db.prepare("SELECT r.destination FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.campaign_id = ? AND r.state = 'sent' ORDER BY r.destination").all(campaign) as { destination: string }[];
    await d.waitFor(() => sent().length === 2, 5000);
    expect(sent().map((x) => x.destination)).toEqual(['a@example.com', 'b@example.com']);
  });

  it("takes the template inline as template_array (Sendemail's Template::construct_from_array), stored as a template", async () => {
    const messages = () => (d.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    const r = await d.api('POST', '/programs/sendemail/transmissions', {
      auth: alice,
      body: { program_data: { template_array: { subject: 'Inline %%first_name%%', body: '<p>Made inline</p>', body_alt: 'Made inline' } }, transmission_data: { email: 'delivered@example.com' } },
    });
    expect(r.status, r.text).toBe(200);
    expect(contentOf(r.json)).toMatchObject({ subject: 'Inline %%first_name%%', html: '<p>Made inline</p>', text: 'Made inline' });
    const program = (await d.api('GET', `/programs/${(await d.api('GET', `/transmissions/${r.json}`, { auth: alice })).json.program_id}`, { auth: alice })).json;
    expect((await d.api('GET', `/templates/${program.template_id}`, { auth: alice })).json).toMatchObject({ name: 'sendemail', subject: 'Inline %%first_name%%', body: '<p>Made inline</p>' });
    // A bad inline template names its field; bad transmission data takes the template made for it away again.
    const before = messages();
    const bad = await d.api('POST', '/programs/sendemail', { auth: alice, body: { template_array: { body: 'no subject' } } });
    expect(bad.status).toBe(412);
    expect(bad.json.error.message).toMatch(/template_array\.subject/);
    const noAddress = await d.api('POST', '/programs/sendemail/transmissions', { auth: alice, body: { program_data: { template_array: { subject: 'S', body: 'B' } }, transmission_data: { phone: '+61491571409' } } });
    expect(noAddress.status).toBe(412);
    expect(messages()).toBe(before);
    // Another user's document cannot be its attachment.
    const bobDoc = (await d.api('POST', '/documents', { auth: bob, body: { name: 'secret' } })).json as number;
    expect((await d.api('POST', '/programs/sendemail', { auth: alice, body: { template_array: { subject: 'S', body: 'B', attachment: bobDoc } } })).status).toBe(404);
    expect(messages()).toBe(before + 1);
  });

  it('refuses what cannot be mailed, storing nothing', async () => {
    const tpl = (await d.api('POST', '/templates', { auth: alice, body: { name: 't', subject: 'S', body: 'B' } })).json as number;
    const program = (await d.api('POST', '/programs/sendemail', { auth: alice, body: { template_id: tpl } })).json as number;
    const phoneOnly = (await d.api('POST', '/contacts', { auth: alice, body: { phone: '+61491571503' } })).json as number;
    const count = () => (d.db.prepare('SELECT COUNT(*) AS n FROM recipients').get() as { n: number }).n;
    const before = count();
    const cases: [unknown, number, RegExp][] = [
      [{ program_id: program, contact_id: phoneOnly }, 412, /for contact_id: contact \d+ has no e-mail address/],
      [{ program_id: program }, 412, /give contact_id or email/],
      [{ program_id: program, email: 'not an address' }, 412, /for email: not an e-mail address/],
    ];
    for (const [body, status, message] of cases) {
      const r = await d.api('POST', '/transmissions', { auth: alice, body });
      expect(r.status, r.text).toBe(status);
      expect(r.json.error.message).toMatch(message);
    }
    // Bob has no e-mail address and no account: no sender.
    const bobTpl = (await d.api('POST', '/templates', { auth: bob, body: { name: 't', subject: 'S', body: 'B' } })).json as number;
    const bobProgram = (await d.api('POST', '/programs/sendemail', { auth: bob, body: { template_id: bobTpl } })).json as number;
    const none = await d.api('POST', '/transmissions', { auth: bob, body: { program_id: bobProgram, email: 'x@example.com' } });
    expect(none.status).toBe(412);
    expect(none.json.error.message).toMatch(/for account_id: a sendemail transmission needs a sender/);
    // Another's document cannot be attached; a path is no attachment.
    const bobDoc = (await d.api('POST', '/documents', { auth: bob, body: { name: 'x' } })).json as number;
    expect((await d.api('PUT', `/templates/${tpl}`, { auth: alice, body: { attachment: bobDoc } })).status).toBe(404);
    expect((await d.api('PUT', `/templates/${tpl}`, { auth: alice, body: { attachment: '/etc/passwd' } })).status).toBe(412);
    expect(count()).toBe(before);
    expect(existsSync(d.dir)).toBe(true);
  });
});
