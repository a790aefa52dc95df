import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import { UserStore } from '../../dist/store/users.js';
import { SpoolStore, DUE_SQL, type LeaseScope } from '../../dist/store/spool.js';
import { NodeStore } from '../../dist/store/nodes.js';
import { JobStore } from '../../dist/store/jobs.js';
import { NodePresence } from '../../dist/spool/node-presence.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import type { Channel, Service } from '../../dist/core/model.js';
import pino from 'pino';
import { storeEngines, storeRecipient, storeUser } from '../helpers/store-engines.js';

/**
 * Several daemons (nodes) on one store (issue 15): leases belong to the node of their attempt, a dead
 * node's are recovered once, by one live node, and claims running at once on PostgreSQL never lease the
 * same row. Two PgDb connections on one database stand for two nodes.
 */
const { engines: ENGINES, fresh, closeAfter } = storeEngines();
const silent = pino({ level: 'silent' });

const provider = (db: StoreDb, services = '["sms"]', name = 'p'): number =>
  Number(db.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES (?, 'sandbox', ?, '{}', 0, 0)`).run(name, services).lastInsertRowid);

/** A user and a job of `n` recipients due at `at`; their ids in order. */
function job(db: StoreDb, n: number, at = 100, channel: Channel = 'sms', code = 'u'): { job: number; ids: number[] } {
  const users = new UserStore(db);
  const userId = users.byCode(code)?.id ?? users.add(storeUser(code));
  const content = channel === 'email' ? { kind: 'email' as const, from: { address: 'a@example.com', name: null }, subject: 's', text: 't', html: null, attachments: [] } : smsContent({ template: 'hi' });
  const destinations = Array.from({ length: n }, (_, i) => (channel === 'email' ? `r${i}@example.com` : `+6149157${String(i).padStart(4, '0')}`));
  const id = new JobStore(db).create(plainJob({ userId, face: 'v1', channel, content, recipients: destinations.map((d) => storeRecipient(d)) }), at);
  return { job: id, ids: db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').pluck().all(id) as number[] };
}

/** `spool` leases these rows as a claim does (one attempt each, made by its node), until `until`; their attempt ids. */
function lease(spool: SpoolStore, jobId: number, providerId: number, ids: readonly number[], at: number, until: number, unsent = false): number[] {
  const made = spool.batch.insertAttempts(
    ids.map((id) => ({ recipientId: id, jobId, providerId, tryNo: 1, destination: `d${id}`, sender: null, twoWay: false, unsent })),
    at,
  );
  spool.batch.lease(
    ids.map((id) => ({ id, address: `a${id}`, attemptId: made.get(id)! })),
    until,
  );
  return ids.map((id) => made.get(id)!);
}

const states = (db: StoreDb, ids: readonly number[]) => ids.map((id) => db.prepare('SELECT state, due_at, reason FROM recipients WHERE id = ?').get(id) as { state: string; due_at: number; reason: string | null });

describe.each(ENGINES)('leases per node on $name', ({ open }) => {
  it("a node's restart recovers its own leases and legacy rows only; its sweep and its calls are its own", async () => {
    const db = await open();
    const p = provider(db);
    const { job: j, ids } = job(db, 7);
    const a = new SpoolStore(db, 'node-a');
    const b = new SpoolStore(db, 'node-b');
    const legacy = new SpoolStore(db);
    const [a0, a1, aCall] = lease(a, j, p, ids.slice(0, 3), 200, 1000);
    const [, bCall] = lease(b, j, p, ids.slice(3, 5), 200, 1000);
    lease(legacy, j, p, ids.slice(5, 6), 200, 1000);
    db.prepare('UPDATE attempts SET peer_id = ? WHERE id = ?').run('call-a', aCall);
    db.prepare('UPDATE attempts SET peer_id = ? WHERE id = ?').run('call-b', bCall);

    // Each node sees its own calls (and would adopt only those), its own overdue leases (and legacy rows).
    expect(a.leasedWithPeer()).toEqual([aCall]);
    expect(b.leasedWithPeer()).toEqual([bCall]);
    expect(a.openWithPeer(p).map((o) => o.peerId)).toEqual(['call-a']);
    expect(b.openWithPeer(p).map((o) => o.peerId)).toEqual(['call-b']);
    expect(a.overdue('sending', 1000, 10).map((r) => r.id)).toEqual([ids[0], ids[1], ids[2], ids[5]]);
    expect(b.overdue('sending', 1000, 10).map((r) => r.id)).toEqual([ids[3], ids[4], ids[5]]);
    expect(a.overdue('sending', 999, 10)).toEqual([]);
    expect(a.leasedBy([aCall]).map((r) => r.attempt_id)).toEqual([a0, a1, expect.any(Number)]);

    // A restarts, adopting its call: its two other leases and the legacy row are requeued; B's are untouched.
    expect(a.recoverLeases(2000, [aCall], 9000)).toBe(3);
    expect(states(db, ids)).toEqual([
      { state: 'queued', due_at: 2000, reason: 'requeued after restart' },
      { state: 'queued', due_at: 2000, reason: 'requeued after restart' },
      { state: 'sending', due_at: 9000, reason: null },
      { state: 'sending', due_at: 1000, reason: null },
      { state: 'sending', due_at: 1000, reason: null },
      { state: 'queued', due_at: 2000, reason: 'requeued after restart' },
      { state: 'queued', due_at: 100, reason: null },
    ]);
    expect(db.prepare('SELECT node_id, status FROM attempts ORDER BY id').all()).toEqual([
      { node_id: 'node-a', status: 'interrupted' },
      { node_id: 'node-a', status: 'interrupted' },
      { node_id: 'node-a', status: 'sending' },
      { node_id: 'node-b', status: 'sending' },
      { node_id: 'node-b', status: 'sending' },
      { node_id: null, status: 'interrupted' },
    ]);
    // A's sweep finds none of B's overdue leases.
    expect(a.overdue('sending', 5000, 10)).toEqual([]);

    // B found dead: its leases recovered as a restart of it would, but for its call, left as it was.
    const scopeB: LeaseScope = { node: 'node-b', legacy: false };
    expect(a.leasedWithPeer(scopeB)).toEqual([bCall]);
    expect(a.recoverLeases(3000, [bCall], null, scopeB)).toBe(1);
    expect(states(db, ids.slice(2, 5))).toEqual([
      { state: 'sending', due_at: 9000, reason: null },
      { state: 'queued', due_at: 3000, reason: 'requeued: its node node-b stopped answering' },
      { state: 'sending', due_at: 1000, reason: null },
    ]);
    // Past its calls' grace: the call too. A's own call is never another node's to take.
    expect(a.recoverLeases(4000, [], null, scopeB)).toBe(1);
    expect(states(db, ids.slice(2, 5)).map((s) => s.state)).toEqual(['sending', 'queued', 'queued']);
  });

  it('a dead node is recovered by one live node only; its calls wait for the grace; a node taken for dead learns it at its next heartbeat', async () => {
    const db = await open();
    const nodes = new NodeStore(db);
    const opts = (id: string) => ({ id, pid: 1, host: 'h', heartbeatMs: 5000, timeoutMs: 30_000, callsGraceMs: 3_600_000 });
    const presence = (id: string, services: Service[]) => new NodePresence(nodes, () => new Set(services), silent, opts(id));
    const a = presence('node-a', ['sms']);
    const b = presence('node-b', ['sms', 'email']);
    const c = presence('node-c', []);
    a.register(1000);
    b.register(1000);
    c.register(1000);
    expect(nodes.get('node-a')).toEqual({ id: 'node-a', heartbeat_at: 1000, recovered_at: null });
    // Heartbeats only when due; each says what the node's providers carry.
    expect(b.beat(2000)).toBe(false);
    for (const n of [a, b, c]) expect(n.beat(6000)).toBe(true);
    expect(nodes.get('node-b')!.heartbeat_at).toBe(6000);
    // A node without a service others carry leaves its channels to them; one service nobody else has is its own.
    expect(c.exceptChannels()).toEqual(['sms', 'sms2way', 'email']);
    expect(a.exceptChannels()).toEqual(['email']);
    expect(b.exceptChannels()).toEqual([]);
    // A falls silent: dead once its heartbeat is older than the timeout, not before.
    for (const n of [b, c]) expect(n.beat(12_000)).toBe(true);
    expect(b.dead(36_000)).toEqual([]);
    const dead = b.dead(36_001);
    expect(dead).toEqual([{ row: { id: 'node-a', heartbeat_at: 6000, recovered_at: null }, calls: false }]);
    // Two live nodes race for it: one wins.
    const cDead = c.dead(36_001);
    expect(db.transaction(() => b.take(dead[0]!, 36_001))()).toBe(true);
    expect(db.transaction(() => c.take(cDead[0]!, 36_002))()).toBe(false);
    expect(nodes.get('node-a')!.recovered_at).toBe(36_001);
    expect(b.dead(40_000)).toEqual([]);
    // A dead node's services are no longer counted: its channels come back to the others' claims.
    expect(b.beat(40_000)).toBe(true);
    expect(c.beat(40_000)).toBe(true);
    expect(c.exceptChannels()).toEqual(['sms', 'sms2way', 'email']);
    // Past the calls' grace: its row goes, once, with its calls.
    expect(b.dead(6000 + 3_600_000).filter((d) => d.row.id === 'node-a')).toEqual([]);
    const late = b.dead(6000 + 3_600_001).filter((d) => d.row.id === 'node-a');
    expect(late).toEqual([{ row: { id: 'node-a', heartbeat_at: 6000, recovered_at: 36_001 }, calls: true }]);
    const cLate = c.dead(6000 + 3_600_001).find((d) => d.row.id === 'node-a')!;
    expect(db.transaction(() => c.take(cLate, 6000 + 3_600_001))()).toBe(true);
    expect(db.transaction(() => b.take(late[0]!, 6000 + 3_600_002))()).toBe(false);
    expect(nodes.get('node-a')).toBeUndefined();

    // C stalls past the timeout and is taken for dead; at its next heartbeat it registers again.
    const cGone = b.dead(80_001).find((d) => d.row.id === 'node-c')!;
    expect(db.transaction(() => b.take(cGone, 80_001))()).toBe(true);
    expect(c.beat(80_002)).toBe(true);
    expect(nodes.get('node-c')).toEqual({ id: 'node-c', heartbeat_at: 80_002, recovered_at: null });
    // A restarted: registered afresh, alive.
    a.register(90_000);
    expect(nodes.get('node-a')).toEqual({ id: 'node-a', heartbeat_at: 90_000, recovered_at: null });
  });

  it("a node's claim leaves out the channels it gave to others, prioritised rows first as always", async () => {
    const db = await open();
    const sms = job(db, 3, 100, 'sms');
    const mail = job(db, 2, 100, 'email');
    db.prepare('UPDATE recipients SET priority = 1 WHERE id IN (?, ?)').run(sms.ids[2], mail.ids[1]);
    const spool = new SpoolStore(db, 'node-a');
    expect(spool.due(100, 10).map((r) => r.id)).toEqual([sms.ids[2], mail.ids[1], sms.ids[0], sms.ids[1], mail.ids[0]]);
    expect(spool.due(100, 10, ['email']).map((r) => r.id)).toEqual([sms.ids[2], sms.ids[0], sms.ids[1]]);
    expect(spool.due(100, 10, ['sms', 'sms2way']).map((r) => r.id)).toEqual([mail.ids[1], mail.ids[0]]);
    expect(spool.due(99, 10, ['email'])).toEqual([]);
    expect(spool.dueOne(sms.ids[0]!, 100)).toMatchObject({ id: sms.ids[0], job_id: sms.job });
    expect(spool.dueOne(sms.ids[0]!, 99)).toBeUndefined();
  });
});

/** Two nodes: two connections (two bridges) on one fresh PostgreSQL database. */
async function twoNodes(): Promise<{ url: string; a: PgDb; b: PgDb }> {
  const d = await fresh();
  await migratePg(d.pool);
  const a = PgDb.open({ connectionString: d.url });
  const b = PgDb.open({ connectionString: d.url });
  closeAfter(a);
  closeAfter(b);
  return { url: d.url, a, b };
}

describe('claims across nodes on PostgreSQL', () => {
  it("locks what the claim reads (FOR UPDATE OF recipients SKIP LOCKED); SQLite's text is unchanged", async () => {
    const { a } = await twoNodes();
    for (const sql of Object.values(DUE_SQL)) {
      expect(sql).not.toMatch(/FOR UPDATE/);
      expect(a.translate(sql).sql).toMatch(/FOR UPDATE OF recipients SKIP LOCKED$/);
      a.bridge.exec(`PREPARE probe AS ${a.translate(sql).sql}`);
      a.bridge.exec('DEALLOCATE probe');
    }
  });

  it('two claims open at once read disjoint rows, round after round, and every row is leased once', async () => {
    const { a: dbA, b: dbB } = await twoNodes();
    const p = provider(dbA);
    const { job: j, ids } = job(dbA, 60);
    dbA.prepare('UPDATE recipients SET priority = 1 WHERE id IN (SELECT id FROM recipients WHERE id % 3 = 0)').run();
    const a = new SpoolStore(dbA, 'node-a');
    const b = new SpoolStore(dbB, 'node-b');
    const leasedBy = new Map<number, string>();
    const take = (node: string, rows: { id: number }[]) => {
      for (const r of rows) {
        expect(leasedBy.get(r.id), `row ${r.id} leased by ${leasedBy.get(r.id)} and ${node}`).toBeUndefined();
        leasedBy.set(r.id, node);
      }
    };
    let rounds = 0;
    for (;;) {
      let inner = 0;
      const outer = a.tx(() => {
        const rowsA = a.due(200, 4);
        // B claims while A's transaction holds its rows: it skips them.
        inner = b.tx(() => {
          const rowsB = b.due(200, 4);
          expect(rowsB.filter((r) => rowsA.some((x) => x.id === r.id))).toEqual([]);
          take('node-b', rowsB);
          lease(
            b,
            j,
            p,
            rowsB.map((r) => r.id),
            200,
            9000,
          );
          return rowsB.length;
        });
        take('node-a', rowsA);
        lease(
          a,
          j,
          p,
          rowsA.map((r) => r.id),
          200,
          9000,
        );
        return rowsA.length;
      });
      if (outer + inner === 0) break;
      rounds++;
    }
    expect(rounds).toBeGreaterThan(5);
    expect([...leasedBy.keys()].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(leasedBy.values())).toEqual(new Set(['node-a', 'node-b']));
    expect(dbA.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT recipient_id) AS d FROM attempts').get()).toEqual({ n: 60, d: 60 });
  });

  it('claimers on their own threads, racing: no row is ever leased twice', async () => {
    const { url, a: db } = await twoNodes();
    const p = provider(db);
    const { ids } = job(db, 400);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const claimer = (node: string) =>
      new Promise<number[]>((resolve, reject) => {
        const w = new Worker(new URL('../helpers/pg-claimer.mjs', import.meta.url), { workerData: { url, node, providerId: p, start, batch: 5 } });
        w.once('message', (claimed: number[]) => resolve(claimed));
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`claimer ${node} exited ${code}`)));
      });
    const racing = [claimer('node-a'), claimer('node-b'), claimer('node-c')];
    // All three start together.
    await new Promise((r) => setTimeout(r, 300));
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const claimed = await Promise.all(racing);
    const all = claimed.flat();
    expect(all.length).toBe(ids.length);
    expect(new Set(all).size).toBe(ids.length);
    expect(db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT recipient_id) AS d FROM attempts').get()).toEqual({ n: 400, d: 400 });
    expect(db.prepare("SELECT COUNT(*) FROM recipients WHERE state = 'sending'").pluck().get()).toBe(400);
  });
});
