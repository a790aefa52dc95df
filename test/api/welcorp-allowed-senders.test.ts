import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { senderRefusal } from '../../dist/core/allowed-senders.js';

// Allowed senders: a user sends e-mail only from the addresses and @domains its account allows
// (allowed_email_senders, beyond seed 000, set by an admin), else from its own e-mail's domain only.
let d: TestDaemon;
let admin: { id: number; auth: string };
let agent: { id: number; auth: string };
let jane: { id: number; auth: string };
let nomail: { id: number; auth: string };
let docServer: http.Server;
let fetches = 0;
let docUrl: string;

const jobCount = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
const post = (auth: string, from: string, extra: Record<string, unknown> = {}) =>
  d.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'email', subject: 'Hi', text_message: 'Hello', from_email: from, recipients: [{ destination: 'delivered@example.com' }], ...extra } });

describe('v1 API: allowed e-mail senders', () => {
  beforeAll(async () => {
    docServer = http.createServer((req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4 x');
    });
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
    docUrl = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/a.pdf`;
    d = await testDaemon({ media: { allow_private: ['127.0.0.1'] } });
    admin = d.addUser('root', 'admin');
    agent = d.addUser('agent', 'agent');
    jane = d.addUser('jane', 'user', { email: 'jane@mymail.com', agent: agent.id });
    nomail = d.addUser('nomail', 'user');
  });
  afterAll(async () => {
    await d?.close();
    await new Promise((r) => docServer?.close(r));
  });

  it('without a list, a user sends from its own e-mail domain only; another from_email is a 422 naming it, storing and fetching nothing', async () => {
    expect((await post(jane.auth, 'newsletter@mymail.com')).status).toBe(200);
    const before = jobCount();
    const r = await post(jane.auth, 'ceo@bank.example', { attachments: [{ name: 'a.pdf', url: docUrl }] });
    expect(r.status, r.text).toBe(422);
    expect(r.json.errors).toMatch(/from_email: ceo@bank\.example is not a sender this account may use \(without allowed_email_senders, only addresses @mymail\.com/);
    expect(jobCount()).toBe(before);
    expect(fetches).toBe(0);
    // A subdomain is another domain.
    expect((await post(jane.auth, 'x@mail.mymail.com')).status).toBe(422);
  });

  it('a user with neither a list nor an e-mail address sends no e-mail', async () => {
    const r = await post(nomail.auth, 'me@example.com');
    expect(r.status).toBe(422);
    expect(r.json.errors).toMatch(/from_email: this account may send no e-mail/);
  });

  it('an admin sets the list: its addresses and @domains, and only they, may be used', async () => {
    const put = await d.api('PUT', `/api/v1/users/${jane.id}`, { auth: admin.auth, body: { allowed_email_senders: ['@corp.example', 'News@MyMail.com'] } });
    expect(put.status, put.text).toBe(200);
    expect((await d.api('GET', `/api/v1/users/${jane.id}`, { auth: admin.auth })).json.data.allowed_email_senders).toEqual(['@corp.example', 'News@MyMail.com']);
    expect((await post(jane.auth, 'anyone@corp.example')).status).toBe(200);
    expect((await post(jane.auth, 'news@mymail.com')).status).toBe(200);
    // The list replaces the default: the own domain's other addresses are no longer allowed.
    const r = await post(jane.auth, 'jane@mymail.com');
    expect(r.status).toBe(422);
    expect(r.json.errors).toMatch(/from_email: jane@mymail\.com is not a sender this account may use \(allowed: @corp\.example, News@MyMail\.com\)/);
    expect((await post(jane.auth, 'a@sub.corp.example')).status).toBe(422);
  });

  it('only an admin sets it: an agent or the user itself gets 403 and nothing changes', async () => {
    for (const who of [agent, jane]) {
      const r = await d.api('PUT', `/api/v1/users/${jane.id}`, { auth: who.auth, body: { allowed_email_senders: ['@evil.example'] } });
      expect(r.status, r.text).toBe(403);
    }
    const created = await d.api('POST', '/api/v1/users', { auth: agent.auth, body: { user_code: 'sub1', password: 'long-enough-pw', allowed_email_senders: ['@evil.example'] } });
    expect(created.status).toBe(403);
    expect((await d.api('GET', `/api/v1/users/${jane.id}`, { auth: admin.auth })).json.data.allowed_email_senders).toEqual(['@corp.example', 'News@MyMail.com']);
    expect((await post(jane.auth, 'x@evil.example')).status).toBe(422);
  });

  it('refuses a bad entry with a 422 naming the field', async () => {
    const r = await d.api('PUT', `/api/v1/users/${jane.id}`, { auth: admin.auth, body: { allowed_email_senders: ['@corp.example', 'not an address'] } });
    expect(r.status).toBe(422);
    expect(r.json.errors).toMatch(/allowed_email_senders/);
    const clear = await d.api('PUT', `/api/v1/users/${jane.id}`, { auth: admin.auth, body: { allowed_email_senders: null } });
    expect(clear.status).toBe(200);
    // Cleared: back to the own domain.
    expect((await post(jane.auth, 'jane@mymail.com')).status).toBe(200);
  });

  it("lets an admin without a list send from any address (a fresh install's admin has no e-mail), and holds one with a list to it", async () => {
    expect((await post(admin.auth, 'anyone@anywhere.example')).status).toBe(200);
    expect((await d.api('PUT', `/api/v1/users/${admin.id}`, { auth: admin.auth, body: { allowed_email_senders: ['@ops.example'] } })).status).toBe(200);
    expect((await post(admin.auth, 'anyone@anywhere.example')).status).toBe(422);
    expect((await post(admin.auth, 'alerts@ops.example')).status).toBe(200);
  });

  it('the rule itself', () => {
    expect(senderRefusal('a@x.example', null, null, true)).toBeNull();
    expect(senderRefusal('a@x.example', ['@y.example'], null, true)).toMatch(/not a sender/);
    expect(senderRefusal('a@x.example', null, null, false)).toMatch(/may send no e-mail/);
    expect(senderRefusal('a@x.example', ['@X.example'], null)).toBeNull();
    expect(senderRefusal('a@x.example', [], 'me@x.example')).toMatch(/allowed: none/);
    expect(senderRefusal('a@x.example', null, 'me@X.Example')).toBeNull();
  });
});
