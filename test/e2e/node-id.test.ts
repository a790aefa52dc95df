import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../dist/config/load.js';
import { CLI, cli, exited, freePort, killAll } from '../helpers/process.js';
import { basic, bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';

// Issue 15: which node did what — node.id on every attempt, every log line and /health.

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-node-'));
  dirs.push(dir);
  return dir;
};
let d: TestDaemon | undefined;
afterEach(async () => {
  await killAll();
  await d?.close();
  d = undefined;
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('node.id', () => {
  it('is the host name by default; SWITCHPOST_NODE_ID sets it; a bad one is refused naming the key and its variable', () => {
    if (/^[A-Za-z0-9._-]{1,64}$/.test(hostname())) expect(loadConfig({ env: {} }).node.id).toBe(hostname());
    expect(loadConfig({ env: { SWITCHPOST_NODE_ID: 'edge-2.syd_b' } }).node.id).toBe('edge-2.syd_b');
    expect(loadConfig({ env: {}, overrides: { node: { id: 'from-file' } } }).node.id).toBe('from-file');
    expect(loadConfig({ env: { SWITCHPOST_NODE_ID: 'x'.repeat(64) } }).node.id).toHaveLength(64);
    for (const bad of ['', 'has space', 'semi;colon', 'x'.repeat(65), 'ünï', 'a/b', 'line\nbreak']) {
      expect(() => loadConfig({ env: { SWITCHPOST_NODE_ID: bad } }), JSON.stringify(bad)).toThrow(/^invalid config at node\.id: a short name: letters, digits, \. _ - only \(1-64\).* \(env SWITCHPOST_NODE_ID\)$/s);
    }
  });

  it('node.heartbeat_seconds, timeout_seconds and calls_grace_seconds: defaults, environment, and combinations refused naming the key', () => {
    expect(loadConfig({ env: {} }).node).toMatchObject({ heartbeat_seconds: 5, timeout_seconds: 30, calls_grace_seconds: 3600 });
    expect(loadConfig({ env: { SWITCHPOST_NODE_HEARTBEAT_SECONDS: '2', SWITCHPOST_NODE_TIMEOUT_SECONDS: '6', SWITCHPOST_NODE_CALLS_GRACE_SECONDS: '600' } }).node).toMatchObject({
      heartbeat_seconds: 2,
      timeout_seconds: 6,
      calls_grace_seconds: 600,
    });
    expect(loadConfig({ env: { SWITCHPOST_NODE_HEARTBEAT_SECONDS: '10' } }).node.timeout_seconds).toBe(30);
    expect(() => loadConfig({ env: { SWITCHPOST_NODE_HEARTBEAT_SECONDS: '11' } })).toThrow(/^invalid config at node\.timeout_seconds: node\.timeout_seconds must be at least 3 × node\.heartbeat_seconds.* \(env SWITCHPOST_NODE_TIMEOUT_SECONDS\)$/);
    expect(() => loadConfig({ env: { SWITCHPOST_NODE_TIMEOUT_SECONDS: '3600' } })).toThrow(/^invalid config at node\.calls_grace_seconds: node\.calls_grace_seconds must be longer than node\.timeout_seconds/);
    expect(() => loadConfig({ env: { SWITCHPOST_NODE_HEARTBEAT_SECONDS: '0' } })).toThrow(/node\.heartbeat_seconds/);
  });

  it('a bad node id stops `switchpost start` with a clear error, before anything is created', () => {
    const dir = join(tempDir(), 'data');
    const r = cli(['start'], { SWITCHPOST_DATA_DIR: dir, SWITCHPOST_HTTP_PORT: '0', SWITCHPOST_NODE_ID: 'node one' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/switchpost: invalid config at node\.id: a short name.*\(env SWITCHPOST_NODE_ID\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
  });

  it("a real daemon: /health, every log line (the engine thread's too) and every attempt carry the node id from the environment", async () => {
    const dir = tempDir();
    const port = await freePort();
    const env = {
      SWITCHPOST_DATA_DIR: dir,
      SWITCHPOST_HTTP_PORT: String(port),
      SWITCHPOST_NODE_ID: 'node-a.1',
      SWITCHPOST_LOG_LEVEL: 'info',
      SWITCHPOST_SPOOL_POLL_MS: '20',
      SWITCHPOST_SPOOL_RETRY_BACKOFF_SECONDS: '0.05',
      SWITCHPOST_SANDBOX_ACCEPT_MS: '[1, 5]',
      SWITCHPOST_SANDBOX_RECEIPT_MS: '[5, 20]',
    };
    expect(cli(['user', 'add', 'nodeuser', '--role', 'user', '--password', 'node-password'], env).status).toBe(0);
    const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const url = `http://127.0.0.1:${port}`;
    let health: Record<string, unknown> | null = null;
    for (let i = 0; i < 300 && !health; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${err}`);
      try {
        const res = await fetch(`${url}/health`);
        const body = (await res.json()) as Record<string, unknown>;
        if (res.ok && body.pid === child.pid) health = body;
      } catch {}
      if (!health) await new Promise((r) => setTimeout(r, 50));
    }
    expect(health).toMatchObject({ status: 'ok', pid: child.pid, node: 'node-a.1' });

    const res = await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('nodeuser', 'node-password'), 'content-type': 'application/json' },
      // 005 is throttled on its first try: two attempts, both this node's.
      body: JSON.stringify({ job_type: 'sms', message: 'which node?', recipients: [{ destination: '+61491570156' }, { destination: '+61491570005' }] }),
    });
    const jobId = ((await res.json()) as { data: number }).data;
    const attempts = () => {
      const db = new Database(join(dir, 'switchpost.db'), { readonly: true });
      try {
        return db.prepare('SELECT a.node_id, r.state FROM attempts a JOIN recipients r ON r.id = a.recipient_id WHERE a.job_id = ? ORDER BY a.id').all(jobId) as { node_id: string | null; state: string }[];
      } finally {
        db.close();
      }
    };
    for (let i = 0; i < 300; i++) {
      const rows = attempts();
      if (rows.length === 3 && rows.every((r) => r.state === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(attempts().map((a) => a.node_id)).toEqual(['node-a.1', 'node-a.1', 'node-a.1']);
    // 'job finished' is logged on the engine's thread, so its line crossed to the main thread's logger.
    for (let i = 0; i < 100 && !out.includes('job finished'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await exited(child);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { node?: string; msg?: string });
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.map((l) => l.msg)).toContain('job finished');
    for (const l of lines) expect(l, JSON.stringify(l)).toMatchObject({ node: 'node-a.1' });
  });

  it("an in-process daemon: the configured id is on /health, on its attempts and on ICTCore's spool detail", async () => {
    d = await testDaemon({ node: { id: 'alpha_7' } });
    d.addUser('ann', 'user', { password: 'ann-secret' });
    const ann = await bearer(d, 'ann', 'ann-secret');
    expect((await d.api('GET', '/health')).json).toMatchObject({ node: 'alpha_7' });
    const text = (await d.api('POST', '/messages/texts', { auth: ann, body: { name: 'n', data: 'hello' } })).json;
    const program = (await d.api('POST', '/programs/sendsms', { auth: ann, body: { name: 'p', text_id: text } })).json as number;
    const contact = (await d.api('POST', '/contacts', { auth: ann, body: { first_name: 'Ann', phone: '+61491570156' } })).json;
    const id = (await d.api('POST', '/transmissions', { auth: ann, body: { program_id: program, contact_id: contact } })).json as number;
    const spool = (await d.api('POST', `/transmissions/${id}/send`, { auth: ann })).json as number;
    await d.waitFor(() => (d!.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state === 'delivered');
    expect(d.db.prepare('SELECT node_id FROM attempts WHERE id = ?').get(spool)).toEqual({ node_id: 'alpha_7' });
    expect((await d.api('GET', `/transmissions/${id}/detail`, { auth: ann })).json).toMatchObject([{ spool_id: spool, node: 'alpha_7' }]);
  });
});
