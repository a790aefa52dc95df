import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDaemon, basic, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  // Receipts well after their submit: each state is committed, and streamed, on its own (a receipt
  // that lands in its submit's own group commit streams the final state only).
  d = await testDaemon({ sandbox: { accept_ms: [1, 5], receipt_ms: [200, 250], delayed_receipt_ms: 300, reply_ms: 10 } });
});
afterAll(async () => d.close());

const connect = (auth?: string) =>
  new Promise<{ ws: WebSocket; events: any[] }>((resolve, reject) => {
    const ws = new WebSocket(d.url.replace('http', 'ws') + '/stream', auth ? { headers: { authorization: auth } } : {});
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    ws.on('open', () => resolve({ ws, events }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });

describe('live stream', () => {
  it('refuses an unauthenticated upgrade', async () => {
    await expect(connect()).rejects.toThrow('HTTP 401');
    await expect(connect(basic('nobody', 'x'))).rejects.toThrow('HTTP 401');
  });

  it("shows each user only its own work, an agent its users', an admin all", async () => {
    const agent = d.addUser('ag', 'agent');
    const u1 = d.addUser('u1', 'user', { agent: agent.id });
    const u2 = d.addUser('u2', 'user');
    const adm = d.addUser('adm', 'admin');
    const [s1, s2, sa, sadm] = await Promise.all([connect(u1.auth), connect(u2.auth), connect(agent.auth), connect(adm.auth)]);
    const job = (await d.api('POST', '/api/v1/jobs', { auth: u1.auth, body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }] } })).json.data;
    await d.waitFor(() => s1.events.some((e) => e.type === 'job.finished' && e.jobId === job));
    await d.waitFor(() => sadm.events.some((e) => e.type === 'job.finished' && e.jobId === job));
    await d.waitFor(() => sa.events.some((e) => e.type === 'job.finished' && e.jobId === job));
    expect(s1.events.map((e) => e.type)).toEqual(expect.arrayContaining(['hello', 'job.created', 'recipient.updated', 'job.finished']));
    expect(s1.events.filter((e) => e.type === 'recipient.updated').map((e) => e.state)).toEqual(['submitted', 'delivered']);
    expect(s2.events.filter((e) => e.jobId === job)).toEqual([]);
    for (const s of [s1, s2, sa, sadm]) s.ws.close();
  });

  it('takes an ICTCore token (Bearer) as well, and refuses a forged one', async () => {
    d.addUser('jwt-user', 'user', { password: 'jwt-user-secret' });
    const token = (await d.api('POST', '/authenticate', { body: { username: 'jwt-user', password: 'jwt-user-secret' } })).json.token as string;
    const s = await connect(`Bearer ${token}`);
    await d.waitFor(() => s.events.some((e) => e.type === 'hello'));
    s.ws.close();
    await expect(connect(`Bearer ${token.slice(0, -4)}abcd`)).rejects.toThrow('HTTP 401');
  });
});
