import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

/** Two daemons (nodes) on one PostgreSQL database (issue 15): what each is given is sent once, by either. */
const pg = pgDatabases();
const daemons: TestDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0).reverse()) await d.close();
});

const node = async (url: string, id: string): Promise<TestDaemon> => {
  const d = await testDaemon(
    { store: { driver: 'postgres', url }, node: { id, heartbeat_seconds: 1, timeout_seconds: 3, calls_grace_seconds: 60 }, spool: { batch_size: 20, poll_ms: 20, retry: { tries: 3, backoff_seconds: 0.05, backoff_max_seconds: 1 } } },
    { store: 'postgres' },
  );
  daemons.push(d);
  return d;
};

describe('two daemons on one PostgreSQL store', () => {
  it('send every recipient of jobs posted to either exactly once, each registered and beating', async () => {
    const { url } = await pg.fresh();
    const a = await node(url, 'node-a');
    const b = await node(url, 'node-b');
    const u = a.addUser('u', 'user');
    const post = (d: TestDaemon, from: number) => d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'two nodes', recipients: Array.from({ length: 300 }, (_, i) => ({ destination: deliveredTestNumber(from + i) })) } });
    const [ra, rb] = await Promise.all([post(a, 0), post(b, 300)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const jobs = [ra.json.data as number, rb.json.data as number];
    const open = () =>
      a.db
        .prepare("SELECT COUNT(*) FROM recipients WHERE job_id IN (?, ?) AND state <> 'delivered'")
        .pluck()
        .get(...jobs) as number;
    await a.waitFor(() => open() === 0, 60_000);
    const attempts = a.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT recipient_id) AS d FROM attempts WHERE job_id IN (?, ?)').get(...jobs);
    expect(attempts).toEqual({ n: 600, d: 600 });
    const byNode = a.db.prepare('SELECT node_id, COUNT(*) AS n FROM attempts GROUP BY node_id ORDER BY node_id').all() as { node_id: string; n: number }[];
    expect(byNode.every((r) => r.node_id === 'node-a' || r.node_id === 'node-b')).toBe(true);
    expect(a.db.prepare('SELECT status, COUNT(*) AS n FROM attempts GROUP BY status').all()).toEqual([{ status: 'delivered', n: 600 }]);
    const nodes = a.db.prepare('SELECT id, recovered_at, heartbeat_at FROM nodes ORDER BY id').all() as { id: string; recovered_at: number | null; heartbeat_at: number }[];
    expect(nodes.map((n) => [n.id, n.recovered_at])).toEqual([
      ['node-a', null],
      ['node-b', null],
    ]);
    const beat = nodes[0]!.heartbeat_at;
    await a.waitFor(() => (a.db.prepare("SELECT heartbeat_at FROM nodes WHERE id = 'node-a'").pluck().get() as number) > beat, 10_000);
  });
});
