import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The Prometheus text format (0.0.4) read strictly: every line a `# HELP`, a `# TYPE` or a sample
 * `name{label="value",…} number`; a sample's family must have had its TYPE first. Throws on anything else.
 */
function parseProm(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const family = (name: string) => [name, name.replace(/_(bucket|sum|count|total|created)$/, '')].find((n) => types.has(n));
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus text line: ${line}`);
    if (!family(m[1]!)) throw new Error(`sample before its # TYPE: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const l = re.exec(body);
      if (!l) throw new Error(`bad labels: ${line}`);
      labels[l[1]!] = l[2]!;
      at = re.lastIndex;
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

describe('GET /metrics', () => {
  let d: TestDaemon;
  let alice: { id: number; auth: string };
  const scrape = async () => {
    const res = await fetch(`${d.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseProm(await res.text());
  };

  beforeAll(async () => {
    d = await testDaemon({ node: { id: 'metrics-node' } });
    alice = d.addUser('au/alice', 'user');
  });
  afterAll(async () => d?.close());

  it('counts a job of N SMS: delivered attempts and parts by provider, receipt latency, spool back to 0 queued', async () => {
    const before = await scrape();
    const delivered = (s: Sample[]) => value(s, 'switchpost_attempts_total', { provider: 'sandbox', outcome: 'delivered', node: 'metrics-node' });
    const N = 7;
    const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message: 'metrics test', recipients: Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i) })) } });
    expect(r.status).toBe(200);
    const id = r.json.data as number;
    await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete');
    // The engine's counts arrive with its stats (every 100 ms at most).
    let after = await scrape();
    for (let i = 0; i < 50 && delivered(after.samples) - delivered(before.samples) < N; i++) {
      await new Promise((res) => setTimeout(res, 50));
      after = await scrape();
    }
    expect(delivered(after.samples) - delivered(before.samples)).toBe(N);
    expect(value(after.samples, 'switchpost_sms_parts_submitted_total', { provider: 'sandbox' }) - value(before.samples, 'switchpost_sms_parts_submitted_total', { provider: 'sandbox' })).toBe(N);
    expect(value(after.samples, 'switchpost_receipt_latency_seconds_count', { provider: 'sandbox' }) - value(before.samples, 'switchpost_receipt_latency_seconds_count', { provider: 'sandbox' })).toBe(N);
    expect(after.types.get('switchpost_receipt_latency_seconds')).toBe('histogram');
    expect(after.samples.find((s) => s.name === 'switchpost_spool_recipients' && s.labels.state === 'queued' && s.labels.channel === 'sms')?.value).toBe(0);
    expect(value(after.samples, 'switchpost_spool_recipients', {})).toBe(0);
    expect(after.samples.find((s) => s.name === 'switchpost_spool_due_lag_seconds')?.value).toBe(0);
    expect(after.samples.find((s) => s.name === 'switchpost_provider_link_up' && s.labels.provider === 'sandbox')?.value).toBe(1);
    expect(after.types.get('switchpost_attempts_total')).toBe('counter');
    // Process metrics on the daemon's own registry, with the node's id.
    expect(after.samples.find((s) => s.name === 'process_cpu_user_seconds_total')?.labels.node).toBe('metrics-node');
  });

  it('counts a long SMS as one attempt of its parts, and its status callback as delivered', async () => {
    let calls = 0;
    const receiver = createServer((req, res) => {
      calls++;
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const before = (await scrape()).samples;
      const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
      // 200 GSM characters: two parts of 153.
      const r = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'sms', message: 'x'.repeat(200), callback_on_sms_status_update: callbackUrl, recipients: [{ destination: deliveredTestNumber(500) }] } });
      expect(r.status).toBe(200);
      const id = r.json.data as number;
      await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete');
      await d.waitFor(() => calls >= 1);
      const diff = (after: Sample[], name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
      let after = (await scrape()).samples;
      for (let i = 0; i < 50 && diff(after, 'switchpost_callback_deliveries_total', { result: 'delivered' }) < 1; i++) {
        await new Promise((res) => setTimeout(res, 50));
        after = (await scrape()).samples;
      }
      expect(diff(after, 'switchpost_attempts_total', { provider: 'sandbox', outcome: 'delivered' })).toBe(1);
      expect(diff(after, 'switchpost_sms_parts_submitted_total', { provider: 'sandbox' })).toBe(2);
      expect(diff(after, 'switchpost_callback_deliveries_total', { result: 'delivered' })).toBe(calls);
      expect(after.find((s) => s.name === 'switchpost_callback_outbox_depth' && s.labels.state === 'pending')?.value).toBe(0);
    } finally {
      receiver.close();
    }
  });

  it('labels HTTP requests by face and route pattern, never the raw URL', async () => {
    await d.api('GET', '/api/v1/jobs/424242', { auth: alice.auth });
    await d.api('GET', '/api/v1/jobs/434343', { auth: alice.auth });
    const text = await (await fetch(`${d.url}/metrics`)).text();
    const { samples } = parseProm(text);
    const jobs = samples.filter((s) => s.name === 'switchpost_http_requests_total' && s.labels.route === '/api/v1/jobs/:id');
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((s) => s.labels.face === 'welcorp')).toBe(true);
    expect(value(samples, 'switchpost_http_requests_total', { route: '/api/v1/jobs/:id', method: 'GET' })).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('424242');
    // ICTCore at both its bases (/api and the root), told from the v1 API under its /api.
    await d.api('GET', '/api/users', { auth: alice.auth });
    await d.api('GET', '/users', { auth: alice.auth });
    const after = parseProm(await (await fetch(`${d.url}/metrics`)).text()).samples;
    expect(after.filter((s) => s.name === 'switchpost_http_requests_total' && (s.labels.route === '/api/users' || s.labels.route === '/users')).map((s) => s.labels.face)).toEqual(['ictcore', 'ictcore']);
    expect(samples.some((s) => s.name === 'switchpost_http_requests_total' && s.labels.route === '/metrics' && s.labels.face === 'daemon' && s.labels.status === '200')).toBe(true);
    expect(samples.some((s) => s.name === 'switchpost_http_request_duration_seconds_bucket' && s.labels.route === '/api/v1/jobs/:id' && s.labels.le === '+Inf')).toBe(true);
  });

  it('times conversions by kind and result, and the calls into the store thread', async () => {
    const before = await scrape();
    const count = (x: { samples: Sample[] }, kind: string, result: string) => value(x.samples, 'switchpost_conversion_duration_seconds_count', { kind, result });
    // A fax job with a text document: ghostscript renders it (real); one with a file that is no document fails.
    const fax = (name: string, content: string) =>
      d.api('POST', '/api/v1/jobs', { auth: alice.auth, body: { job_type: 'fax', recipients: [{ destination: '+61491570156' }], files: [{ name, base64content: Buffer.from(content).toString('base64') }] } });
    expect((await fax('note.txt', 'Hello fax')).status).toBe(200);
    expect((await fax('broken.pdf', 'not a PDF at all')).status).toBe(422);
    const after = await scrape();
    expect(count(after, 'fax', 'ok') - count(before, 'fax', 'ok')).toBe(1);
    expect(count(after, 'fax', 'failed') - count(before, 'fax', 'failed')).toBe(1);
    expect(value(after.samples, 'switchpost_conversion_duration_seconds_sum', { kind: 'fax', result: 'ok' })).toBeGreaterThan(0);
    expect(after.types.get('switchpost_conversion_duration_seconds')).toBe('histogram');
    // Every API request above read or wrote the store on its thread.
    expect(value(after.samples, 'switchpost_store_call_duration_seconds_count', { kind: 'store' })).toBeGreaterThan(value(before.samples, 'switchpost_store_call_duration_seconds_count', { kind: 'store' }));
    expect(after.types.get('switchpost_store_call_duration_seconds')).toBe('histogram');
    // Declared even before any fax page or call (the sandbox has no live calls to report).
    expect(after.types.get('switchpost_fax_pages_total')).toBe('counter');
    expect(after.types.get('switchpost_live_calls')).toBe('gauge');
  });

  it('serves every metric the Grafana dashboard uses', async () => {
    const dashboard = readFileSync(new URL('../../config/grafana/switchpost.json', import.meta.url), 'utf8');
    const exprs = [...dashboard.matchAll(/"expr":\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(switchpost_[a-z0-9_]+)/g)].map((m) => m[1]!)));
    // A family is served once its # TYPE is, samples or not (a counter nothing has counted yet).
    const { types } = await scrape();
    expect([...used].filter((n) => !types.has(n) && !types.has(n.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(6);
  });
});

describe('GET /metrics spool levels', () => {
  it('shows queued work by channel and the due lag of the oldest', async () => {
    // Polled once a minute and not woken after start (rows written straight into the store): the row stays queued and overdue.
    const d = await testDaemon({ spool: { poll_ms: 60_000 } });
    try {
      const alice = d.addUser('au/alice', 'user');
      // The start's own commits (the sandbox's link coming up) wake the dispatcher once: let that pass first.
      await new Promise((r) => setTimeout(r, 500));
      const job = d.db.prepare(`INSERT INTO jobs (user_id, face, channel, content, created_at, total, remaining) VALUES (?, 'welcorp', 'fax', '{}', ?, 1, 1)`).run(alice.id, Date.now());
      d.db.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, 1, '+61491570156', 'queued', ?)`).run(job.lastInsertRowid, Date.now() - 60_000);
      const { samples } = parseProm(await (await fetch(`${d.url}/metrics`)).text());
      expect(samples.find((s) => s.name === 'switchpost_spool_recipients' && s.labels.state === 'queued' && s.labels.channel === 'fax')?.value).toBe(1);
      expect(samples.find((s) => s.name === 'switchpost_spool_recipients' && s.labels.state === 'queued' && s.labels.channel === 'sms')?.value).toBe(0);
      expect(samples.find((s) => s.name === 'switchpost_spool_due_lag_seconds')!.value).toBeGreaterThanOrEqual(59);
    } finally {
      await d.close();
    }
  });
});

describe('GET /metrics access', () => {
  it('refuses an address not in metrics.allow with 403, in plain text', async () => {
    const d = await testDaemon({ metrics: { allow: ['10.0.0.0/8'] } });
    try {
      const res = await fetch(`${d.url}/metrics`);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toMatch(/metrics\.allow/);
    } finally {
      await d.close();
    }
  });

  it('with metrics.token, admits the bearer token only (401 otherwise); the address must still be allowed', async () => {
    const token = 'a-scrape-token-of-some-length';
    const d = await testDaemon({ metrics: { token } });
    try {
      const none = await fetch(`${d.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(`${d.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      expect((await fetch(`${d.url}/metrics`, { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
      const ok = await fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE switchpost_attempts_total counter');
    } finally {
      await d.close();
    }
    const far = await testDaemon({ metrics: { token, allow: ['192.0.2.0/24'] } });
    try {
      expect((await fetch(`${far.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    } finally {
      await far.close();
    }
  });

  it('is not served when metrics.enabled is false', async () => {
    const d = await testDaemon({ metrics: { enabled: false } });
    try {
      expect((await fetch(`${d.url}/metrics`)).status).toBe(404);
    } finally {
      await d.close();
    }
  });
});
