import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { underProbe } from '../helpers/probe.js';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { jobDetailV0 } from '../helpers/welcorp-report-v0.js';
import { JobStore } from '../../dist/store/jobs.js';
import { CallbackStore } from '../../dist/store/callbacks.js';
import { smsContent } from '../../dist/core/content.js';
import { plainJob } from '../../dist/core/jobs.js';

// The job detail is streamed a keyset page at a time (issue 14): the body must stay the very JSON the
// whole-document builder made, and a huge job must not hold the event loop while it is written.

let d: TestDaemon;
let alice: { id: number; auth: string };
let rx: Awaited<ReturnType<typeof callbackReceiver>>;

beforeAll(async () => {
  rx = await callbackReceiver();
  d = await testDaemon();
  alice = d.addUser('au/alice', 'user');
});
afterAll(async () => {
  await d.close();
  await rx.close();
});

const finished = (id: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete';
const expected = (id: number, withCallbacks: boolean) => {
  const job = new JobStore(d.db).get(id)!;
  return JSON.stringify({ status: 200, data: jobDetailV0(job, new JobStore(d.db).recipients(id), withCallbacks ? new CallbackStore(d.db).statusByRecipient(id) : null) });
};

describe('GET /api/v1/jobs/{id}, streamed', () => {
  it('is byte for byte the whole-document JSON for a job of 1,203 recipients over three pages: mixed outcomes, fields, callbacks of every state', async () => {
    // Delivered (156), undeliverable (001), invalid numbers; names and fields JSON must escape.
    const recipients = Array.from({ length: 1203 }, (_, i) => {
      const destination = i % 7 === 3 ? `04${i}` : `+61491570${i % 3 === 0 ? '001' : '156'}`;
      return { destination, reference: i % 5 === 0 ? null : `ref-${i}`, recipient: i % 4 === 0 ? `Zoë "${i}" \\ ☎ \u2028` : `R${i}`, ...(i % 2 ? { field1: `v${i}`, 'field 2.x-y': i } : {}) };
    });
    const body = { job_type: 'sms', job_name: 'Big "one"', message: 'Hi %%recipient%%', callback_url: rx.url, callback_on_sms_status_update: true, user_list_ids: null, recipients };
    const post = await d.api('POST', '/api/v1/jobs', { auth: alice.auth, body });
    expect(post.status).toBe(200);
    const id = post.json.data as number;
    await d.waitFor(finished(id), 30_000);
    await d.waitFor(() => (d.db.prepare("SELECT COUNT(*) AS n FROM callbacks WHERE job_id = ? AND state = 'pending'").get(id) as { n: number }).n === 0, 30_000);
    // Every callback state, and recipients with several callbacks (the worst one, then the newest, wins).
    const cbs = d.db.prepare('SELECT id, recipient_id FROM callbacks WHERE job_id = ? ORDER BY id').all(id) as { id: number; recipient_id: number }[];
    expect(cbs.length).toBeGreaterThan(500);
    const far = Date.now() + 3_600_000;
    for (const [i, c] of cbs.entries()) {
      if (i % 5 === 1) d.db.prepare("UPDATE callbacks SET state = 'failed', last_error = ? WHERE id = ?").run(`HTTP 500 "${i}"`, c.id);
      if (i % 5 === 2) d.db.prepare("UPDATE callbacks SET state = 'pending', next_at = ?, last_error = ? WHERE id = ?").run(far, i % 10 === 2 ? 'timeout' : null, c.id);
      if (i % 9 === 0) {
        d.db
          .prepare("INSERT INTO callbacks (user_id, job_id, recipient_id, kind, url, content_type, body, state, next_at, created_at, last_error) VALUES (?, ?, ?, 'sms.status', 'x', 'x', 'x', ?, ?, 0, ?)")
          .run(alice.id, id, c.recipient_id, i % 2 ? 'delivered' : 'failed', far, i % 2 ? null : 'later failure');
      }
    }
    const states = d.db.prepare('SELECT DISTINCT state FROM recipients WHERE job_id = ?').all(id).length;
    expect(states).toBeGreaterThan(0);
    const got = await d.api('GET', `/api/v1/jobs/${id}`, { auth: alice.auth });
    expect(got.status).toBe(200);
    const want = expected(id, true);
    expect(got.text.length).toBe(want.length);
    expect(got.text === want).toBe(true);
    expect(got.json.data.reports.map((r: { callback_status: string | null }) => r.callback_status)).toEqual(expect.arrayContaining(['delivered', 'failed', 'pending']));
    expect(new Set(got.json.data.reports.map((r: { status: string }) => r.status)).size).toBeGreaterThan(1);
  });

  it('is the same JSON for a job without a callback URL, an empty job, and one held in the queue', async () => {
    const jobs = new JobStore(d.db);
    const make = (n: number, held: boolean) =>
      jobs.create(
        plainJob({
          userId: alice.id,
          face: 'welcorp',
          channel: 'sms',
          content: smsContent({ template: 'x' }),
          options: { job_type: 'sms', message: 'x' },
          held,
          recipients: Array.from({ length: n }, (_, i) => ({ destination: `+61491570${String(100 + (i % 800)).padStart(3, '0')}`, name: null, reference: `r${i}`, fields: i % 3 ? { a: i } : null, blackouts: null })),
        }),
      );
    for (const id of [make(0, true), make(1, true), make(500, true), make(501, true), make(1000, true)]) {
      const got = await d.api('GET', `/api/v1/jobs/${id}`, { auth: alice.auth });
      expect(got.status).toBe(200);
      expect(got.text === expected(id, false), `job ${id}`).toBe(true);
    }
    const res = await fetch(`${d.url}/api/v1/jobs/${jobs.list({ userId: alice.id, role: 'user' }, {}, 1, 1).rows[0]!.id}`, { headers: { authorization: alice.auth } });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await res.text();
  });
});

describe('a 100,000-recipient report (about 30 MB)', () => {
  it('is served while timers and /health keep running: no event-loop gap, nor a /health answer, past 400 ms (the whole-document builder held it 1-2 s)', async () => {
    const jobs = new JobStore(d.db);
    const n = 100_000;
    const id = d.db.transaction(() => {
      const jobId = jobs.create(
        plainJob({
          userId: alice.id,
          face: 'welcorp',
          channel: 'sms',
          name: 'huge',
          content: smsContent({ template: 'Hello %%recipient%%' }),
          options: { job_type: 'sms', message: 'Hello %%recipient%%' },
          sender: '+61417914491',
          held: true,
          recipients: Array.from({ length: n }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}`, name: `Recipient ${i}`, reference: `ref-${i}`, fields: { field1: `value ${i}` }, blackouts: null })),
        }),
      );
      // Final, as if sent: the report has dates, notes and costs to write.
      d.db.prepare("UPDATE recipients SET state = 'delivered', address = destination, sent_at = ?, final_at = ?, cost = 0.05, parts = 1 WHERE job_id = ?").run(Date.now(), Date.now(), jobId);
      return jobId;
    })();

    // Read the body as bytes: parsing 30 MB while reading would be this test's own gap, not the daemon's.
    const {
      result: res,
      gap,
      health,
      n: asked,
    } = await underProbe(d.url, async () => {
      const r = await fetch(`${d.url}/api/v1/jobs/${id}`, { headers: { authorization: alice.auth } });
      const chunks: Uint8Array[] = [];
      for await (const c of r.body!) chunks.push(c as Uint8Array);
      return { status: r.status, text: Buffer.concat(chunks).toString('utf8') };
    });

    expect(res.status).toBe(200);
    const text = res.text;
    expect(text.length).toBeGreaterThan(25_000_000);
    const data = JSON.parse(text).data;
    expect(data.recipients).toHaveLength(n);
    expect(data.reports).toHaveLength(n);
    expect(data.reports[n - 1]).toMatchObject({ reference: `ref-${n - 1}`, status: 'SENT', notes: 'SenderID: +61417914491.' });
    expect(asked).toBeGreaterThan(3);
    console.log(`report of ${text.length} bytes: longest timer gap ${gap.toFixed(1)} ms, slowest /health ${health.toFixed(1)} ms of ${asked}`);
    // Generous bounds: the machine is shared, and a loaded one deschedules us for 100-200 ms at times;
    // bench/report-stream.js has the figures (a few ms to tens of ms quiet).
    expect(gap).toBeLessThan(400);
    expect(health).toBeLessThan(400);
  }, 120_000);
});
