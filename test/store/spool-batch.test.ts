import { describe, expect, it } from 'vitest';
import { SpoolBatch, moveKey } from '../../dist/store/spool-batch.js';
import { CallbackStore } from '../../dist/store/callbacks.js';
import { seedJob, tempDb } from '../helpers/temp-db.js';

const current = tempDb();

describe('the spool’s set-based statements', () => {
  it('are each driven by their batch: no table or state-index scan, whatever the spool holds', () => {
    const db = current();
    // The SQL each statement was prepared from, caught as the store prepares it.
    const sqls: string[] = [];
    const spy = new Proxy(db, { get: (t, k) => (k === 'prepare' ? (sql: string) => (sqls.push(sql), t.prepare(sql)) : Reflect.get(t, k, t)) });
    new SpoolBatch(spy);
    new CallbackStore(spy);
    const batched = sqls.filter((s) => /jsonb?_each/.test(s));
    expect(batched.length).toBeGreaterThan(20);
    for (const sql of batched) {
      const st = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
      const binds = named.length ? [Object.fromEntries(named.map((n) => [n, n === 'rows' ? '[]' : 1]))] : Array.from(sql.matchAll(/\?/g), () => '[]');
      const plan = (st.all(...binds) as { detail: string }[]).map((p) => p.detail);
      const scans = plan.filter((d) => /^SCAN /.test(d) && !/VIRTUAL TABLE/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
      expect({ sql, plan: plan.filter((d) => d.includes('recipients_due')) }).toEqual({ sql, plan: [] });
    }
  });

  it('claims a batch in a few statements, and applies each guarded move only while its attempt is current', () => {
    const db = current();
    const job = seedJob(db, 3);
    const b = new SpoolBatch(db);
    const now = Date.now();
    const attempts = b.insertAttempts(
      [1, 2, 3].map((id) => ({ recipientId: id, jobId: job, providerId: 1, tryNo: 1, destination: `+6149157000${id}`, sender: null, twoWay: false, unsent: id === 3 })),
      now,
    );
    expect([...attempts.keys()].sort()).toEqual([1, 2, 3]);
    b.lease(
      [...attempts].map(([id, attemptId]) => ({ id, address: `+6149157000${id}`, attemptId })),
      now + 60_000,
    );
    const rows = () => db.prepare('SELECT id, state, tries, attempt_id, reason FROM recipients ORDER BY id').all() as { id: number; state: string; tries: number; attempt_id: number }[];
    expect(rows().map((r) => [r.state, r.tries, r.attempt_id])).toEqual([1, 2, 3].map((id) => ['sending', 1, attempts.get(id)]));
    expect(db.prepare('SELECT unsent FROM attempts ORDER BY recipient_id').pluck().all()).toEqual([0, 0, 1]);

    const a1 = attempts.get(1)!;
    const a2 = attempts.get(2)!;
    // Recipient 2 is finalized under a stale attempt id: the store leaves it.
    const applied = b.finalize(
      [
        { id: 1, attemptId: a1, state: 'delivered', reason: null, sentAt: now, parts: 1, cost: 0.05 },
        { id: 2, attemptId: a2 + 100, state: 'failed', reason: 'stale', sentAt: null, parts: null, cost: null },
      ],
      now,
    );
    expect([...applied]).toEqual([moveKey(1, a1)]);
    expect(rows()[0]).toMatchObject({ state: 'delivered' });
    expect(rows()[1]).toMatchObject({ state: 'sending', reason: null });
    // A final row is not moved again; a sending one is held back with its try given back.
    expect([
      ...b.holdBack([
        { id: 1, attemptId: a1, dueAt: now + 5000, reason: 'link down' },
        { id: 2, attemptId: a2, dueAt: now + 5000, reason: 'link down' },
      ]),
    ]).toEqual([moveKey(2, a2)]);
    expect(rows()[1]).toMatchObject({ state: 'queued', tries: 0, reason: 'link down' });
  });

  it('merges a batch’s patches into the attempt row, keeping what a later patch leaves unset', () => {
    const db = current();
    const job = seedJob(db, 1);
    const b = new SpoolBatch(db);
    const id = b.insertAttempts([{ recipientId: 1, jobId: job, providerId: 1, tryNo: 1, destination: '+61491570000', sender: 'Acme', twoWay: true, unsent: false }], 1).get(1)!;
    b.patchAttempts([{ id, peerId: 'abc', parts: 2, encoding: 'gsm7', connectedAt: 2, status: null, response: null, endedAt: null, cost: null, duration: null }]);
    b.patchAttempts([{ id, peerId: null, parts: null, encoding: null, connectedAt: null, status: 'delivered', response: '000', endedAt: 3, cost: 0.1, duration: null }]);
    expect(db.prepare('SELECT peer_id, parts, encoding, connected_at, status, response, ended_at, cost, two_way, sender FROM attempts WHERE id = ?').get(id)).toEqual({
      peer_id: 'abc',
      parts: 2,
      encoding: 'gsm7',
      connected_at: 2,
      status: 'delivered',
      response: '000',
      ended_at: 3,
      cost: 0.1,
      two_way: 1,
      sender: 'Acme',
    });
    expect(b.byPeer(1, ['abc', 'nope'])).toEqual(new Map([['abc', { id, recipient_id: 1, job_id: job, provider_id: 1, destination: '+61491570000', parts: 2, part: null }]]));
  });
});
