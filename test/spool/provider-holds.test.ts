import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import { HolderStore } from '../../dist/store/holders.js';
import { local } from '../../dist/store/remote.js';
import { ProviderHolds, slotsOf, type HoldsStore } from '../../dist/spool/provider-holds.js';
import { pgDatabases } from '../helpers/pg-db.js';

/**
 * The heartbeat that decides which node runs a provider's gateway (main.ts starts and stops gateways on
 * its word), two nodes on one PostgreSQL database: each its own connection, its own ProviderHolds.
 */
const { fresh } = pgDatabases();
const opened: PgDb[] = [];
afterAll(() => {
  for (const db of opened.splice(0)) db.close();
});

const silent = pino({ level: 'silent' });
const OPTS = { intervalMs: 3000, leaseMs: 15_000 };

async function cluster(settings = '{}') {
  const d = await fresh();
  await migratePg(d.pool);
  const [a, b] = [PgDb.open({ connectionString: d.url }), PgDb.open({ connectionString: d.url })];
  opened.push(a, b);
  const provider = Number(a.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES ('smsc', 'smpp', '["sms"]', ?, 0, 0)`).run(settings).lastInsertRowid);
  let now = 1_000_000;
  const clock = { now: () => now };
  const node = (db: PgDb, name: string, store: HoldsStore = local(new HolderStore(db))) => {
    const changes: [number, boolean][] = [];
    const holds = new ProviderHolds(store, name, clock, silent, OPTS, (id, held) => changes.push([id, held]));
    holds.want(provider, slotsOf({ driver: 'smpp', settings: JSON.parse(settings) as Record<string, unknown> }));
    return { holds, changes };
  };
  return { a, b, provider, node, at: (t: number) => (now = 1_000_000 + t) };
}

describe('ProviderHolds: which node runs a provider’s gateway', () => {
  it('a one-bind provider runs on one of two nodes; the other takes it after the holder’s lease, and the old holder is told it lost it', async () => {
    const { a, b, provider, node, at } = await cluster();
    const na = node(a, 'node-a');
    const nb = node(b, 'node-b');
    await na.holds.beat();
    await nb.holds.beat();
    expect([na.holds.holds(provider), nb.holds.holds(provider)]).toEqual([true, false]);
    expect(na.changes).toEqual([[provider, true]]);
    expect(nb.changes).toEqual([]);
    // Node a renews; node b keeps waiting.
    at(10_000);
    await na.holds.beat();
    at(20_000);
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(false);
    // Node a stops renewing (it hangs or died): its lease ends 15 s after its last heartbeat, and node b takes over.
    at(25_000);
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(true);
    expect(nb.changes).toEqual([[provider, true]]);
    // Node a comes back: the slot is node b's, so a's gateway must stop.
    at(25_001);
    await na.holds.beat();
    expect(na.holds.holds(provider)).toBe(false);
    expect(na.changes).toEqual([
      [provider, true],
      [provider, false],
    ]);
  });

  it('settings.nodes: 2 lets both nodes run it', async () => {
    const { a, b, provider, node } = await cluster('{"nodes":2}');
    const na = node(a, 'node-a');
    const nb = node(b, 'node-b');
    await Promise.all([na.holds.beat(), nb.holds.beat()]);
    expect([na.holds.holds(provider), nb.holds.holds(provider)]).toEqual([true, true]);
  });

  it('a node whose store fails stops the gateway before its lease ends, so the next holder never runs beside it', async () => {
    const { a, b, provider, node, at } = await cluster();
    const real = local(new HolderStore(a));
    let failing = false;
    const flaky: HoldsStore = { hold: (...args) => (failing ? Promise.reject(new Error('connection lost')) : real.hold(...args)), releaseNode: (n) => real.releaseNode(n) };
    const na = node(a, 'node-a', flaky);
    const nb = node(b, 'node-b');
    await na.holds.beat();
    failing = true;
    // Within the lease, less a heartbeat: still held (one failed renewal is not the end).
    at(11_000);
    await na.holds.beat();
    expect(na.holds.holds(provider)).toBe(true);
    // A heartbeat before its lease ends: given up here, while node b still cannot have it.
    at(12_000);
    await na.holds.beat();
    expect(na.holds.holds(provider)).toBe(false);
    expect(na.changes.at(-1)).toEqual([provider, false]);
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(false);
    at(15_000);
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(true);
  });

  it('a renewal that hangs gives the provider up on the heartbeat’s own timer, before the lease ends', async () => {
    const { a, provider } = await cluster();
    const real = local(new HolderStore(a));
    let hang = false;
    const stuck: HoldsStore = { hold: (...args) => (hang ? new Promise(() => undefined) : real.hold(...args)), releaseNode: (n) => real.releaseNode(n) };
    const changes: [number, boolean][] = [];
    let now = 0;
    const holds = new ProviderHolds(stuck, 'node-a', { now: () => now }, silent, { intervalMs: 20, leaseMs: 1000 }, (id, held) => changes.push([id, held]));
    holds.want(provider, 1);
    await holds.beat();
    expect(holds.holds(provider)).toBe(true);
    hang = true;
    holds.start();
    // The renewal sent at 500 never answers; at 990 (within a heartbeat of the lease's end at 1000) the timer gives it up.
    now = 500;
    await new Promise((r) => setTimeout(r, 100));
    expect(holds.holds(provider)).toBe(true);
    now = 990;
    while (holds.holds(provider)) await new Promise((r) => setTimeout(r, 10));
    expect(changes).toEqual([
      [provider, true],
      [provider, false],
    ]);
    await holds.stop();
  });

  it('a stopping node gives its slot up at once: the other takes it at its next heartbeat', async () => {
    const { a, b, provider, node } = await cluster();
    const na = node(a, 'node-a');
    const nb = node(b, 'node-b');
    await na.holds.beat();
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(false);
    await na.holds.stop();
    await nb.holds.beat();
    expect(nb.holds.holds(provider)).toBe(true);
  });

  it('without a shared store (SQLite, one daemon) every provider is this node’s and nothing is asked', async () => {
    const changes: unknown[] = [];
    const holds = new ProviderHolds(null, 'node-a', { now: () => 0 }, silent, OPTS, (...c) => changes.push(c));
    holds.want(1, 1);
    await holds.beat();
    holds.start();
    expect([holds.shared, holds.holds(1), holds.holds(2)]).toEqual([false, true, true]);
    await holds.stop();
    expect(changes).toEqual([]);
    // The sandbox is each node's own: never wanted, so always held.
    expect(slotsOf({ driver: 'sandbox', settings: { nodes: 1 } })).toBeNull();
    expect(slotsOf({ driver: 'smpp', settings: {} })).toBe(1);
  });
});
