import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Replies that come through a provider a reseller (agent) made: it runs that SMSC or Kannel, so it can
// make them say anything. They may answer only its own and its users' 2-way jobs.
const MO_SECRET = 'reseller-mo-secret-0123';
let d: TestDaemon;
let victim: { id: number; auth: string };
let agent: { id: number; auth: string };
let customer: { id: number; auth: string };
let victimJob: number;
let customerJob: number;
let provider: number;

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const twoWay = async (auth: string, to: string, sender: string) => {
  const r = await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: '2 way sms', message: 'Come?', optout_code: 'STOP', manual_sender_id: sender, recipients: [{ destination: to }] } });
  expect(r.status, r.text).toBe(200);
  await d.waitFor(complete(r.json.data));
  return r.json.data as number;
};
/** An MO as the reseller's Kannel would deliver it (its sms-service get-url). */
const mo = (from: string, to: string, text: string, provider = 'reseller-kannel') => fetch(`${d.url}/gateways/kannel/${provider}/mo?secret=${MO_SECRET}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&text=${encodeURIComponent(text)}`);

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe("replies through a reseller's provider", () => {
  beforeAll(async () => {
    // An administrator's Kannel too (its replies may answer anyone's jobs); on a service no job here uses.
    const shared = { name: 'shared-kannel', driver: 'kannel', services: ['mms'], host: '127.0.0.1', port: await closedPort(), username: 'sms', password: 'x', settings: { mo_secret: MO_SECRET } };
    d = await testDaemon({ agent_providers: { allow_hosts: ['127.0.0.1'] }, providers: [shared] });
    victim = d.addUser('victim', 'user');
    agent = d.addUser('reseller', 'agent', { password: 'reseller-secret' });
    customer = d.addUser('customer', 'user', { agent: agent.id });
    victimJob = await twoWay(victim.auth, '+61491570156', '+61412345678');
    customerJob = await twoWay(customer.auth, '+61491570157', '+61412345679');
    // The provider is made after the jobs went out (through the sandbox): its Kannel is not there.
    const token = await bearer(d, 'reseller', 'reseller-secret');
    const made = await d.api('POST', '/providers', { auth: token, body: { name: 'reseller-kannel', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: await closedPort(), username: 'sms', settings: JSON.stringify({ mo_secret: MO_SECRET }) } });
    expect(made.status, made.text).toBe(200);
    provider = made.json as number;
    // Its routes are served once its gateway is in the pool.
    for (let i = 0; i < 100 && (await mo('+61400000000', '1', 'ping')).status === 404; i++) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    await d?.close();
  });

  it("answers no other tenant's job: the victim's recipient \"replying\" STOP to the victim's sender is the reseller's own unmatched message", async () => {
    expect((await mo('+61491570156', '+61412345678', 'STOP')).status).toBe(200);
    expect(d.db.prepare('SELECT provider_id, user_id, job_id, recipient_id FROM inbound WHERE sender = ?').all('+61491570156')).toEqual([{ provider_id: provider, user_id: agent.id, job_id: null, recipient_id: null }]);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM results WHERE job_id = ? AND kind = 'reply'`).get(victimJob)).toEqual({ n: 0 });
    expect(d.db.prepare('SELECT * FROM opt_outs').all()).toEqual([]);
  });

  it("routes an MO that answers no job to its own users' numbers only: another tenant's number is given to no one", async () => {
    const assign = d.db.prepare('INSERT INTO numbers (number, user_id, created_at) VALUES (?, ?, ?)');
    assign.run('+61412000101', victim.id, Date.now());
    assign.run('+61412000102', customer.id, Date.now());
    expect((await mo('+61491570301', '+61412000101', 'for the victim')).status).toBe(200);
    expect((await mo('+61491570302', '0412000102', 'for the customer')).status).toBe(200);
    const owner = (body: string) => d.db.prepare('SELECT user_id FROM inbound WHERE body = ?').get(body);
    // Stored as the reseller's provider's own unmatched message, as before: never the victim's.
    expect(owner('for the victim')).toEqual({ user_id: agent.id });
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE user_id = ? AND json_extract(options, '$.direction') = 'inbound'`).get(victim.id)).toEqual({ n: 0 });
    expect(owner('for the customer')).toEqual({ user_id: customer.id });
    const listed = await d.api('GET', '/transmissions?direction=inbound', { auth: customer.auth });
    expect((listed.json as { message: string }[]).map((t) => t.message)).toEqual(['for the customer']);
  });

  it("answers its own users' jobs; a STOP from the number in national form opts out the number as sent (E.164)", async () => {
    // Kannel's %p is the number as the SMSC wrote it: here national.
    expect((await mo('0491570157', '+61412345679', 'STOP')).status).toBe(200);
    expect(d.db.prepare('SELECT user_id, job_id FROM inbound WHERE sender = ?').all('0491570157')).toEqual([{ user_id: customer.id, job_id: customerJob }]);
    expect(d.db.prepare('SELECT user_id, address FROM opt_outs').all()).toEqual([{ user_id: customer.id, address: '+61491570157' }]);
    // And the number no longer receives that user's messages.
    const next = (await d.api('POST', '/api/v1/jobs', { auth: customer.auth, body: { job_type: 'sms', message: 'still there?', recipients: [{ destination: '0491570157' }] } })).json.data as number;
    const row = await d.waitFor(() => d.db.prepare(`SELECT state, reason FROM recipients WHERE job_id = ? AND state <> 'queued'`).get(next) as { state: string; reason: string } | undefined, 5000);
    expect(row).toEqual({ state: 'opted_out', reason: 'the number opted out' });
  });

  it('finds an open 2-way job however many other messages were sent to the number since', async () => {
    const job = await twoWay(victim.auth, '+61491570158', '+61412345680');
    // Another tenant's cheap one-way traffic to the same number, all of it later.
    const bulk = d.addUser('bulk', 'user');
    const flood = await d.api('POST', '/api/v1/jobs', { auth: bulk.auth, body: { job_type: 'sms', message: 'promo', recipients: Array.from({ length: 1001 }, () => ({ destination: '+61491570158' })) } });
    expect(flood.status, flood.text).toBe(200);
    await d.waitFor(complete(flood.json.data), 20_000);
    expect((await mo('+61491570158', '+61412345680', 'Yes please', 'shared-kannel')).status).toBe(200);
    expect(d.db.prepare('SELECT user_id, job_id FROM inbound WHERE sender = ?').all('+61491570158')).toEqual([{ user_id: victim.id, job_id: job }]);
    expect(d.db.prepare(`SELECT value FROM results WHERE job_id = ? AND kind = 'reply'`).all(job)).toEqual([{ value: 'Yes please' }]);
  }, 30_000);

  it('keeps a message it cannot match (here: the store refuses its reply row) unmatched, without holding up the others', async () => {
    const bad = await twoWay(victim.auth, '+61491570159', '+61412345681');
    const good = await twoWay(victim.auth, '+61491570160', '+61412345681');
    // A fault in the real database: this one reply's result row is refused.
    d.db.exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON results WHEN NEW.kind = 'reply' AND NEW.value = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    try {
      const [a, b] = await Promise.all([
        fetch(`${d.url}/gateways/kannel/shared-kannel/mo?secret=${MO_SECRET}&from=%2B61491570159&to=%2B61412345681&text=boom`, { signal: AbortSignal.timeout(5000) }),
        fetch(`${d.url}/gateways/kannel/shared-kannel/mo?secret=${MO_SECRET}&from=%2B61491570160&to=%2B61412345681&text=fine`, { signal: AbortSignal.timeout(5000) }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
    } finally {
      d.db.exec('DROP TRIGGER refuse_boom');
    }
    expect(d.db.prepare('SELECT sender, job_id FROM inbound WHERE sender IN (?, ?) ORDER BY sender').all('+61491570159', '+61491570160')).toEqual([
      { sender: '+61491570159', job_id: null },
      { sender: '+61491570160', job_id: good },
    ]);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM results WHERE job_id = ?`).get(bad)).toEqual({ n: 0 });
  });

  it("reads a national `from` in the provider owner's country first (NANP 2034567890 is +1 203…, not Egypt's +20 3…)", async () => {
    const us = d.addUser('us-reseller', 'agent', { password: 'us-reseller-secret' });
    d.db.prepare(`UPDATE users SET country = 'US' WHERE id = ?`).run(us.id);
    const usJob = await twoWay(us.auth, '+12034567890', '+12035550100');
    const egJob = await twoWay(us.auth, '+2034567890', '+12035550100');
    expect(usJob).not.toBe(egJob);
    const token = await bearer(d, 'us-reseller', 'us-reseller-secret');
    const made = await d.api('POST', '/providers', { auth: token, body: { name: 'us-kannel', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: await closedPort(), username: 'sms', settings: JSON.stringify({ mo_secret: MO_SECRET }) } });
    expect(made.status, made.text).toBe(200);
    let r = await mo('2034567890', '+12035550100', 'yes', 'us-kannel');
    for (let i = 0; i < 100 && r.status === 404; i++) r = await new Promise((ok) => setTimeout(ok, 20)).then(() => mo('2034567890', '+12035550100', 'yes', 'us-kannel'));
    expect(r.status).toBe(200);
    expect(d.db.prepare('SELECT user_id, job_id FROM inbound WHERE sender = ?').all('2034567890')).toEqual([{ user_id: us.id, job_id: usJob }]);
  });
});
