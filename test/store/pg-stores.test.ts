import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { migrate, openDb } from '../../dist/store/db.js';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import { PgBridge } from '../../dist/store/pg/bridge.js';
import { PgBridgeError, PgError } from '../../dist/store/pg/errors.js';
import { reviveError, sendError } from '../../dist/store/remote-errors.js';
import { UserCodeTaken, UserStore } from '../../dist/store/users.js';
import { SessionStore } from '../../dist/store/sessions.js';
import { CallbackStore } from '../../dist/store/callbacks.js';
import { HolderStore } from '../../dist/store/holders.js';
import { SpoolBatch, moveKey } from '../../dist/store/spool-batch.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { SpoolStore } from '../../dist/store/spool.js';
import { VerificationStore } from '../../dist/store/verification.js';
import { storeEngines, storeUser } from '../helpers/store-engines.js';

/**
 * The same store code and the same assertions on both engines: SQLite as the daemon opens it, and
 * PostgreSQL through the synchronous bridge and its facade (src/store/pg/db.ts).
 */
const { engines: ENGINES, fresh, closeAfter } = storeEngines();

const user = storeUser;

/** A user, a provider and a job of `n` queued recipients (ids 1..n), written in the stores' own dialect. */
function seedJob(db: StoreDb, n: number): number {
  db.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0)`).run();
  db.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES ('p', 'sandbox', '["sms"]', '{}', 0, 0)`).run();
  const job = Number(db.prepare(`INSERT INTO jobs (user_id, face, channel, name, content, options, total, remaining, created_at) VALUES (1, 'v1', 'sms', 'b', '{}', '{}', ?, ?, 0)`).run(n, n).lastInsertRowid);
  const add = db.prepare(`INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, ?, ?, 'queued', 0)`);
  db.transaction(() => {
    for (let i = 0; i < n; i++) add.run(job, i, `+6149157${String(i).padStart(4, '0')}`);
  })();
  return job;
}

describe.each(ENGINES)('stores on $name', ({ open }) => {
  it('UserStore: adds, finds a code whatever its case, refuses a taken one as UserCodeTaken', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('Alice'), 1000);
    const bob = users.add(user('bob', { first_name: 'Bob' }), 2000);
    expect(bob).toBeGreaterThan(alice);
    expect(users.byCode('ALICE')).toMatchObject({ id: alice, user_code: 'Alice', password_hash: 'hash-of-Alice', active: 1, agent_id: null, created_at: 1000, profile: '{}' });
    expect(users.byId(bob)).toMatchObject({ user_code: 'bob', first_name: 'Bob', created_at: 2000 });
    expect(users.count()).toBe(2);
    expect(users.list().map((u) => u.id)).toEqual([alice, bob]);
    expect(() => users.add(user('alice'))).toThrow(UserCodeTaken);
    expect(() => users.update(bob, { user_code: 'ALICE' })).toThrow(UserCodeTaken);
    expect(users.byId(bob)?.user_code).toBe('bob');
    expect(users.update(bob, { profile: { a: 1 } }, 3000)).toBe(true);
    expect(users.update(bob, { profile: { b: 2 }, active: false }, 4000)).toBe(true);
    expect(users.byId(bob)).toMatchObject({ active: 0, updated_at: 4000 });
    expect(JSON.parse(users.byId(bob)!.profile)).toEqual({ a: 1, b: 2 });
    expect(users.update(9999, { first_name: 'x' })).toBe(false);
  });

  it('UserStore: pages by scope and code part (case ignored), lists by exact text, deletes only what owns nothing', async () => {
    const db = await open();
    const users = new UserStore(db);
    const agent = users.add(user('agent', { role: 'agent' }));
    const mine = [users.add(user('Cust-one', { agent_id: agent })), users.add(user('cust-two', { agent_id: agent }))];
    const other = users.add(user('stranger'));
    expect(users.page({ userId: 1, role: 'admin' }, null, 1, 2)).toMatchObject({ total: 4, rows: [{ id: agent }, { id: mine[0] }] });
    expect(users.page({ userId: agent, role: 'agent' }, 'CUST', 1, 10).rows.map((u) => u.id)).toEqual(mine);
    expect(users.page({ userId: agent, role: 'agent' }, '%', 1, 10).total).toBe(0);
    expect(users.page({ userId: other, role: 'user' }, null, 1, 10).rows.map((u) => u.id)).toEqual([other]);
    const listed = async (filter: Record<string, string>, span?: number) => {
      const out: number[] = [];
      for await (const page of users.pages({ userId: 1, role: 'admin' }, filter, 100, 1, span)) out.push(...page.map((u) => u.id));
      return out;
    };
    expect(await listed({ user_code: 'cust-two' })).toEqual([mine[1]]);
    expect(await listed({ user_code: 'CUST-TWO' })).toEqual([]);
    expect(await listed({ role: 'user' }, 2)).toEqual([...mine, other]);
    expect(await listed({ agent_id: 'null', id: String(other) } as Record<string, string>)).toEqual([other]);
    expect(users.mayJoin({ userId: agent, role: 'agent' }, 1)).toBe(false);
    expect(users.canSee({ userId: agent, role: 'agent' }, mine[0]!)).toBe(true);
    expect(users.canSee({ userId: agent, role: 'agent' }, other)).toBe(false);

    db.prepare(`INSERT INTO jobs (user_id, face, channel, content, options, total, remaining, created_at) VALUES (?, 'v1', 'sms', '{}', '{}', 0, 0, 0)`).run(mine[0]);
    expect(users.delete(mine[0]!)).toEqual({ deleted: false, owns: 'jobs' });
    expect(users.delete(agent)).toEqual({ deleted: false, owns: 'users' });
    expect(users.delete(other)).toEqual({ deleted: true, owns: null });
    expect(users.byId(other)).toBeUndefined();
    expect(users.delete(other)).toEqual({ deleted: false, owns: null });
  });

  it('SessionStore: a token finds its user until it expires, slides, ends on close and on a password change', async () => {
    const db = await open();
    const users = new UserStore(db);
    const sessions = new SessionStore(db);
    const id = users.add(user('carol'));
    const token = sessions.open(id, 'v1', 1000, 10_000);
    expect(sessions.user(token, 'v1', 1000, 10_500)).toBe(id);
    expect(sessions.user(token, 'ictcore', 1000, 10_500)).toBeNull();
    // Extended to 11,500 by the last look.
    expect(sessions.user(token, 'v1', 1000, 11_400)).toBe(id);
    expect(sessions.user(token, 'v1', 1000, 12_401)).toBeNull();
    const second = sessions.open(id, 'v1', 1000, 20_000);
    expect(sessions.close(second, 'v1')).toBe(true);
    expect(sessions.close(second, 'v1')).toBe(false);
    const third = sessions.open(id, 'v1', 1000, 30_000);
    expect(users.setPassword(id, 'new-secret-2', 30_001)).toBe(true);
    expect(sessions.user(third, 'v1', 1000, 30_002)).toBeNull();
  });

  it('CallbackStore: queues one and many in order, hands out the due, records outcomes, ranks each recipient’s status', async () => {
    const db = await open();
    const job = seedJob(db, 2);
    const callbacks = new CallbackStore(db);
    const req = (body: string) => ({ kind: 'status', url: 'https://example.org/cb', contentType: 'application/x-www-form-urlencoded', body });
    callbacks.enqueue(req('a'), { userId: 1, jobId: job, recipientId: 1 }, 100);
    callbacks.enqueueMany(
      [
        { req: req('b'), owner: { userId: 1, jobId: job, recipientId: 1 } },
        { req: req('c'), owner: { userId: 1, jobId: job, recipientId: 2 } },
        { req: req('d'), owner: { userId: 1, jobId: null, recipientId: null } },
      ],
      200,
    );
    expect(callbacks.nextAt()).toBe(100);
    const due = callbacks.due(200, 10);
    expect(due.map((c) => [c.body, c.tries, c.content_type])).toEqual(['a', 'b', 'c', 'd'].map((b) => [b, 0, 'application/x-www-form-urlencoded']));
    expect(callbacks.due(150, 10).map((c) => c.body)).toEqual(['a']);
    const [a, b, c, d] = due.map((x) => x.id) as [number, number, number, number];
    callbacks.delivered(a, 300);
    callbacks.retry(b, 900, 'HTTP 503');
    callbacks.failed(c, 300, 'x'.repeat(600));
    callbacks.delivered(d, 300);
    expect(callbacks.nextAt()).toBe(900);
    expect(callbacks.due(900, 10)).toEqual([{ id: b, kind: 'status', url: 'https://example.org/cb', content_type: 'application/x-www-form-urlencoded', body: 'b', tries: 1 }]);
    expect(callbacks.statusByRecipient(job)).toEqual(
      new Map([
        [1, { state: 'pending', error: 'HTTP 503' }],
        [2, { state: 'failed', error: 'x'.repeat(500) }],
      ]),
    );
  });

  it('nests transactions as savepoints: an inner one that throws is undone alone, a refused statement in it too', async () => {
    const db = await open();
    const users = new UserStore(db);
    db.transaction(() => {
      users.add(user('kept'));
      expect(() =>
        db.transaction(() => {
          users.add(user('undone'));
          throw new Error('inner');
        })(),
      ).toThrow('inner');
      expect(() => db.transaction(() => users.add(user('KEPT')))()).toThrow(UserCodeTaken);
      expect(db.inTransaction).toBe(true);
      // Levels that ran nothing (PostgreSQL's bridge never sends their SAVEPOINT) end cleanly.
      db.transaction(() => db.transaction(() => undefined)())();
      users.add(user('after'));
    })();
    db.transaction(() => undefined)();
    expect(db.inTransaction).toBe(false);
    expect(users.list().map((u) => u.user_code)).toEqual(['kept', 'after']);
    expect(() =>
      db.transaction(() => {
        users.add(user('gone'));
        throw new Error('outer');
      })(),
    ).toThrow('outer');
    expect(users.byCode('gone')).toBeUndefined();
    // An async function would commit before it settles: refused, and rolled back, as better-sqlite3 does.
    expect(() => db.transaction(async () => users.add(user('async')))()).toThrow(TypeError);
    expect(db.inTransaction).toBe(false);
  });

  it('SpoolBatch: claims a batch and applies each guarded move only while its attempt is current', async () => {
    const db = await open();
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
    expect([
      ...b.holdBack([
        { id: 1, attemptId: a1, dueAt: now + 5000, reason: 'link down' },
        { id: 2, attemptId: a2, dueAt: now + 5000, reason: 'link down' },
      ]),
    ]).toEqual([moveKey(2, a2)]);
    expect(rows()[1]).toMatchObject({ state: 'queued', tries: 0, reason: 'link down' });
    expect([...b.currents([1, 2])].map(([id, c]) => [id, c.state, c.tries])).toEqual([
      [1, 'delivered', 1],
      [2, 'queued', 0],
    ]);
  });

  it('SpoolBatch: merges a flush’s patches into the attempt row, records parts and finds attempts by peer id', async () => {
    const db = await open();
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
    b.insertParts([
      { attemptId: id, part: 1, providerId: 1, peerId: 'p1', at: 5 },
      { attemptId: id, part: 2, providerId: 1, peerId: 'p2', at: 5 },
    ]);
    // A part written again replaces its row (SQLite's INSERT OR REPLACE).
    b.insertParts([{ attemptId: id, part: 2, providerId: 1, peerId: 'p2b', at: 6 }]);
    b.setPartStatuses([{ attemptId: id, part: 1, status: 'delivered', response: null, at: 7 }]);
    expect(b.partStatuses([id])).toEqual(new Map([[id, ['delivered', null]]]));
    expect(b.byPeer(1, ['p2b']).get('p2b')).toMatchObject({ id, part: 2 });
    expect(b.byPeer(1, ['p2']).size).toBe(0);
    b.markJobsSent([job], 9);
    expect(db.prepare('SELECT first_sent_at FROM jobs WHERE id = ?').pluck().get(job)).toBe(9);
  });
});

describe('every statement the stores prepare as they are built', () => {
  it('translates, and PostgreSQL parses and types it (PREPARE)', async () => {
    // The SQL each constructor prepares, caught on SQLite as the store prepares it.
    const sqlite = openDb(':memory:');
    migrate(sqlite);
    closeAfter(sqlite);
    const sqls = new Map<string, string>();
    const preparing = new Set<string>();
    // The stores that prepare their statements as they are built (the others prepare per call).
    const classes = [CallbackStore, HolderStore, ReplyStore, SessionStore, SpoolBatch, SpoolStore, VerificationStore];
    for (const C of classes) {
      const spy = new Proxy(sqlite, { get: (t, k) => (k === 'prepare' ? (sql: string) => (preparing.add(C.name), sqls.has(sql) || sqls.set(sql, C.name), t.prepare(sql)) : Reflect.get(t, k, t)) });
      new (C as new (db: unknown) => unknown)(spy);
    }
    expect(preparing).toEqual(new Set(classes.map((c) => c.name)));
    expect(sqls.size).toBeGreaterThan(60);
    const d = await fresh();
    await migratePg(d.pool);
    const db = PgDb.open({ connectionString: d.url });
    closeAfter(db);
    const refused: { store: string; sql: string; why: string }[] = [];
    for (const [sql, store] of sqls) {
      try {
        db.bridge.exec(`PREPARE probe AS ${db.translate(sql).sql}`);
        db.bridge.exec('DEALLOCATE probe');
      } catch (err) {
        refused.push({ store, sql: sql.replace(/\s+/g, ' '), why: (err as Error).message });
      }
    }
    expect(refused).toEqual([]);
  });
});

describe('the PostgreSQL bridge', () => {
  const bridge = async (opts: { callTimeoutMs?: number; stallMs?: number } = {}) => {
    const d = await fresh();
    await migratePg(d.pool);
    const b = new PgBridge({ connectionString: d.url, ...opts });
    closeAfter(b);
    return { b, d };
  };

  it('answers a query synchronously, with bigint and numeric as numbers and booleans as 1/0', async () => {
    const { b } = await bridge();
    expect(b.query('SELECT $1::bigint AS n, 2.5::numeric AS x, true AS t, false AS f, $2::text AS s', [9_007_199_254_740_991, 'é']).rows).toEqual([{ n: 9_007_199_254_740_991, x: 2.5, t: 1, f: 0, s: 'é' }]);
  });

  it('carries PostgreSQL’s refusal as a PgError with its SQLSTATE, in the terms the stores test SQLite’s in', async () => {
    const { b } = await bridge();
    b.query(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('dup', 'x', 'user', 'UTC', 'AU', 0, 0)`);
    const refused = (sql: string): PgError => {
      try {
        b.query(sql);
      } catch (err) {
        return err as PgError;
      }
      throw new Error('not refused');
    };
    const unique = refused(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('DUP', 'x', 'user', 'UTC', 'AU', 0, 0)`);
    expect(unique).toBeInstanceOf(PgError);
    expect(unique).toMatchObject({ sqlstate: '23505', code: 'SQLITE_CONSTRAINT_UNIQUE', constraint: 'users_user_code_key', table: 'users' });
    expect(unique.message).toMatch(/^UNIQUE constraint failed: users\.user_code /);
    expect(refused(`INSERT INTO jobs (user_id, face, channel, created_at) VALUES (999, 'v1', 'sms', 0)`)).toMatchObject({ sqlstate: '23503', code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(refused('SELECT * FROM no_such_table')).toMatchObject({ sqlstate: '42P01', code: 'PG_42P01' });
    // A refusal leaves the bridge usable.
    expect(b.query('SELECT 1 AS one').rows).toEqual([{ one: 1 }]);
  });

  it('fails, never hangs, when its connection is lost: that call and every later one', async () => {
    const { b, d } = await bridge();
    const pid = b.query('SELECT pg_backend_pid() AS pid').rows[0]!.pid as number;
    await d.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const t0 = Date.now();
    expect(() => b.query('SELECT 1')).toThrow(PgBridgeError);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(() => b.query('SELECT 1')).toThrow(expect.objectContaining({ failure: 'connection_lost', code: 'PG_BRIDGE_CONNECTION_LOST' }));
    // Lost on the engine's thread, it reaches the main thread as what it is (cli.ts exits 70 on it, not 1).
    let lost: unknown;
    try {
      b.query('SELECT 1');
    } catch (err) {
      lost = err;
    }
    const revived = reviveError(sendError(lost));
    expect(revived).toBeInstanceOf(PgBridgeError);
    expect(revived).toMatchObject({ failure: 'connection_lost', code: 'PG_BRIDGE_CONNECTION_LOST', message: (lost as Error).message });
  });

  it('fails, never hangs, when its worker thread dies', async () => {
    const { b } = await bridge({ stallMs: 1000 });
    expect(b.query('SELECT 1 AS one').rows).toEqual([{ one: 1 }]);
    // The worker is private to the bridge; a test reaches it to end it as a crash would.
    void (b as unknown as { worker: Worker }).worker.terminate();
    const t0 = Date.now();
    let failure: unknown;
    try {
      for (;;) b.query('SELECT pg_sleep(0.01)');
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(PgBridgeError);
    expect(['worker_died', 'worker_stalled']).toContain((failure as PgBridgeError).failure);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('gives up on an answer that does not come in time, and stays failed', async () => {
    const { b } = await bridge({ callTimeoutMs: 300 });
    expect(() => b.query('SELECT pg_sleep(3)')).toThrow(PgBridgeError);
    expect(() => b.query('SELECT 1')).toThrow(PgBridgeError);
  });
});
