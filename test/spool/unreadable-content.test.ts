import { afterEach, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

it('fails the recipients of a job whose stored content cannot be read, and sends every other job', async () => {
  d = await testDaemon();
  const u = d.addUser('u', 'user');
  // A job row no face wrote (an old bag, as a hand-made tool or a restored backup might leave), due now.
  const bad = Number(d.db.prepare(`INSERT INTO jobs (user_id, face, channel, content, options, total, remaining, created_at) VALUES (?, 'cli', 'sms', '{"message":"x"}', '{}', 1, 1, ?)`).run(u.id, Date.now()).lastInsertRowid);
  d.db.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, 0, '+61491570156', 'queued', 0)`).run(bad);
  const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'hello', recipients: [{ destination: '+61491570157' }] } });
  const good = r.json.data as number;
  const recipient = (id: number) => d!.db.prepare('SELECT state, reason FROM recipients WHERE job_id = ?').get(id) as { state: string; reason: string | null };
  await d.waitFor(() => recipient(good).state === 'delivered' && recipient(bad).state === 'failed');
  expect(recipient(bad).reason).toMatch(/^its job cannot be sent: stored content: kind: /);
  expect(d.db.prepare('SELECT status FROM jobs WHERE id = ?').pluck().get(bad)).toBe('complete');
});
