import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CLI } from '../helpers/process.js';

const run = promisify(execFile);

/** GET /admin/status, the JSON the status page and `switchpost status` read. */
describe('GET /admin/status and POST /admin/token', () => {
  let d: TestDaemon;
  let admin: { id: number; auth: string };
  let user: { id: number; auth: string };

  beforeAll(async () => {
    // 004 waits for its receipt this long: its job stays in progress while the test looks.
    d = await testDaemon({ node: { id: 'status-node' }, sandbox: { accept_ms: [1, 5], receipt_ms: [5, 20], delayed_receipt_ms: 120_000, reply_ms: 10 } });
    admin = d.addUser('st-admin', 'admin', { password: 'admin-secret-1' });
    user = d.addUser('st-user', 'user', { password: 'user-secret-1' });
  });
  afterAll(async () => d?.close());

  const status = async (auth?: string) => {
    const res = await fetch(`${d.url}/admin/status`, { headers: auth ? { authorization: auth } : {} });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
  };
  const token = async (body: unknown, raw?: string) => {
    const res = await fetch(`${d.url}/admin/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
    return { status: res.status, headers: res.headers, json: await res.json() };
  };
  async function until<T>(fn: () => Promise<T | null>, ms = 15_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('is for admins only: 401 without credentials or with wrong ones, 403 for a user', async () => {
    const none = await status();
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('unauthenticated');
    expect((await status(basic('st-admin', 'wrong'))).status).toBe(401);
    expect((await status('Bearer not-a-token')).status).toBe(401);
    const forbidden = await status(user.auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.text).not.toContain('providers');
  });

  it('gives a token to an admin only, and the token reads the status', async () => {
    expect((await token({ username: 'st-user', password: 'user-secret-1' })).status).toBe(403);
    expect((await token({ username: 'st-admin', password: 'nope' })).status).toBe(401);
    expect((await token({ username: ['st-admin'], password: 'admin-secret-1' })).status).toBe(400);
    expect((await token(null, '{"username":')).status).toBe(400);
    const t = await token({ username: 'st-admin', password: 'admin-secret-1' });
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    const s = await status(`Bearer ${t.json.token}`);
    expect(s.status).toBe(200);
    expect(s.json.node).toBe('status-node');
  });

  it('shows the providers with their links, a job in progress with its progress, the queues and the last errors', async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: admin.auth,
      body: { job_type: 'sms', job_name: 'status job', message: 'status', recipients: [{ destination: '+61491570156' }, { destination: '+61491570001' }, { destination: '+61491570004' }] },
    });
    expect(r.status).toBe(200);
    const jobId = r.json.data as number;
    // Two final (one delivered, one undeliverable), one waiting for its receipt.
    const s = await until(async () => {
      const got = await status(admin.auth);
      const job = got.json.jobs.shown.find((j: { id: number }) => j.id === jobId);
      return job?.done === 2 && got.json.errors.some((e: { jobId: number }) => e.jobId === jobId) ? got : null;
    });
    expect(s.headers.get('cache-control')).toBe('no-store');
    const job = s.json.jobs.shown.find((j: { id: number }) => j.id === jobId);
    expect(job).toMatchObject({ user: 'st-admin', channel: 'sms', name: 'status job', total: 3, done: 2, succeeded: 1, failed: 1 });
    expect(s.json.jobs.count).toBeGreaterThanOrEqual(1);
    expect(s.json.providers).toEqual([expect.objectContaining({ name: 'sandbox', driver: 'sandbox', link: 'up', liveCalls: null })]);
    expect(s.json.providers[0].attempts).toBeGreaterThanOrEqual(2);
    expect(s.json.providers[0].failures).toBeGreaterThanOrEqual(1);
    expect(s.json.queues.find((q: { channel: string }) => q.channel === 'sms')).toMatchObject({ submitted: 1 });
    expect(s.json.errors.find((e: { jobId: number }) => e.jobId === jobId)).toMatchObject({ kind: 'attempt', provider: 'sandbox', destination: '+61491570001', status: 'undeliverable' });
    expect(s.json.spool).toBe('ok');
  });

  it('serves the page with a strict CSP, and its script and style', async () => {
    const page = await fetch(`${d.url}/status`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('status/status.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const js = await fetch(`${d.url}/status/status.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const code = await js.text();
    expect(code).toContain('textContent');
    expect(code).not.toContain('innerHTML');
    expect((await fetch(`${d.url}/status/status.css`)).status).toBe(200);
  });

  it('opens the live stream with the token as a subprotocol, answering with "switchpost" only', async () => {
    const t = await token({ username: 'st-admin', password: 'admin-secret-1' });
    const ws = new WebSocket(d.url.replace('http', 'ws') + '/stream', ['switchpost', `bearer.${t.json.token}`]);
    const hello = await new Promise<{ type: string; role: string }>((resolve, reject) => {
      ws.once('message', (m) => resolve(JSON.parse(String(m))));
      ws.once('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', role: 'admin' });
    expect(ws.protocol).toBe('switchpost');
    ws.close();
    const bad = new WebSocket(d.url.replace('http', 'ws') + '/stream', ['switchpost', 'bearer.forged']);
    const refused = await new Promise<string>((resolve) => {
      bad.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      bad.once('open', () => resolve('open'));
      bad.once('error', (e) => resolve(e.message));
    });
    expect(refused).toBe('401');
  });

  it('switchpost status prints the same, from the running daemon', async () => {
    const env = { ...process.env, SWITCHPOST_DATA_DIR: d.dir, SWITCHPOST_ADMIN_PASSWORD: 'admin-secret-1' };
    const out = await run(process.execPath, [CLI, 'status', '--url', d.url, '--user', 'st-admin'], { env });
    expect(out.stdout).toContain('switchpost on status-node');
    expect(out.stdout).toMatch(/sandbox\s+sandbox\s+\S+\s+up/);
    expect(out.stdout).toContain('queues');
    expect(out.stdout).toMatch(/jobs in progress: [1-9]/);
    expect(out.stdout).toContain('+61491570001');
    const json = await run(process.execPath, [CLI, 'status', '--url', d.url, '--user', 'st-admin', '--json'], { env });
    expect(JSON.parse(json.stdout).node).toBe('status-node');
    const refused = await run(process.execPath, [CLI, 'status', '--url', d.url, '--user', 'st-user', '--password', 'user-secret-1'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain('for administrators');
  });
});
