import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli, exited, freePort, startProcess } from '../helpers/process.js';
import { basic } from '../helpers/daemon.js';
import { createFrozenDisk, type FrozenDisk } from '../helpers/frozen-disk.js';
import { TestSmsc } from '../peers/smsc.js';

/*
 * The data directory's disk stalls (fsfreeze) for FREEZE_MS while an SMPP job runs: the daemon must keep
 * answering GET /health and the SMSC's enquire_link, and lose nothing once the disk is back.
 *
 * The daemon runs as its own process (the built CLI), not inside the test: a daemon blocked in the
 * kernel on the frozen disk would block the test's event loop with it, and then the SMSC peer and the
 * probes (which must stay the outside observer) would stall too and measure themselves. This process
 * never touches the frozen disk while it is frozen (not even a read-only SQLite connection: WAL's
 * shared memory is written), so its timers and latencies stay honest.
 */

const N = 3000;
const RATE = 400; // submit_sm a second: the job runs over the freeze, not before it
const FREEZE_MS = 6000;
const LIMIT_MS = 1000;
const HEALTH_EVERY_MS = 200;
const ENQUIRE_EVERY_MS = 1000;

let disk: FrozenDisk | undefined;
let smsc: TestSmsc | undefined;
let daemon: ChildProcess | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone (the disk can then unmount). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  if ((await Promise.race([gone, sleep(8000).then(() => 'late' as const)])) !== 'late') return;
  child.kill('SIGKILL');
  await gone;
}

afterAll(async () => {
  // Thaw first: a daemon blocked on the frozen disk cannot even be killed until then.
  disk?.thaw();
  if (daemon) await stop(daemon);
  await smsc?.close();
  disk?.cleanup();
});

/** A count from the daemon's spool through a read-only connection of our own (only while thawed). */
const count = (dataDir: string, sql: string, ...p: unknown[]): number => {
  const db = new Database(join(dataDir, 'switchpost.db'), { readonly: true });
  try {
    return (db.prepare(sql).get(...p) as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Milliseconds until `p` settles, or Infinity if it has not within `ms`. */
const timed = async (p: () => Promise<unknown>, ms: number): Promise<number> => {
  const t = performance.now();
  const ok = await Promise.race([
    p().then(
      () => true,
      () => false,
    ),
    sleep(ms).then(() => false),
  ]);
  return ok ? Math.round(performance.now() - t) : Infinity;
};

describe('a frozen data disk', () => {
  it('keeps /health and enquire_link answered within 1 s while SMPP traffic runs and a report waits for the disk, and loses nothing after the thaw', async () => {
    disk = createFrozenDisk();
    const dataDir = join(disk.mnt, 'data');
    smsc = new TestSmsc({ systemId: 'esme', password: 'secret', record: false, receiptDelayMs: 20 });
    const port = await smsc.listen();
    const config = join(disk.base, 'switchpost.json'); // beside the image: readable while frozen
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: dataDir,
        log: { level: 'warn' },
        sandbox: { enabled: false },
        spool: { poll_ms: 20 },
        shutdown: { grace_seconds: 3 },
        providers: [
          {
            name: 'smsc',
            driver: 'smpp',
            services: ['sms'],
            host: '127.0.0.1',
            port,
            username: 'esme',
            password: 'secret',
            throughput: RATE,
            // The daemon's own enquire_link stays out of the way: these probes are the SMSC's.
            settings: { window: 10, reconnect_min_ms: 100, reconnect_max_ms: 500, enquire_link_ms: 60_000 },
          },
        ],
      }),
    );
    const env = { SWITCHPOST_CONFIG: config, SWITCHPOST_HTTP_PORT: String(await freePort()) };
    const added = cli(['user', 'add', 'freeze', '--role', 'user', '--password', 'freeze-password'], env);
    expect(added.status, added.stderr).toBe(0);
    const p = await startProcess(env);
    daemon = p.child;
    for (let i = 0; i < 200 && smsc.bound < 1; i++) await sleep(25);
    expect(smsc.bound, 'the daemon never bound to the SMSC').toBe(1);

    const recipients = Array.from({ length: N }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}` }));
    const res = await fetch(`${p.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('freeze', 'freeze-password'), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'sms', message: 'frozen disk', recipients }),
    });
    expect(res.status).toBe(200);
    const jobId = ((await res.json()) as { data: number }).data;

    // Traffic both ways before the freeze: submits going out, receipts coming back and acknowledged.
    for (let i = 0; i < 400 && smsc.deliverResps.length < 300; i++) await sleep(10);
    const atFreeze = { submits: smsc.submitCount ?? 0, receipts: smsc.receiptsSent, acked: smsc.deliverResps.length };
    expect(atFreeze.acked, 'receipts were not flowing before the freeze').toBeGreaterThanOrEqual(300);
    expect(atFreeze.submits, 'the job was done before the freeze').toBeLessThan(N);

    disk.freeze(FREEZE_MS);
    const t0 = performance.now();
    // A face's request that needs the store (the job's report) waits for the disk, holding up nothing else.
    const report = (async () => {
      await sleep(300);
      const r = await fetch(`${p.url}/api/v1/jobs/${jobId}`, { headers: { authorization: basic('freeze', 'freeze-password'), accept: 'application/json' } });
      return { status: r.status, body: await r.text() };
    })();
    // A scrape needs the spool's levels from the engine's thread, which waits for the disk: it is answered
    // after its wait for them (2 s) with the levels left out, and the main thread's metrics all there.
    const scrape = (async () => {
      await sleep(500);
      const t = performance.now();
      const r = await fetch(`${p.url}/metrics`);
      return { status: r.status, text: await r.text(), ms: performance.now() - t };
    })();
    const until = t0 + FREEZE_MS - HEALTH_EVERY_MS; // every probe goes out while frozen
    const health: number[] = [];
    const enquires: number[] = [];
    const probes: Promise<void>[] = [];
    let ackedEarly = -1;
    let ackedLate = -1;
    // Each probe goes out on its own schedule, never waiting for the one before: a stalled answer shows
    // as the latency of every probe sent while it stalls, not as one slow sample and a quiet gap.
    for (let k = 0; t0 + k * HEALTH_EVERY_MS < until; k++) {
      await sleep(t0 + k * HEALTH_EVERY_MS - performance.now());
      const at = performance.now() - t0;
      if (ackedEarly < 0 && at >= 1000) ackedEarly = smsc.deliverResps.length;
      if (at >= FREEZE_MS - 1000) ackedLate = smsc.deliverResps.length;
      probes.push(
        timed(async () => {
          const r = await fetch(`${p.url}/health`);
          await r.text();
          if (r.status !== 200) throw new Error(`/health ${r.status}`);
        }, FREEZE_MS + 5000).then((ms) => void (health[k] = ms)),
      );
      if (k % (ENQUIRE_EVERY_MS / HEALTH_EVERY_MS) === 2) {
        // TestSmsc.enquire() answers only once every session answered; no session would be a false pass.
        const s = smsc;
        const j = enquires.length;
        enquires.push(NaN);
        probes.push(timed(() => (s.bound === 1 ? s.enquire() : Promise.reject(new Error('not bound'))), FREEZE_MS + 5000).then((ms) => void (enquires[j] = ms)));
      }
    }
    await sleep(t0 + FREEZE_MS - performance.now());
    disk.thaw(); // the guard would now anyway
    const frozenFor = Math.round(performance.now() - t0);
    await Promise.all(probes);
    const scraped = await scrape;
    expect(scraped.status).toBe(200);
    expect(scraped.ms, 'GET /metrics during the freeze').toBeLessThan(2000 + LIMIT_MS);
    expect(scraped.text).toMatch(/^switchpost_provider_link_up\{provider="smsc",node="[^"]+"\} 1$/m);
    expect(scraped.text).toContain('# TYPE switchpost_spool_recipients gauge');
    expect(scraped.text).not.toMatch(/^switchpost_spool_recipients\{/m);
    const answered = await report;
    expect(answered.status, answered.body.slice(0, 200)).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ status: 200, data: { job_type: 'SMS' } });
    const fmt = (xs: number[]) => `[${xs.join(', ')}] ms`;
    console.log(`frozen-disk: frozen ${frozenFor} ms; /health ${fmt(health)}; enquire_link ${fmt(enquires)}; receipts acked during the freeze ${ackedEarly} -> ${ackedLate}`);

    // The freeze held: no receipt could be committed, so none was acknowledged mid-freeze.
    expect(ackedLate, `receipts were acknowledged while the disk was frozen (${ackedEarly} at 1 s, ${ackedLate} near the end): was it frozen?`).toBe(ackedEarly);
    expect(health.length).toBeGreaterThanOrEqual(FREEZE_MS / HEALTH_EVERY_MS - 1);
    // Soft: a slow answer is reported with its numbers, and the nothing-lost checks below still run.
    expect.soft(Math.max(...health), `GET /health latencies during the ${FREEZE_MS} ms freeze, sent every ${HEALTH_EVERY_MS} ms, in that order: ${fmt(health)}`).toBeLessThan(LIMIT_MS);
    expect(enquires.length).toBeGreaterThanOrEqual(5);
    expect.soft(Math.max(...enquires), `enquire_link_resp latencies during the ${FREEZE_MS} ms freeze, sent every ${ENQUIRE_EVERY_MS} ms, in that order: ${fmt(enquires)}`).toBeLessThan(LIMIT_MS);

    // Nothing lost: every recipient final and delivered, every receipt stored on its attempt and acknowledged.
    for (let i = 0; i < 600 && count(dataDir, 'SELECT remaining AS n FROM jobs WHERE id = ?', jobId) > 0; i++) await sleep(50);
    expect(count(dataDir, 'SELECT remaining AS n FROM jobs WHERE id = ?', jobId)).toBe(0);
    expect(count(dataDir, 'SELECT COUNT(*) AS n FROM recipients WHERE job_id = ?', jobId)).toBe(N);
    expect(count(dataDir, "SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'delivered' AND final_at IS NOT NULL", jobId)).toBe(N);
    expect(count(dataDir, "SELECT COUNT(DISTINCT recipient_id) AS n FROM attempts WHERE job_id = ? AND status = 'delivered' AND response = '000 DELIVRD'", jobId)).toBe(N);
    for (let i = 0; i < 100 && smsc.deliverResps.length < smsc.receiptsSent; i++) await sleep(20);
    // Every delivered attempt counted once for its provider, after the thaw as before it.
    const delivered = async () => Number(/^switchpost_attempts_total\{provider="smsc",outcome="delivered",node="[^"]+"\} (\d+)$/m.exec(await (await fetch(`${p.url}/metrics`)).text())?.[1] ?? 0);
    for (let i = 0; i < 50 && (await delivered()) < N; i++) await sleep(50);
    expect(await delivered()).toBe(N);
    expect(smsc.receiptsSent).toBeGreaterThanOrEqual(N);
    expect(smsc.deliverResps.length).toBe(smsc.receiptsSent);
    expect(smsc.deliverResps.filter((s: number) => s !== 0)).toEqual([]);
  }, 45_000);
});
