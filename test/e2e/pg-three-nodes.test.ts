import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, exited, freePort, killAll, startProcess } from '../helpers/process.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { basic } from '../helpers/daemon.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { TestSmsc } from '../peers/smsc.js';

/**
 * Issue 15's proof: three daemons (real processes) on one PostgreSQL, 100,000 SMS through one SMSC
 * that each node binds (`settings.nodes: 3`), a job posted to each node's API; one node SIGKILLed
 * mid-run, another stopped with SIGTERM later; the SMSC sends every 7th receipt on another node's
 * bind (and a receipt whose bind died on another). Nothing is lost, every recipient ends delivered
 * (its receipt matched wherever it came), copies sent twice stay within the two stopped nodes' wire
 * windows, and each recipient's callback is delivered once (a second only for what the killed node
 * had in flight to the receiver).
 */
const N = Number(process.env.THREE_NODES_N ?? 100_000);
const WINDOW = 50;
const BINDS = 1;
const CALLBACK_CONCURRENCY = 32;
const pg = pgDatabases();
const dirs: string[] = [];
afterAll(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('three daemons on one PostgreSQL', () => {
  it('100,000 SMS, one node SIGKILLed and one stopped: 0 lost, every DLR matched, duplicates within the bound, each callback once', async () => {
    const { url, pool } = await pg.fresh();
    const q = async (sql: string, ...p: unknown[]): Promise<number> => Number((await pool.query(sql, p)).rows[0].n);
    const smsc = new TestSmsc({ record: false, countDestinations: true, receiptsElsewhere: 7 });
    const port = await smsc.listen();
    const rx = await callbackReceiver();
    const conf = mkdtempSync(join(tmpdir(), 'switchpost-3nodes-'));
    dirs.push(conf);
    const providers = join(conf, 'providers.json');
    writeFileSync(
      providers,
      JSON.stringify({ providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'pw', settings: { window: WINDOW, binds: BINDS, nodes: 3, reconnect_min_ms: 100, reconnect_max_ms: 300 } }] }),
    );
    const envOf = async (id: string): Promise<Record<string, string>> => {
      const dataDir = mkdtempSync(join(tmpdir(), `switchpost-${id}-`));
      dirs.push(dataDir);
      return {
        SWITCHPOST_CONFIG: providers,
        SWITCHPOST_DATA_DIR: dataDir,
        SWITCHPOST_HTTP_PORT: String(await freePort()),
        SWITCHPOST_LOG_LEVEL: 'warn',
        SWITCHPOST_STORE_DRIVER: 'postgres',
        SWITCHPOST_STORE_URL: url,
        SWITCHPOST_NODE_ID: id,
        SWITCHPOST_NODE_HEARTBEAT_SECONDS: '1',
        SWITCHPOST_NODE_TIMEOUT_SECONDS: '10',
        SWITCHPOST_SANDBOX_ENABLED: 'false',
        SWITCHPOST_SPOOL_POLL_MS: '20',
        SWITCHPOST_SPOOL_MAX_IN_FLIGHT: '2000',
        SWITCHPOST_CALLBACKS_ALLOW_PRIVATE: '["127.0.0.1"]',
        SWITCHPOST_CALLBACKS_CONCURRENCY: String(CALLBACK_CONCURRENCY),
        SWITCHPOST_SHUTDOWN_GRACE_SECONDS: '3',
      };
    };
    const envs = [await envOf('node-1'), await envOf('node-2'), await envOf('node-3')];
    expect(cli(['user', 'add', 'three', '--role', 'user', '--password', 'three-password'], envs[0]!).status).toBe(0);
    const nodes = await Promise.all(envs.map((e) => startProcess(e)));
    // Each node holds one of the provider's three slots and binds.
    for (let i = 0; i < 300 && smsc.sessions.size < 3; i++) await sleep(50);
    expect(smsc.sessions.size).toBe(3);

    // Progress on the console, for a run that goes slowly (THREE_NODES_PROGRESS=1).
    const progress = process.env.THREE_NODES_PROGRESS
      ? setInterval(() => {
          void pool.query('SELECT state, COUNT(*)::int AS n FROM recipients GROUP BY state').then((r) => console.log(new Date().toISOString(), `submits ${smsc.submitCount ?? 0}`, JSON.stringify(r.rows)));
        }, 5000)
      : null;
    // A third of the recipients posted to each node's own API.
    const share = Math.ceil(N / 3);
    const jobs = await Promise.all(
      nodes.map(async (p, k) => {
        const recipients = Array.from({ length: Math.min(share, N - k * share) }, (_, i) => ({ destination: `+614${String(k * share + i).padStart(8, '0')}`, reference: `r${k * share + i}` }));
        const res = await fetch(`${p.url}/api/v1/jobs`, {
          method: 'POST',
          headers: { authorization: basic('three', 'three-password'), 'content-type': 'application/json' },
          body: JSON.stringify({ job_type: 'sms', message: 'three nodes', callback_url: rx.url, callback_on_sms_status_update: true, recipients }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { data: number }).data;
      }),
    );

    const stop = async (child: ChildProcess, signal: 'SIGKILL' | 'SIGTERM') => {
      const gone = exited(child);
      child.kill(signal);
      return gone;
    };
    const submitted = () => smsc.submitCount ?? 0;
    for (let i = 0; i < 6000 && submitted() < N * 0.3; i++) await sleep(10);
    expect((await stop(nodes[1]!.child, 'SIGKILL')).signal).toBe('SIGKILL');
    const leasedByKilled = await q("SELECT COUNT(*) AS n FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.state = 'sending' AND a.node_id = 'node-2'");
    for (let i = 0; i < 6000 && submitted() < N * 0.6; i++) await sleep(10);
    expect((await stop(nodes[2]!.child, 'SIGTERM')).code).toBe(0);
    // The stopped node left nothing leased behind it.
    expect(await q("SELECT COUNT(*) AS n FROM recipients r JOIN attempts a ON a.id = r.attempt_id WHERE r.state = 'sending' AND a.node_id = 'node-3'")).toBe(0);

    // node-1 alone finishes everything: its own work, node-2's once its heartbeat is stale, node-3's given back.
    const open = () => q("SELECT COUNT(*) AS n FROM recipients WHERE state NOT IN ('delivered', 'sent', 'failed', 'expired', 'invalid')");
    for (let i = 0; i < 3600 && (await open()) > 0; i++) await sleep(50);
    const left = (
      await pool.query("SELECT r.state, a.node_id, a.status, r.reason, COUNT(*)::int AS n FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id WHERE r.state NOT IN ('delivered', 'sent', 'failed', 'expired', 'invalid') GROUP BY 1, 2, 3, 4")
    ).rows;
    expect(left, JSON.stringify(await pool.query('SELECT * FROM nodes')).slice(0, 2000)).toEqual([]);
    expect(await q('SELECT COUNT(*) AS n FROM recipients')).toBe(N);
    expect(await q('SELECT SUM(remaining) AS n FROM jobs WHERE id = ANY($1)', jobs)).toBe(0);
    // Every recipient delivered: its receipt matched by whichever node's bind it came on.
    expect(await q("SELECT COUNT(*) AS n FROM recipients WHERE state = 'delivered'")).toBe(N);
    expect(smsc.perDestination!.size).toBe(N);
    // Every 7th while another bind was up (three of them for the first 30%, two until 60%).
    expect(smsc.receiptsMoved).toBeGreaterThan(N / 50);
    // Who did what: each node sent some; the killed node's leases were recovered by node-1.
    const byNode = Object.fromEntries((await pool.query('SELECT node_id, COUNT(*)::int AS n FROM attempts GROUP BY node_id')).rows.map((r) => [r.node_id, r.n]));
    expect(Object.keys(byNode).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await q("SELECT COUNT(*) AS n FROM nodes WHERE id = 'node-2' AND recovered_at IS NOT NULL")).toBe(1);
    // Duplicates: only what the two stopped nodes had on the wire (2 × binds × window each) went twice.
    const twice = [...smsc.perDestination!.values()].filter((n) => n > 1).length;
    const bound = 2 * (2 * BINDS * WINDOW);
    expect(twice).toBeLessThanOrEqual(bound);
    expect(Math.max(...smsc.perDestination!.values())).toBeLessThanOrEqual(2);

    // Callbacks: one row a recipient, every one delivered; a reference heard twice only for the killed
    // node's in-flight posts (its claims expired and another node delivered them again).
    const pending = () => q("SELECT COUNT(*) AS n FROM callbacks WHERE state <> 'delivered'");
    // A dead node's claims end after twice callbacks.timeout_ms and a minute: then another delivers them.
    for (let i = 0; i < 3000 && (await pending()) > 0; i++) await sleep(50);
    expect(await pending()).toBe(0);
    expect(await q('SELECT COUNT(*) AS n FROM callbacks WHERE job_id = ANY($1)', jobs)).toBe(N);
    const heard = new Map<string, number>();
    for (const g of rx.got) heard.set(String(g.form.Reference), (heard.get(String(g.form.Reference)) ?? 0) + 1);
    expect(heard.size).toBe(N);
    const heardTwice = [...heard.values()].filter((n) => n > 1).length;
    expect(heardTwice).toBeLessThanOrEqual(CALLBACK_CONCURRENCY);
    console.log(
      `three nodes: ${N} SMS, attempts by node ${JSON.stringify(byNode)}; node-2 SIGKILLed with ${leasedByKilled} leased, node-3 stopped; ` +
        `${twice} sent twice (bound ${bound}); ${smsc.receiptsMoved} receipts on another node's bind; ${heardTwice} callbacks heard twice (bound ${CALLBACK_CONCURRENCY})`,
    );
    if (progress) clearInterval(progress);
    const last = exited(nodes[0]!.child);
    nodes[0]!.child.kill('SIGTERM');
    expect((await last).code).toBe(0);
    await rx.close();
    await smsc.close();
  }, 600_000);
});
