import { expect, it } from 'vitest';
import type { Db } from '../../dist/store/db.js';
import { SpoolBatch } from '../../dist/store/spool-batch.js';
import { RecordWrites } from '../../dist/spool/record-writes.js';
import type { SpoolJob } from '../../dist/spool/job-cache.js';
import { seedJob, tempDb } from '../helpers/temp-db.js';

const current = tempDb();

/** Two recipients leased to their first attempts; their attempt ids. */
function leased(db: Db, b: SpoolBatch): [number, number] {
  seedJob(db, 2);
  const ids = b.insertAttempts(
    [1, 2].map((id) => ({ recipientId: id, jobId: 1, providerId: 1, tryNo: 1, destination: '+61491570156', sender: null, twoWay: false, unsent: false })),
    1,
  );
  b.lease(
    [...ids].map(([id, attemptId]) => ({ id, address: '+61491570156', attemptId })),
    1_000,
  );
  return [ids.get(1)!, ids.get(2)!];
}

const job = { info: { id: 1 } } as unknown as SpoolJob;
const row = (id: number) => current().prepare('SELECT state, reason, due_at, tries FROM recipients WHERE id = ?').get(id) as { state: string; reason: string | null; due_at: number; tries: number };

it('keeps the order moves were decided in: a renewal gives way, the first state change stands, only current attempts move', () => {
  const db = current();
  const b = new SpoolBatch(db);
  const [a1, a2] = leased(db, b);
  const w = new RecordWrites();
  w.move({ kind: 'renew', id: 1, attemptId: a1 });
  w.move({ kind: 'final', id: 1, attemptId: a1, state: 'delivered', reason: null, sentAt: 5, parts: 1, cost: null, job, destination: 'x' });
  w.move({ kind: 'requeue', id: 2, attemptId: a2, dueAt: 50, reason: 'retry', job, destination: 'x' });
  // Contradicting reports on one attempt in one batch: the first that changed the state is kept.
  w.move({ kind: 'final', id: 2, attemptId: a2, state: 'failed', reason: 'late', sentAt: null, parts: null, cost: null, job, destination: 'x' });
  // A stale attempt's move is written but applies to nothing.
  w.move({ kind: 'final', id: 2, attemptId: a2 + 10, state: 'failed', reason: 'stale', sentAt: null, parts: null, cost: null, job, destination: 'x' });
  expect(w.moved(1, a1)).toBe(true);
  expect(w.moved(2, a2 + 10)).toBe(true);
  const applied = w.write(b, 10, 2_000, 3_000);
  expect(applied.finals.map((m) => m.id)).toEqual([1]);
  expect(applied.requeued.map((m) => m.id)).toEqual([2]);
  expect(row(1)).toMatchObject({ state: 'delivered', reason: null });
  expect(row(2)).toMatchObject({ state: 'queued', reason: 'retry', due_at: 50 });
});

it('merges an attempt’s reports in one batch into one patch: a later outcome replaces the response, unset fields keep earlier ones', () => {
  const db = current();
  const b = new SpoolBatch(db);
  const [a1] = leased(db, b);
  const w = new RecordWrites();
  w.patchAttempt(a1, { peerId: 'p-1', parts: 2, connectedAt: 3 });
  w.patchAttempt(a1, { status: 'failed_retryable', response: 'timeout', endedAt: 4 });
  w.patchAttempt(a1, { status: 'delivered', response: null, endedAt: 5, cost: 0.2 });
  w.write(b, 10, 2_000, 3_000);
  expect(db.prepare('SELECT peer_id, parts, connected_at, status, response, ended_at, cost FROM attempts WHERE id = ?').get(a1)).toEqual({
    peer_id: 'p-1',
    parts: 2,
    connected_at: 3,
    status: 'delivered',
    response: null,
    ended_at: 5,
    cost: 0.2,
  });
});

it('undoes a success this flush decided when its bounce is read in the same flush: written undeliverable, keeping what the peer took; a failure stays', () => {
  const db = current();
  const b = new SpoolBatch(db);
  const [a1, a2] = leased(db, b);
  const w = new RecordWrites();
  w.move({ kind: 'final', id: 1, attemptId: a1, state: 'sent', reason: null, sentAt: 5, parts: 1, cost: 0.02, job, destination: 'x' });
  w.move({ kind: 'final', id: 2, attemptId: a2, state: 'failed', reason: '451 later', sentAt: null, parts: null, cost: null, job, destination: 'x' });
  expect(w.undoSuccess(1, a1, '550 5.1.1 User unknown')).toBe(true);
  expect(w.undoSuccess(2, a2, '550 5.1.1 User unknown')).toBe(false);
  // Nothing moved on an attempt: nothing to undo.
  expect(w.undoSuccess(1, a1 + 10, 'x')).toBe(false);
  const applied = w.write(b, 10, 2_000, 3_000);
  expect(applied.finals.map((m) => [m.id, m.state])).toEqual([
    [1, 'undeliverable'],
    [2, 'failed'],
  ]);
  expect(row(1)).toMatchObject({ state: 'undeliverable', reason: '550 5.1.1 User unknown' });
  expect(db.prepare('SELECT sent_at, cost FROM recipients WHERE id = 1').get()).toEqual({ sent_at: 5, cost: 0.02 });
  expect(row(2)).toMatchObject({ state: 'failed', reason: '451 later' });
});
