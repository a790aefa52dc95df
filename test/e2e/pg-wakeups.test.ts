import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

/**
 * Nodes on one PostgreSQL wake each other with NOTIFY (issue 15): an idle node sleeps until its next
 * due row — here up to 30 s — and still starts at once on a job another node's API took.
 */
const pg = pgDatabases();
const daemons: TestDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0).reverse()) await d.close();
});

const IDLE_MS = 30_000;
const node = async (url: string, id: string, sandbox: boolean): Promise<TestDaemon> => {
  const d = await testDaemon(
    {
      store: { driver: 'postgres', url },
      node: { id, heartbeat_seconds: 30, timeout_seconds: 90, calls_grace_seconds: 600 },
      sandbox: { enabled: sandbox, accept_ms: [1, 5], receipt_ms: [5, 20], delayed_receipt_ms: 300, reply_ms: 10 },
      spool: { poll_ms: 20, idle_poll_ms: IDLE_MS, retry: { tries: 3, backoff_seconds: 0.05, backoff_max_seconds: 1 } },
    },
    { store: 'postgres' },
  );
  daemons.push(d);
  return d;
};

describe('nodes woken by NOTIFY', () => {
  it("starts on another node's job at once, though idle for up to 30 s", async () => {
    const { url } = await pg.fresh();
    // Only b carries SMS: a, which takes the jobs, leaves them to it.
    const b = await node(url, 'node-b', true);
    const a = await node(url, 'node-a', false);
    const u = a.addUser('u', 'user');
    // Both idle: b has slept since its start.
    await new Promise((r) => setTimeout(r, 500));
    for (let k = 0; k < 3; k++) {
      const t0 = Date.now();
      const r = await a.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'wake up', recipients: [{ destination: deliveredTestNumber(k) }] } });
      expect(r.status, r.text).toBe(200);
      const started = await b.waitFor(() => b.db.prepare('SELECT started_at, node_id FROM attempts WHERE job_id = ?').get(r.json.data) as { started_at: number; node_id: string } | undefined, 20_000);
      // Far inside b's idle sleep: only a's NOTIFY can have woken it (its timers would wait up to 30 s).
      expect(started.node_id).toBe('node-b');
      expect(started.started_at - t0).toBeLessThan(IDLE_MS / 3);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
