import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestSmsc } from '../peers/smsc.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { FAST_SMPP, jobComplete, postSms } from '../helpers/smpp-daemon.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { exited, freePort, killAll, startProcess } from '../helpers/process.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two daemons (nodes) on one PostgreSQL database and one real SMSC peer (issue 15): a provider's binds
 * held by as many nodes as it allows, handed over when its holder stops; callbacks delivered once.
 */
const pg = pgDatabases();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function smsc(opts: Record<string, unknown> = {}) {
  const s = new TestSmsc({ systemId: 'esme', password: 'secret', ...opts });
  const port = await s.listen();
  closers.push(() => s.close());
  return { peer: s, port };
}

/** The SMSC's bound sessions, sampled every 10 ms: the most it ever had at once. */
function watchBinds(peer: TestSmsc) {
  let most = 0;
  const t = setInterval(() => (most = Math.max(most, peer.bound)), 10);
  closers.push(async () => clearInterval(t));
  return { most: () => Math.max(most, peer.bound) };
}

async function twoDaemons(port: number, settings: Record<string, unknown> = {}): Promise<[TestDaemon, TestDaemon]> {
  const { url } = await pg.fresh();
  const node = async (id: string) => {
    const d = await testDaemon({
      node: { id },
      store: { driver: 'postgres', url },
      sandbox: { enabled: false },
      providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'secret', settings: { ...FAST_SMPP, ...settings } }],
    });
    closers.push(() => d.close());
    return d;
  };
  // Sequential: the second closes first (its database is the first's).
  const a = await node('node-a');
  const b = await node('node-b');
  return [a, b];
}

const holders = (d: TestDaemon) => d.db.prepare(`SELECT node_id FROM provider_holders ORDER BY slot`).all() as { node_id: string }[];
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two daemons on one PostgreSQL', () => {
  it('a provider that allows one bind is bound by one node only; when it stops, the other binds at its next heartbeat', async () => {
    const { peer, port } = await smsc();
    const binds = watchBinds(peer);
    const [a, b] = await twoDaemons(port);
    await a.waitFor(() => peer.bound === 1);
    // The heartbeats go on (3 s): still one bind, node a's (it started first and took the slot).
    await wait(4000);
    expect(binds.most()).toBe(1);
    expect(holders(a)).toEqual([{ node_id: 'node-a' }]);
    const u = a.addUser('u', 'user');
    // A job posted to node b (which runs no gateway for the provider) is sent through node a's bind:
    // node b leaves the service's work to the node that carries it, never holding it for want of one.
    const first = await postSms(b, u.auth, { message: 'through node a', recipients: [{ destination: '0491 570 150' }, { destination: '0491 570 151' }] });
    await b.waitFor(jobComplete(b, first));
    const sentBy = b.db.prepare(`SELECT DISTINCT node_id, status FROM attempts WHERE job_id = ?`).all(first);
    expect(sentBy).toEqual([{ node_id: 'node-a', status: 'delivered' }]);
    // Node a stops: it unbinds, then gives its slot up; node b takes it at its next heartbeat and binds.
    await a.stop();
    await b.waitFor(() => holders(b).length === 1 && holders(b)[0]!.node_id === 'node-b' && peer.bound === 1, 30_000);
    expect(binds.most()).toBe(1);
    // And node b sends through it.
    const job = await postSms(b, u.auth, { message: 'after the hand-over', recipients: [{ destination: '0491 570 156' }] });
    await b.waitFor(jobComplete(b, job));
    expect(peer.submits.map((s) => s.destination_addr)).toEqual(['61491570150', '61491570151', '61491570156']);
  });

  it('settings.nodes 2: both nodes bind; receipts the SMSC sends on the other node’s bind are matched there; each callback delivered once', async () => {
    const { peer, port } = await smsc({ receiptsElsewhere: 2 });
    const rx = await callbackReceiver();
    closers.push(() => rx.close());
    const [a, b] = await twoDaemons(port, { nodes: 2 });
    await a.waitFor(() => peer.bound === 2);
    expect(
      holders(a)
        .map((h) => h.node_id)
        .sort(),
    ).toEqual(['node-a', 'node-b']);
    const u = a.addUser('u', 'user');
    const n = 12;
    const job = await postSms(a, u.auth, {
      message: 'both nodes',
      callback_url: rx.url,
      callback_on_sms_status_update: true,
      recipients: Array.from({ length: n }, (_, i) => ({ destination: `0491 570 ${String(100 + i)}` })),
    });
    await a.waitFor(jobComplete(a, job), 30_000);
    const attempts = a.db.prepare(`SELECT status, node_id FROM attempts WHERE job_id = ?`).all(job) as { status: string; node_id: string }[];
    expect(attempts.every((x) => x.status === 'delivered')).toBe(true);
    // Some receipts came on a bind other than their message's: with two nodes bound, another node's.
    expect(peer.receiptsMoved).toBeGreaterThan(0);
    // Every callback row delivered, each exactly once to the receiver, whichever node's outbox took it.
    await a.waitFor(() => (a.db.prepare(`SELECT count(*) AS n FROM callbacks WHERE job_id = ? AND state <> 'delivered'`).get(job) as { n: number }).n === 0, 30_000);
    const rows = (a.db.prepare(`SELECT count(*) AS n FROM callbacks WHERE job_id = ?`).get(job) as { n: number }).n;
    await wait(300);
    const ids = rx.got.map((g) => g.headers['x-switchpost-delivery']);
    expect(rows).toBeGreaterThanOrEqual(n);
    expect(ids).toHaveLength(rows);
    expect(new Set(ids).size).toBe(rows);
    void b;
  });

  it('a holder killed mid-run (SIGKILL): its lease ends and the other node binds; the SMSC never sees two binds', async () => {
    const { peer, port } = await smsc();
    const binds = watchBinds(peer);
    const { url } = await pg.fresh();
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-nodes-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const provider = { name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'secret', settings: FAST_SMPP };
    const config = join(dir, 'switchpost.json');
    writeFileSync(config, JSON.stringify({ sandbox: { enabled: false }, providers: [provider] }));
    // Node a is a process of its own, so that it can die without a word.
    const a = await startProcess({
      SWITCHPOST_CONFIG: config,
      SWITCHPOST_DATA_DIR: join(dir, 'a'),
      SWITCHPOST_HTTP_PORT: String(await freePort()),
      SWITCHPOST_STORE_DRIVER: 'postgres',
      SWITCHPOST_STORE_URL: url,
      SWITCHPOST_NODE_ID: 'node-a',
      SWITCHPOST_LOG_LEVEL: 'silent',
    });
    const until = async (what: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!what()) {
        if (Date.now() > end) throw new Error('timed out');
        await wait(20);
      }
    };
    await until(() => peer.bound === 1, 15_000);
    const b = await testDaemon({ node: { id: 'node-b' }, store: { driver: 'postgres', url }, sandbox: { enabled: false }, providers: [provider] });
    closers.push(() => b.close());
    await wait(3500);
    expect(holders(b)).toEqual([{ node_id: 'node-a' }]);
    expect(peer.bound).toBe(1);
    a.child.kill('SIGKILL');
    await exited(a.child);
    const leaseEnd = (b.db.prepare(`SELECT lease_until FROM provider_holders`).get() as { lease_until: number }).lease_until;
    // Its socket closes with it; its slot stays its own until its lease (15 s from its last heartbeat) ends.
    await b.waitFor(() => holders(b)[0]?.node_id === 'node-b' && peer.bound === 1, 30_000);
    // Node b bound only once node a's lease had ended.
    expect(peer.binds.at(-1)!.at).toBeGreaterThanOrEqual(leaseEnd);
    expect(binds.most()).toBe(1);
  });
});
