import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { migrate, openDb } from '../../dist/store/db.js';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import { CallbackStore, CLAIM_DUE_SQL } from '../../dist/store/callbacks.js';
import { HolderStore, TAKE_SLOT_SQL } from '../../dist/store/holders.js';
import { SpoolBatch } from '../../dist/store/spool-batch.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { ReceiptMatcher } from '../../dist/spool/receipt-matcher.js';
import { Outbox } from '../../dist/events/outbox.js';
import { AddressPolicy } from '../../dist/net/address-policy.js';
import { systemClock } from '../../dist/core/clock.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { callbackReceiver } from '../helpers/receiver.js';

/**
 * Several daemons (nodes) on one store (issue 15): two connections to one database stand for two
 * nodes. PostgreSQL is the shared store; SQLite's file, shared by two connections, where it applies
 * (the outbox's claims: one daemon, but the same statements).
 */
const { fresh } = pgDatabases();
const opened: { close(): void }[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const db of opened.splice(0)) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Engine {
  name: string;
  /** Two connections to one fresh, migrated database: node a's and node b's. */
  twoNodes: () => Promise<[StoreDb, StoreDb]>;
}

const ENGINES: Engine[] = [
  {
    name: 'PostgreSQL',
    twoNodes: async () => {
      const d = await fresh();
      await migratePg(d.pool);
      const a = PgDb.open({ connectionString: d.url });
      const b = PgDb.open({ connectionString: d.url });
      opened.push(a, b);
      return [a, b];
    },
  },
  {
    name: 'SQLite',
    twoNodes: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'switchpost-nodes-'));
      dirs.push(dir);
      const a = openDb(join(dir, 'switchpost.db'));
      migrate(a);
      const b = openDb(join(dir, 'switchpost.db'));
      opened.push(a, b);
      return [a, b];
    },
  },
];

const silent = pino({ level: 'silent' });
const policy = new AddressPolicy(['127.0.0.1']);

/** A user and a provider (ids 1), in the stores' own dialect; the provider's id. */
function seed(db: StoreDb, settings = '{}'): number {
  db.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0)`).run();
  return Number(db.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES ('smsc', 'smpp', '["sms"]', ?, 0, 0)`).run(settings).lastInsertRowid);
}

const outbox = (db: StoreDb, node: string, opts: { concurrency?: number; claimMs?: number } = {}) =>
  new Outbox(new CallbackStore(db), policy, systemClock, silent, { secret: null, timeoutMs: 5000, maxTries: 3, backoffSeconds: 1, concurrency: opts.concurrency ?? 4, node, claimMs: opts.claimMs });

const until = async (what: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(ENGINES)('callbacks across nodes on $name', ({ twoNodes }) => {
  it('two outboxes pumping the same due callbacks deliver each exactly once', async () => {
    const [a, b] = await twoNodes();
    seed(a);
    const receiver = await callbackReceiver();
    try {
      const n = 60;
      const now = Date.now();
      new CallbackStore(a).enqueueMany(
        Array.from({ length: n }, (_, i) => ({ req: { kind: 'status', url: receiver.url, contentType: 'text/plain', body: `cb-${i}` }, owner: { userId: 1, jobId: null, recipientId: null } })),
        now,
      );
      const one = outbox(a, 'node-a');
      const two = outbox(b, 'node-b');
      one.start();
      two.start();
      await until(() => (a.prepare(`SELECT count(*) AS n FROM callbacks WHERE state = 'delivered'`).get() as { n: number }).n === n);
      await Promise.all([one.stop(1000), two.stop(1000)]);
      const bodies = receiver.got.map((g) => g.body).sort();
      expect(bodies).toEqual(Array.from({ length: n }, (_, i) => `cb-${i}`).sort());
      expect(new Set(receiver.got.map((g) => g.headers['x-switchpost-delivery'])).size).toBe(n);
      // Each written delivered once (tries 1), its claim cleared.
      expect(a.prepare(`SELECT count(*) AS n FROM callbacks WHERE tries <> 1 OR claimed_by IS NOT NULL OR claimed_until IS NOT NULL`).get()).toEqual({ n: 0 });
    } finally {
      await receiver.close();
    }
  });

  it("a dead node's claim keeps the others off until it ends; then another node delivers, and the dead one's late result is not written", async () => {
    const [a, b] = await twoNodes();
    seed(a);
    const receiver = await callbackReceiver();
    try {
      const cbA = new CallbackStore(a);
      const cbB = new CallbackStore(b);
      const now = Date.now();
      cbA.enqueue({ kind: 'status', url: receiver.url, contentType: 'text/plain', body: 'once' }, { userId: 1, jobId: null, recipientId: null }, now);
      // Node a claims it and dies before delivering.
      const dead = { node: 'node-a', until: now + 1500 };
      const [row] = cbA.claim(now, 10, dead);
      expect(row).toMatchObject({ body: 'once', tries: 0 });
      expect(cbB.claim(now + 1, 10, { node: 'node-b', until: now + 60_000 })).toEqual([]);
      // It is next due when the claim ends, not at its next_at (no pump spinning on it).
      expect(cbB.nextAt()).toBe(dead.until);
      const two = outbox(b, 'node-b');
      two.start();
      await until(() => receiver.got.length === 1);
      await two.stop(1000);
      expect(Date.now()).toBeGreaterThanOrEqual(dead.until);
      expect(receiver.got.map((g) => g.body)).toEqual(['once']);
      expect(a.prepare(`SELECT state, tries, claimed_by FROM callbacks`).get()).toEqual({ state: 'delivered', tries: 1, claimed_by: null });
      // Node a's result, had it come back late, is not written over node b's.
      expect(cbA.failed(row!.id, Date.now(), 'late', dead)).toBe(false);
      expect(cbA.retry(row!.id, Date.now(), 'late', dead)).toBe(false);
      expect(a.prepare(`SELECT state, tries, last_error FROM callbacks`).get()).toEqual({ state: 'delivered', tries: 1, last_error: null });
    } finally {
      await receiver.close();
    }
  });

  it("a claim whose time ran out but that nobody took is still its holder's to write; a node's restart gives back its own claims only", async () => {
    const [a, b] = await twoNodes();
    seed(a);
    const cbA = new CallbackStore(a);
    const cbB = new CallbackStore(b);
    const owner = { userId: 1, jobId: null, recipientId: null };
    for (const body of ['x', 'y']) cbA.enqueue({ kind: 'status', url: 'http://127.0.0.1:9/cb', contentType: 'text/plain', body }, owner, 100);
    const claimA = { node: 'node-a', until: 1000 };
    const [x] = cbA.claim(200, 1, claimA);
    const [y] = cbB.claim(200, 5, { node: 'node-b', until: 5000 });
    expect([x!.body, y!.body]).toEqual(['x', 'y']);
    expect(cbA.retry(x!.id, 2000, 'HTTP 503', claimA)).toBe(true);
    expect(a.prepare(`SELECT tries, next_at, claimed_by, claimed_until FROM callbacks WHERE id = ?`).get(x!.id)).toEqual({ tries: 1, next_at: 2000, claimed_by: null, claimed_until: null });
    // Node a restarts: it gives back nothing of node b's.
    expect(cbA.releaseClaims('node-a')).toBe(0);
    expect(cbA.claim(2500, 5, { node: 'node-a', until: 9000 }).map((r) => r.body)).toEqual(['x']);
    expect(cbA.releaseClaims('node-a')).toBe(1);
    expect(cbA.claim(2600, 5, { node: 'node-a', until: 9000 }).map((r) => r.body)).toEqual(['x']);
    expect(cbB.delivered(y!.id, 3000, { node: 'node-b', until: 5000 })).toBe(true);
    expect(cbB.nextAt()).toBe(9000);
  });
});

describe('claims and slots taken at the same moment on PostgreSQL', () => {
  /** Two sessions of one database, each its own transaction, and a statement's PostgreSQL text as the facade runs it. */
  const sessions = async () => {
    const d = await fresh();
    await migratePg(d.pool);
    const db = PgDb.open({ connectionString: d.url });
    opened.push(db);
    seed(db);
    const [one, two] = [await d.pool.connect(), await d.pool.connect()];
    const run = (c: typeof one, sql: string, args: Record<string, unknown>) => {
      const t = db.translate(sql);
      return c.query(
        t.sql,
        t.params.map((p) => args[p as string]),
      );
    };
    return { db, one, two, run, done: () => (one.release(), two.release()) };
  };

  it("a node's claim does not wait on the rows another node's open claim has locked: it skips them", async () => {
    const { db, one, two, run, done } = await sessions();
    try {
      const cb = new CallbackStore(db);
      for (let i = 0; i < 6; i++) cb.enqueue({ kind: 'status', url: 'http://127.0.0.1:9/cb', contentType: 'text/plain', body: `b${i}` }, { userId: 1, jobId: null, recipientId: null }, 100 + i);
      await one.query('BEGIN');
      const first = await run(one, CLAIM_DUE_SQL, { node: 'node-a', until: 9000, now: 1000, limit: 4 });
      // Node a's transaction is still open: node b's claim answers at once with the rows a did not lock.
      const second = await run(two, CLAIM_DUE_SQL, { node: 'node-b', until: 9000, now: 1000, limit: 4 });
      await one.query('COMMIT');
      const bodies = (r: { rows: { body: string }[] }) => r.rows.map((x) => x.body).sort();
      expect(bodies(first)).toEqual(['b0', 'b1', 'b2', 'b3']);
      expect(bodies(second)).toEqual(['b4', 'b5']);
      expect(db.prepare(`SELECT claimed_by, count(*) AS n FROM callbacks GROUP BY claimed_by ORDER BY claimed_by`).all()).toEqual([
        { claimed_by: 'node-a', n: 4 },
        { claimed_by: 'node-b', n: 2 },
      ]);
    } finally {
      done();
    }
  });

  it('two nodes taking the last slot at once: the second waits for the first to commit, then has nothing', async () => {
    const { db, one, two, run, done } = await sessions();
    try {
      await one.query('BEGIN');
      expect((await run(one, TAKE_SLOT_SQL, { provider: 1, slot: 0, node: 'node-a', until: 11_000, now: 1000 })).rowCount).toBe(1);
      const second = run(two, TAKE_SLOT_SQL, { provider: 1, slot: 0, node: 'node-b', until: 11_000, now: 1000 });
      let settled = false;
      void second.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await one.query('COMMIT');
      expect((await second).rowCount).toBe(0);
      expect(new HolderStore(db).all()).toEqual([{ provider_id: 1, slot: 0, node_id: 'node-a', lease_until: 11_000 }]);
    } finally {
      done();
    }
  });
});

describe.each(ENGINES.filter((e) => e.name === 'PostgreSQL'))("a provider's binds across nodes on $name", ({ twoNodes }) => {
  const LEASE = 10_000;

  it('a one-bind provider is held by one of two nodes; the other takes it once the holder’s lease ends', async () => {
    const [a, b] = await twoNodes();
    const p = seed(a);
    const ha = new HolderStore(a);
    const hb = new HolderStore(b);
    const want = [{ providerId: p, slots: 1 }];
    expect(ha.hold(want, 'node-a', 1000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(hb.hold(want, 'node-b', 1000, LEASE)).toEqual([]);
    // Renewed by its heartbeat: node b still waits.
    expect(ha.hold(want, 'node-a', 8000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(hb.hold(want, 'node-b', 12_000, LEASE)).toEqual([]);
    // Node a stops renewing (it died): at its lease's end node b takes the slot, and node a cannot have it back.
    expect(hb.hold(want, 'node-b', 18_000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(ha.hold(want, 'node-a', 18_001, LEASE)).toEqual([]);
    expect(hb.all()).toEqual([{ provider_id: p, slot: 0, node_id: 'node-b', lease_until: 28_000 }]);
  });

  it('settings.nodes 2 lets both nodes hold it, each one slot; a third waits; a stopping node gives its slot up at once', async () => {
    const [a, b] = await twoNodes();
    const p = seed(a, '{"nodes":2}');
    const ha = new HolderStore(a);
    const hb = new HolderStore(b);
    const want = [{ providerId: p, slots: 2 }];
    expect(ha.hold(want, 'node-a', 1000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(hb.hold(want, 'node-b', 1000, LEASE)).toEqual([{ providerId: p, slot: 1 }]);
    expect(ha.hold(want, 'node-a', 2000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(ha.hold(want, 'node-c', 2000, LEASE)).toEqual([]);
    expect(hb.releaseNode('node-b')).toBe(1);
    expect(ha.hold(want, 'node-c', 2001, LEASE)).toEqual([{ providerId: p, slot: 1 }]);
    // Down to one node allowed: the holder of slot 1 gives it up at its next heartbeat.
    const one = [{ providerId: p, slots: 1 }];
    expect(ha.hold(one, 'node-c', 3000, LEASE)).toEqual([]);
    expect(ha.hold(one, 'node-a', 3000, LEASE)).toEqual([{ providerId: p, slot: 0 }]);
    expect(ha.all().map((r) => [r.slot, r.node_id])).toEqual([[0, 'node-a']]);
  });

  it('a provider deleted meanwhile is skipped; a provider no longer wanted is given up', async () => {
    const [a] = await twoNodes();
    const p = seed(a);
    const h = new HolderStore(a);
    expect(
      h.hold(
        [
          { providerId: p, slots: 1 },
          { providerId: 999, slots: 1 },
        ],
        'node-a',
        1000,
        LEASE,
      ),
    ).toEqual([{ providerId: p, slot: 0 }]);
    expect(h.hold([], 'node-a', 2000, LEASE)).toEqual([]);
    expect(h.all()).toEqual([]);
  });
});

describe.each(ENGINES.filter((e) => e.name === 'PostgreSQL'))('receipts and replies reaching another node on $name', ({ twoNodes }) => {
  it("a receipt for node a's message, reaching node b, is matched through the store (also after waiting for a's commit)", async () => {
    const [a, b] = await twoNodes();
    const p = seed(a);
    const job = Number(a.prepare(`INSERT INTO jobs (user_id, face, channel, name, content, options, total, remaining, created_at) VALUES (1, 'v1', 'sms', 'b', '{}', '{}', 2, 2, 0)`).run().lastInsertRowid);
    const add = a.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, ?, ?, 'queued', 0)`);
    const r1 = Number(add.run(job, 0, '+61491570001').lastInsertRowid);
    const r2 = Number(add.run(job, 1, '+61491570002').lastInsertRowid);
    const batchA = new SpoolBatch(a, 'node-a');
    const ids = batchA.insertAttempts(
      [r1, r2].map((r, i) => ({ recipientId: r, jobId: job, providerId: p, tryNo: 1, destination: `+6149157000${i + 1}`, sender: null, twoWay: true, unsent: false })),
      Date.now(),
    );
    const patch = (id: number, peerId: string) => ({ id, peerId, parts: 1, encoding: 'gsm7', connectedAt: 2, status: null, response: null, endedAt: null, cost: null, duration: null });
    batchA.patchAttempts([patch(ids.get(r1)!, 'peer-1')]);
    // Node b's matcher knows nothing in memory of node a's messages: the store has them.
    const onB = new ReceiptMatcher(new SpoolBatch(b, 'node-b'), silent, { unmatchedReceiptMs: 60_000 });
    const [hit, miss] = onB.matchAll([
      { providerId: p, peerId: 'peer-1' },
      { providerId: p, peerId: 'peer-2' },
    ]);
    expect(hit).toEqual({ attempt: { id: ids.get(r1), recipient_id: r1, job_id: job, provider_id: p, destination: '+61491570001', parts: 1 }, part: null });
    // A receipt that beat node a's commit of its peer id: node b keeps it, and its next try finds it in the store.
    expect(miss).toBeUndefined();
    onB.keep([{ report: { kind: 'receipt', providerId: p, peerId: 'peer-2' } as never, firstSeen: Date.now() }]);
    a.transaction(() => batchA.patchAttempts([patch(ids.get(r2)!, 'peer-2')]))();
    const kept = onB.takeUnmatched();
    expect(kept.filter((u) => onB.worthRetrying(u, Date.now()))).toHaveLength(1);
    expect(onB.matchAll(kept.map((u) => u.report))[0]).toMatchObject({ attempt: { id: ids.get(r2), recipient_id: r2 } });
    // A report by attempt id (a call's, a mail's) that no dispatcher on node b has in flight: read from the store.
    expect(onB.attemptsOf([ids.get(r1)!])[0]).toMatchObject({ attempt: { id: ids.get(r1), recipient_id: r1 } });
    // An MO answering node a's two-way message, reaching node b: its reply target is found there too.
    expect(new ReplyStore(b, 'AU').replyTarget({ from: '0491570002', to: null, providerId: p, userId: null, at: Date.now() + 1000 })).toEqual({ recipient_id: r2, job_id: job, destination: '+61491570002' });
  });
});
