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
import { Recorder } from '../../dist/spool/recorder.js';

let dir: string;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function recorder(): Recorder {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-recorder-'));
  db = openDb(join(dir, 'switchpost.db'));
  migrate(db);
  const jobs = new JobCache(db, { dayStart: '08:00', retry: { tries: 3, backoffSeconds: 1, backoffMaxSeconds: 10 } });
  return new Recorder(new SpoolStore(db), new CallbackStore(db), new ReplyStore(db), jobs, new CallbackFormatters(), new EventBus(), { now: () => Date.now() }, pino({ level: 'silent' }), {
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
