import { afterEach, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const post = async (dd: TestDaemon, auth: string, body: Record<string, unknown>) => (await dd.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'sms', message: 'x', ...body } })).json.data as number;
const recipients = (dd: TestDaemon, job: number) =>
  dd.db.prepare('SELECT destination, state, reason, tries, due_at FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { destination: string; state: string; reason: string | null; tries: number; due_at: number }[];
const complete = (dd: TestDaemon, job: number) => () => (dd.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';

describe('spool', () => {
  it('retries retryable failures by policy and classes final ones', async () => {
    d = await testDaemon({ sandbox: { accept_ms: [1, 2], receipt_ms: [2, 5], delayed_receipt_ms: 300, reply_ms: 5 } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: ['+61491570005', '+61491570009', '+61491570003', '+61491570002', '+61491570004'].map((destination) => ({ destination })) });
    await d.waitFor(complete(d, job));
    const rows = recipients(d, job);
    expect(rows.map((r) => [r.state, r.tries])).toEqual([
      ['delivered', 2], // throttled once, then delivered
      ['failed', 3], // link down every time: tries exhausted
      ['rejected', 1], // final at once
      ['expired', 1], // receipt said EXPIRED
      ['delivered', 1], // delayed receipt
    ]);
    expect(rows[1]!.reason).toMatch(/link down \(after 3 tries\)/);
    const attempts = d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE job_id = ?').get(job) as { n: number };
    expect(attempts.n).toBe(2 + 3 + 1 + 1 + 1);
    const counters = d.db.prepare('SELECT total, remaining, succeeded, failed, completed_at FROM jobs WHERE id = ?').get(job);
    expect(counters).toMatchObject({ total: 5, remaining: 0, succeeded: 2, failed: 3, completed_at: expect.any(Number) });
  });

  it('finalises a message with no receipt as sent when the receipt timeout passes', async () => {
    d = await testDaemon({ spool: { poll_ms: 20, receipt_timeout_hours: 0.0002 } }); // 0.72 s
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: [{ destination: '+61491570008' }] });
    await d.waitFor(() => recipients(d!, job)[0]!.state === 'submitted');
    await d.waitFor(complete(d, job), 10_000);
    expect(recipients(d, job)[0]).toMatchObject({ state: 'sent', reason: 'no receipt before the timeout' });
  });

  it('moves due_at to the next allowed instant instead of polling a blocked row', async () => {
    // A fixed-offset zone where it is now about noon, so a 12:00 cutoff has always just passed.
    const offset = 12 - new Date().getUTCHours(); // -11 … +12
    const zone = offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    d = await testDaemon();
    const u = d.addUser('u', 'user', { timezone: zone });
    const job = await post(d, u.auth, { cutoff_hour: '12:00', recipients: [{ destination: '+61491570156' }] });
    const row = await d.waitFor(() => recipients(d!, job).find((r) => r.reason === 'waiting for its sending window'));
    const expected = DateTime.now().setZone(zone).plus({ days: 1 }).set({ hour: 8, minute: 0, second: 0, millisecond: 0 }).toMillis();
    expect(row).toMatchObject({ state: 'queued', tries: 0, due_at: expected });
    const attempts = d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE job_id = ?').get(job) as { n: number };
    expect(attempts.n).toBe(0);
  });

  it('holds work while no provider can take it', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: [{ destination: '+61491570156' }] });
    const row = await d.waitFor(() => recipients(d!, job).find((r) => r.reason !== null));
    expect(row.state).toBe('queued');
    expect(row.reason).toMatch(/no active provider offers sms/);
    expect(row.due_at).toBeGreaterThan(Date.now() + 10_000);
  });

  it('sends held work at once when a provider of its service is added, not when the hold ends', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    d.addUser('boss', 'admin', { password: 'boss-secret' });
    const job = await post(d, u.auth, { recipients: [{ destination: deliveredTestNumber(0) }] });
    const held = await d.waitFor(() => recipients(d!, job).find((r) => r.reason !== null));
    expect(held.due_at).toBeGreaterThan(Date.now() + 10_000);
    const made = await d.api('POST', '/providers', { auth: await bearer(d, 'boss', 'boss-secret'), body: { name: 'late', type: 'sandbox', service_flag: 4 } });
    expect(made.status, made.text).toBe(200);
    // Well before the hold's end (≥ 10 s away): the new provider pulled the row forward.
    await d.waitFor(complete(d, job), 5_000);
    expect(recipients(d, job)[0]!.state).toBe('delivered');
  });

  it('fails a retry over to another provider of the service', async () => {
    // Two providers; every "005" number is throttled once by each gateway: a retry on the same one would succeed.
    d = await testDaemon({ providers: [{ name: 'second', driver: 'sandbox', services: ['sms'] }] });
    const u = d.addUser('u', 'user');
    const numbers = Array.from({ length: 12 }, (_, i) => `+614915${String(10 + i).padStart(2, '0')}005`);
    const job = await post(d, u.auth, { recipients: numbers.map((destination) => ({ destination })) });
    await d.waitFor(complete(d, job), 20_000);
    const tries = d.db.prepare('SELECT recipient_id, provider_id, try FROM attempts WHERE job_id = ? ORDER BY recipient_id, try').all(job) as { recipient_id: number; provider_id: number; try: number }[];
    const byRecipient = new Map<number, number[]>();
    for (const t of tries) byRecipient.set(t.recipient_id, [...(byRecipient.get(t.recipient_id) ?? []), t.provider_id]);
    expect(byRecipient.size).toBe(12);
    for (const providers of byRecipient.values()) {
      expect(providers.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < providers.length; i++) expect(providers[i]).not.toBe(providers[i - 1]);
    }
    expect(recipients(d, job).every((r) => r.state === 'delivered')).toBe(true);
  });

  it("keeps to a provider's throughput", async () => {
    d = await testDaemon({ providers: [{ name: 'slow', driver: 'sandbox', services: ['sms'], throughput: 20 }], sandbox: { enabled: false } });
    // A declared sandbox-driver provider is the only sender here.
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: Array.from({ length: 40 }, (_, i) => ({ destination: deliveredTestNumber(i) })) });
    await d.waitFor(complete(d, job), 20_000);
    const t = d.db.prepare('SELECT MIN(started_at) AS a, MAX(started_at) AS b, COUNT(*) AS n FROM attempts WHERE job_id = ?').get(job) as { a: number; b: number; n: number };
    expect(t.n).toBe(40);
    // 20 go at once (the burst), the other 20 at 20/s: at least ~950 ms between first and last.
    expect(t.b - t.a).toBeGreaterThanOrEqual(900);
  });
});

describe("a provider's rate limit from a cold start", () => {
  it("sends at most a tenth of a second's throughput in any 100 ms, and the throughput over a second", async () => {
    const tps = 100;
    d = await testDaemon({ providers: [{ name: 'paced', driver: 'sandbox', services: ['sms'], throughput: tps }], sandbox: { enabled: false }, spool: { poll_ms: 5 } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: Array.from({ length: 250 }, (_, i) => ({ destination: deliveredTestNumber(i) })) });
    await d.waitFor(complete(d, job), 20_000);
    const starts = (d.db.prepare('SELECT started_at AS t FROM attempts WHERE job_id = ? ORDER BY started_at').all(job) as { t: number }[]).map((r) => r.t);
    expect(starts.length).toBe(250);
    // Sliding windows: the most sent in any 100 ms, and in the first second.
    let most = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i]! - starts[j]! >= 100) j++;
      most = Math.max(most, i - j + 1);
    }
    const firstSecond = starts.filter((t) => t < starts[0]! + 1000).length;
    expect(most).toBeLessThanOrEqual(tps / 10 + 2);
    expect(firstSecond).toBeGreaterThanOrEqual(tps * 0.9);
    expect(firstSecond).toBeLessThanOrEqual(tps * 1.1 + 2);
  });
});

describe('spool while a provider is down', () => {
  it('holds every row of the batch until the retry time, not just the first', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: Array.from({ length: 50 }, (_, i) => ({ destination: deliveredTestNumber(i) })) });
    await d.waitFor(() => recipients(d!, job).every((r) => r.reason !== null));
    const rows = recipients(d, job);
    expect(rows.every((r) => r.state === 'queued' && r.due_at > Date.now() + 10_000)).toBe(true);
  });
});

describe('numbers validated off the main thread', () => {
  it('the preparer validates a new job on its worker: addresses stored, invalid numbers failed, before any provider exists', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: [{ destination: '0491 570 156' }, { destination: '+1234' }, { destination: '+61491570157' }] });
    // With no provider the dispatcher holds every row without validating it; only the worker can have done this.
    const rows = await d.waitFor(() => {
      const r = d!.db.prepare('SELECT address, state, reason FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { address: string | null; state: string; reason: string | null }[];
      return r.every((x) => x.address !== null || x.state === 'invalid') && r;
    });
    expect(rows.map((r) => [r.address, r.state])).toEqual([
      ['+61491570156', 'queued'],
      [null, 'invalid'],
      ['+61491570157', 'queued'],
    ]);
    expect(rows[1]!.reason).toMatch(/invalid number/);
    expect(d.db.prepare('SELECT remaining, failed FROM jobs WHERE id = ?').get(job)).toEqual({ remaining: 2, failed: 1 });
  });
});

describe('start-up recovery', () => {
  it('gives a held-back last try its try back once, even when start-up is replayed before the lease is recovered', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: [{ destination: '+61491570156' }] });
    await d.waitFor(() => recipients(d!, job).find((r) => r.reason !== null));
    const { SpoolStore } = await import('../../dist/store/spool.js');
    const { SpoolBatch } = await import('../../dist/store/spool-batch.js');
    const spool = new SpoolStore(d.db);
    const batch = new SpoolBatch(d.db);
    const r = d.db.prepare('SELECT id FROM recipients WHERE job_id = ?').get(job) as { id: number };
    // A previous run leased it for its second try and held it back from the wire (the real SQLite file).
    d.db.prepare('UPDATE recipients SET tries = 1 WHERE id = ?').run(r.id);
    const attemptId = batch.insertAttempts([{ recipientId: r.id, jobId: job, providerId: 1, tryNo: 2, destination: '+61491570156', sender: null, twoWay: false, unsent: true }], Date.now()).get(r.id)!;
    batch.lease([{ id: r.id, address: '+61491570156', attemptId }], Date.now() + 60_000);
    const giveBack = () => {
      spool.giveBackTries(
        spool
          .leasedBy([])
          .filter((row) => row.unsent)
          .map((row) => row.attempt_id),
      );
    };
    giveBack(); // killed here, before recoverLeases
    giveBack(); // the next start-up runs it again
    expect(recipients(d, job)[0]).toMatchObject({ state: 'sending', tries: 1 });
    spool.recoverLeases(Date.now());
    expect(recipients(d, job)[0]).toMatchObject({ state: 'queued', tries: 1 });
  });
});

describe('claim', () => {
  it('never sends a row whose tries are all used: it ends failed, naming the tries, with no attempt', async () => {
    d = await testDaemon({ sandbox: { enabled: false } });
    const u = d.addUser('u', 'user');
    const job = await post(d, u.auth, { recipients: [{ destination: '+61491570156' }] });
    await d.waitFor(() => recipients(d!, job).find((r) => r.reason !== null));
    // As a stop past its grace leaves a last try: requeued with its 3 tries counted.
    d.db.prepare('UPDATE recipients SET tries = 3, due_at = ? WHERE job_id = ?').run(Date.now() - 1, job);
    d.spool.wake();
    const row = await d.waitFor(() => recipients(d!, job).find((r) => r.state === 'failed'));
    expect(row.reason).toMatch(/3 tries were used/);
    expect(row.tries).toBe(3);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE job_id = ?').get(job) as { n: number }).n).toBe(0);
    expect(d.db.prepare('SELECT remaining, failed FROM jobs WHERE id = ?').get(job) as { remaining: number; failed: number }).toEqual({ remaining: 0, failed: 1 });
  });
});
