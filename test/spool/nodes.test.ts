import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import type { Db } from '../../dist/store/db.js';
import { SpoolStore } from '../../dist/store/spool.js';
import { CallbackStore } from '../../dist/store/callbacks.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { NodeStore } from '../../dist/store/nodes.js';
import { JobStore } from '../../dist/store/jobs.js';
import { UserStore } from '../../dist/store/users.js';
import { ProviderStore, type Provider } from '../../dist/store/providers.js';
import { EventBus } from '../../dist/events/bus.js';
import { CallbackFormatters } from '../../dist/events/callbacks.js';
import { JobCache } from '../../dist/spool/job-cache.js';
import { Recorder } from '../../dist/spool/recorder.js';
import { ProviderPool } from '../../dist/spool/provider-pool.js';
import { Dispatcher } from '../../dist/spool/dispatcher.js';
import { NodePresence } from '../../dist/spool/node-presence.js';
import type { Delivery, Gateway } from '../../dist/gateways/gateway.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { storeRecipient, storeUser } from '../helpers/store-engines.js';

/**
 * Several daemons' spools on one PostgreSQL store (issue 15), each a real Dispatcher with its own
 * connection, recorder, provider pool and node presence, sharing one clock the test moves: claims,
 * restarts, sweeps and a dead node's recovery across nodes. Their gateway takes every delivery and
 * never reports, so a lease stays until someone ends it.
 */
const { fresh } = pgDatabases();

interface TestNode {
  id: string;
  db: PgDb;
  spool: SpoolStore;
  dispatcher: Dispatcher;
  sent: Delivery[];
  stop(): Promise<void>;
}

const running: TestNode[] = [];
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
});

/** What the nodes log at warn and above, as objects: their recoveries are counted from it. */
const logged: { node?: string; deadNode?: string; msg: string; requeued?: number }[] = [];
const log = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  }),
);

let t = 1_796_000_000_000;
const clock = { now: () => t };

/** Move the shared clock on in 10 s steps (shorter than a heartbeat's timeout, longer than its interval), each once every `live` node has beaten at it. */
async function advance(db: PgDb, live: readonly string[], ms: number): Promise<void> {
  if (ms % 10_000) throw new Error('advance by whole steps');
  while (ms > 0) {
    const step = 10_000;
    t += step;
    ms -= step;
    await until(() => live.every((id) => db.prepare('SELECT heartbeat_at FROM nodes WHERE id = ?').pluck().get(id) === t));
  }
}

function startNode(url: string, id: string, provider: Provider | null, opts: { leaseMs?: number; sweepMs?: number; callsGraceMs?: number } = {}): TestNode {
  const db = PgDb.open({ connectionString: url });
  const spool = new SpoolStore(db, id);
  const jobs = new JobCache(db as unknown as Db, { dayStart: '00:00', retry: { tries: 3, backoffSeconds: 1, backoffMaxSeconds: 10 } });
  const bus = new EventBus();
  const recorder = new Recorder(spool, new CallbackStore(db), new ReplyStore(db), jobs, new CallbackFormatters(), bus, clock, log, {
    receiptTimeoutMs: 3_600_000,
    unmatchedReceiptMs: 60_000,
    flushMs: 5,
    maxBatch: 500,
    leaseMs: opts.leaseMs ?? 60_000,
  });
  const pool = new ProviderPool(() => 0.5);
  const sent: Delivery[] = [];
  if (provider) {
    const gateway: Gateway = { providerId: provider.id, start: async () => {}, stop: async () => {}, isUp: () => true, send: (d) => void sent.push(d) };
    pool.set(provider, gateway);
  }
  const presence = new NodePresence(new NodeStore(db), () => pool.offered(), log.child({ node: id }), { id, pid: process.pid, host: 'test', heartbeatMs: 5000, timeoutMs: 30_000, callsGraceMs: opts.callsGraceMs ?? 3_600_000 });
  const dispatcher = new Dispatcher(spool, new ReplyStore(db), jobs, pool, recorder, bus, clock, log.child({ node: id }), {
    batchSize: 7,
    pollMs: 10,
    maxInFlight: 10_000,
    leaseMs: opts.leaseMs ?? 60_000,
    sweepMs: opts.sweepMs ?? 1000,
    node: presence,
  });
  dispatcher.start();
  let stopped = false;
  const node: TestNode = {
    id,
    db,
    spool,
    dispatcher,
    sent,
    // A crash, as far as the store can tell: the connection ends; nothing is released.
    stop: async () => {
      if (stopped) return;
      stopped = true;
      db.close();
      await dispatcher.stop(0).catch(() => {});
    },
  };
  running.push(node);
  return node;
}

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function store(): Promise<{ url: string; db: PgDb; sms: Provider; job: (n: number) => number[] }> {
  const d = await fresh();
  await migratePg(d.pool);
  const db = PgDb.open({ connectionString: d.url });
  running.push({ id: 'test', db, stop: async () => db.close() } as TestNode);
  const providers = new ProviderStore(db);
  const id = providers.insert(
    { name: 'sms-1', driver: 'sandbox', services: ['sms'], host: null, port: null, username: null, password: null, dialstring: null, prefix: null, weight: 1, throughput: 0, concurrency: 0, settings: {}, active: true },
    null,
  );
  const userId = new UserStore(db).add(storeUser('u'));
  const job = (n: number) => {
    const j = new JobStore(db).create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients: Array.from({ length: n }, (_, i) => storeRecipient(`+6149157${String(i).padStart(4, '0')}`)) }), t);
    return db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').pluck().all(j) as number[];
  };
  return { url: d.url, db, sms: providers.byId(id)!, job };
}

type Leased = { id: number; state: string; due_at: number; attempt_id: number | null; node_id: string | null; status: string | null; reason: string | null };
const leases = (db: PgDb, ids: readonly number[]): Leased[] =>
  ids.map((id) => db.prepare('SELECT r.id, r.state, r.due_at, r.attempt_id, a.node_id, a.status, r.reason FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id WHERE r.id = ?').get(id) as Leased);

describe('dispatchers of several nodes on one PostgreSQL store', () => {
  it('claim every row once between them; a node without the service claims none and holds none', async () => {
    const s = await store();
    const a = startNode(s.url, 'node-a', s.sms);
    const b = startNode(s.url, 'node-b', s.sms);
    // C has no SMS provider while others do: it never claims an SMS row, nor holds one back for want of one.
    const c = startNode(s.url, 'node-c', null);
    await new Promise((r) => setTimeout(r, 100));
    const ids = s.job(300);
    await until(() => a.sent.length + b.sent.length === 300);
    const handed = [...a.sent, ...b.sent].map((d) => d.recipientId);
    expect(new Set(handed).size).toBe(300);
    expect(c.sent).toEqual([]);
    const rows = leases(s.db, ids);
    expect(rows.every((r) => r.state === 'sending' && r.reason === null)).toBe(true);
    expect(new Set(rows.map((r) => r.node_id))).toEqual(new Set(['node-a', 'node-b']));
    expect(s.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT recipient_id) AS d FROM attempts').get()).toEqual({ n: 300, d: 300 });
    // Each row's attempt is the one its node handed to its gateway.
    for (const n of [a, b]) for (const d of n.sent) expect(rows.find((r) => r.id === d.recipientId)).toMatchObject({ attempt_id: d.attemptId, node_id: n.id });
  });

  it("a restart recovers only its own leases; another node's sweep never takes a live node's; a dead node's leases are recovered once, its calls only after the grace", async () => {
    const s = await store();
    logged.length = 0;
    const long = { leaseMs: 1e12, callsGraceMs: 120_000 };
    // A sweeps once, at its first tick: its leases, overdue later, stay for the test to see whether B takes them.
    let a = startNode(s.url, 'node-a', s.sms, { sweepMs: 1e12, callsGraceMs: 120_000 });
    const b = startNode(s.url, 'node-b', s.sms, long);
    await new Promise((r) => setTimeout(r, 100));
    const ids = s.job(120);
    await until(() => a.sent.length + b.sent.length === 120);
    const before = leases(s.db, ids);
    const ofA = before.filter((r) => r.node_id === 'node-a');
    const ofB = before.filter((r) => r.node_id === 'node-b');
    expect(ofA.length).toBeGreaterThan(0);
    expect(ofB.length).toBeGreaterThan(0);

    // A crashes and starts again: its leases are requeued (and claimed again), B's are as they were.
    await a.stop();
    a = startNode(s.url, 'node-a', s.sms, { sweepMs: 1e12, callsGraceMs: 120_000 });
    await until(() =>
      leases(
        s.db,
        ofA.map((r) => r.id),
      ).every((r) => r.state === 'sending' && r.attempt_id !== ofA.find((o) => o.id === r.id)!.attempt_id),
    );
    expect(
      leases(
        s.db,
        ofB.map((r) => r.id),
      ),
    ).toEqual(ofB);
    expect(s.db.prepare("SELECT COUNT(*) FROM attempts WHERE node_id = 'node-a' AND status = 'interrupted'").pluck().get()).toBe(ofA.length);
    expect(logged.filter((l) => /previous run/.test(l.msg))).toMatchObject([{ node: 'node-a', recovered: ofA.length }]);

    // Past A's leases (not B's): B's sweep leaves A's alone while A lives (its heartbeats go on).
    const nowA = leases(s.db, ids).filter((r) => r.node_id === 'node-a');
    expect(nowA.length).toBeGreaterThan(2);
    await advance(s.db, ['node-a', 'node-b'], 70_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(nowA.every((r) => r.due_at < t)).toBe(true);
    expect(
      leases(
        s.db,
        nowA.map((r) => r.id),
      ),
    ).toEqual(nowA);

    // Two of A's attempts are calls FreeSWITCH knows; then A dies, and C starts beside B.
    const calls = nowA.slice(0, 2);
    for (const r of calls) s.db.prepare('UPDATE attempts SET peer_id = ? WHERE id = ?').run(`call-${r.id}`, r.attempt_id);
    await a.stop();
    startNode(s.url, 'node-c', s.sms, long);
    const others = nowA.slice(2);
    await advance(s.db, ['node-b', 'node-c'], 40_000);
    await until(() =>
      leases(
        s.db,
        others.map((r) => r.id),
      ).every((r) => r.state === 'sending' && (r.node_id === 'node-b' || r.node_id === 'node-c')),
    );
    // Recovered once, by one of them; A's calls untouched; B's own leases too.
    const recoveries = logged.filter((l) => /stopped answering/.test(l.msg));
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]).toMatchObject({ deadNode: 'node-a', requeued: others.length, calls: false });
    expect(['node-b', 'node-c']).toContain(recoveries[0]!.node);
    expect(
      leases(
        s.db,
        calls.map((r) => r.id),
      ),
    ).toEqual(calls);
    expect(
      leases(
        s.db,
        ofB.map((r) => r.id),
      ),
    ).toEqual(ofB);
    expect(s.db.prepare("SELECT COUNT(*) FROM attempts WHERE node_id = 'node-a' AND status = 'interrupted'").pluck().get()).toBe(ofA.length + others.length);
    await advance(s.db, ['node-b', 'node-c'], 20_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(logged.filter((l) => /stopped answering/.test(l.msg))).toHaveLength(1);
    expect(
      leases(
        s.db,
        calls.map((r) => r.id),
      ),
    ).toEqual(calls);

    // A never comes back: after the calls' grace they are requeued too, once, and A's row goes.
    await advance(s.db, ['node-b', 'node-c'], 120_000);
    await until(() =>
      leases(
        s.db,
        calls.map((r) => r.id),
      ).every((r) => r.state === 'sending' && r.node_id !== 'node-a'),
    );
    expect(logged.filter((l) => /stopped answering/.test(l.msg))).toMatchObject([
      { requeued: others.length, calls: false },
      { requeued: calls.length, calls: true },
    ]);
    expect(s.db.prepare("SELECT COUNT(*) FROM nodes WHERE id = 'node-a'").pluck().get()).toBe(0);
    expect(s.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT recipient_id) AS d FROM attempts WHERE status = ?').get('sending')).toEqual({ n: 120, d: 120 });
  });
});
