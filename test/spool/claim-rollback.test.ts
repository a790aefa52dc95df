import { afterEach, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refuseInsert } from '../helpers/store-faults.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

it('a row the store refuses to claim waits, saying why; the rest of its batch goes, and no in-flight slot leaks', async () => {
  d = await testDaemon({ spool: { poll_ms: 20, max_in_flight: 5, retry: { tries: 3, backoff_seconds: 0.05, backoff_max_seconds: 1 } } });
  const u = d.addUser('u', 'user');
  // The store refuses the attempt of one number: a claim that reaches it rolls back, the rows before it too.
  const allow = refuseInsert(d.db, 'attempts', 'destination', '+61491570199', 'disk says no');
  const destinations = ['+61491570156', '+61491570157', '+61491570158', '+61491570199'];
  const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'x', recipients: destinations.map((destination) => ({ destination })) } });
  expect(r.status).toBe(200);
  const job = r.json.data as number;
  const rows = () => d!.db.prepare('SELECT state, reason, due_at FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { state: string; reason: string | null; due_at: number }[];
  await d.waitFor(() => rows().filter((x) => x.state === 'delivered').length === 3);
  const refused = rows()[3]!;
  expect(refused).toMatchObject({ state: 'queued', reason: 'could not be claimed: disk says no' });
  expect(refused.due_at).toBeGreaterThan(Date.now() + 50_000); // set aside for a minute, not tried at every tick
  // Every slot the failed claims took is back: the limit of five would otherwise be spent.
  const health = await fetch(`${d.url}/health`).then((res) => res.json());
  expect(health.in_flight).toBe(0);
  allow();
  d.db.prepare('UPDATE recipients SET due_at = 0 WHERE job_id = ? AND state = ?').run(job, 'queued');
  await d.waitFor(() => rows().every((x) => x.state === 'delivered'));
});
