import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDb, migrate, type Db } from '../../dist/store/db.js';
import { SpoolStore } from '../../dist/store/spool.js';
import { CallbackStore } from '../../dist/store/callbacks.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { EventBus } from '../../dist/events/bus.js';
import { CallbackFormatters } from '../../dist/events/callbacks.js';
import { JobCache } from '../../dist/spool/job-cache.js';
import { Recorder, UNMATCHED_ACK_MS } from '../../dist/spool/recorder.js';
import { SpoolBatch } from '../../dist/store/spool-batch.js';

let dir: string;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function recorder(clock: { now: () => number } = { now: () => Date.now() }): Recorder {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-recorder-'));
  db = openDb(join(dir, 'switchpost.db'));
  migrate(db);
  const jobs = new JobCache(db, { dayStart: '08:00', retry: { tries: 3, backoffSeconds: 1, backoffMaxSeconds: 10 } });
  return new Recorder(new SpoolStore(db), new CallbackStore(db), new ReplyStore(db), jobs, new CallbackFormatters(), new EventBus(), clock, pino({ level: process.env.RLOG ?? 'silent' }), {
    receiptTimeoutMs: 60_000,
    unmatchedReceiptMs: 60_000,
    flushMs: 5,
    maxBatch: 100,
  });
}

/** A report for an attempt nobody made: it is logged and the (empty) batch still commits. */
const flushOne = (r: Recorder) => {
  r.report({ attemptId: 1, at: Date.now(), outcome: { kind: 'failed', retryable: true, reason: 'x' } });
  r.flush();
};

describe('recorder listeners', () => {
  it('tells every listener of "flushed" after each commit, until it unsubscribes (the dispatcher and main both listen)', () => {
    const r = recorder();
    const heard: string[] = [];
    r.on('flushed', () => heard.push('dispatcher'));
    const stop = r.on('flushed', () => heard.push('outbox'));
    flushOne(r);
    expect(heard).toEqual(['dispatcher', 'outbox']);
    stop();
    flushOne(r);
    expect(heard).toEqual(['dispatcher', 'outbox', 'dispatcher']);
  });

  it('takes the in-flight lookup once', () => {
    const r = recorder();
    r.setInFlightLookup(() => undefined);
    expect(() => r.setInFlightLookup(() => undefined)).toThrow(/set once/);
  });
});

describe('a receipt that beat its message', () => {
  it('is acknowledged only once it is matched and stored: a process ending before that leaves it with the peer', () => {
    const r = recorder();
    const d = db!;
    d.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0)`).run();
    const p = Number(d.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES ('p', 'smpp', '["sms"]', '{}', 0, 0)`).run().lastInsertRowid);
    const job = Number(d.prepare(`INSERT INTO jobs (user_id, face, channel, name, content, options, total, remaining, created_at) VALUES (1, 'v1', 'sms', 'b', '{}', '{}', 1, 1, 0)`).run().lastInsertRowid);
    const rec = Number(d.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, 0, '+61491570001', 'submitted', 0)`).run(job).lastInsertRowid);
    const batch = new SpoolBatch(d, 'node-a');
    const attempt = batch.insertAttempts([{ recipientId: rec, jobId: job, providerId: p, tryNo: 1, destination: '+61491570001', sender: null, twoWay: false, unsent: false }], Date.now()).get(rec)!;
    d.prepare('UPDATE recipients SET attempt_id = ? WHERE id = ?').run(attempt, rec);
    const acked: string[] = [];
    // Its message's peer id is not stored yet (another node, or this one's commit still to come).
    r.report({ providerId: p, peerId: 'peer-1', at: Date.now(), outcome: { kind: 'receipt', status: 'delivered' } }, () => acked.push('receipt'));
    r.report({ attemptId: 999, at: Date.now(), outcome: { kind: 'failed', retryable: true, reason: 'x' } }, () => acked.push('other'));
    r.flush();
    expect(acked).toEqual(['other']);
    expect(r.pending).toBe(1);
    // The peer id committed: the next flush matches the kept receipt, stores it, and only then acknowledges it.
    batch.patchAttempts([{ id: attempt, peerId: 'peer-1', parts: 1, encoding: 'gsm7', connectedAt: 2, status: null, response: null, endedAt: null, cost: null, duration: null }]);
    r.flush();
    expect(d.prepare('SELECT peer_id FROM attempts WHERE id = ?').pluck().get(attempt)).toBe('peer-1');
    expect(r.pending).toBe(0);
    expect(acked).toEqual(['other', 'receipt']);
    expect(d.prepare('SELECT state FROM recipients WHERE id = ?').pluck().get(rec)).toBe('delivered');
  });

  it('is acknowledged anyway once it has waited UNMATCHED_ACK_MS (a receipt for no message, an HTTP peer waiting), and kept trying', () => {
    let t = 1_000_000;
    const r = recorder({ now: () => t });
    const acked: string[] = [];
    r.report({ providerId: 1, peerId: 'nobody-sent-this', at: t, outcome: { kind: 'receipt', status: 'delivered' } }, () => acked.push('receipt'));
    r.flush();
    t += UNMATCHED_ACK_MS - 1;
    r.flush();
    expect(acked).toEqual([]);
    t += 2;
    r.flush();
    expect(acked).toEqual(['receipt']);
    expect(r.pending).toBe(1);
  });
});
