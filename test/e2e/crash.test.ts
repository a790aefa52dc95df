import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli, exited, freePort, killAll, startProcess } from '../helpers/process.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { basic } from '../helpers/daemon.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';
import { writeFileSync } from 'node:fs';
import { TestSmsc } from '../peers/smsc.js';

/** A count read from a daemon's spool (a query returning `n`), through its own read-only connection. */
const spoolCount =
  (dataDir: string) =>
  (sql: string, ...p: unknown[]): number => {
    const d = new Database(join(dataDir, 'switchpost.db'), { readonly: true });
    try {
      return (d.prepare(sql).get(...p) as { n: number }).n;
    } finally {
      d.close();
    }
  };

/** POST a v1 SMS job as the test user; its id. */
const postSms = async (url: string, message: string, to: string[]): Promise<number> => {
  const r = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { authorization: basic('crash', 'crash-password'), 'content-type': 'application/json' },
    body: JSON.stringify({ job_type: 'sms', message, recipients: to.map((destination) => ({ destination })) }),
  });
  return ((await r.json()) as { data: number }).data;
};

const N = 3000;
const IN_FLIGHT = 150;
let dir: string;
let env: Record<string, string>;
let rx: Awaited<ReturnType<typeof callbackReceiver>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-crash-'));
  rx = await callbackReceiver();
  env = {
    SWITCHPOST_DATA_DIR: dir,
    SWITCHPOST_HTTP_PORT: String(await freePort()),
    SWITCHPOST_LOG_LEVEL: 'warn',
    SWITCHPOST_SPOOL_MAX_IN_FLIGHT: String(IN_FLIGHT),
    SWITCHPOST_SPOOL_POLL_MS: '20',
    SWITCHPOST_SANDBOX_ACCEPT_MS: '[20, 80]',
    SWITCHPOST_SANDBOX_RECEIPT_MS: '[50, 300]',
    SWITCHPOST_CALLBACKS_ALLOW_PRIVATE: '["127.0.0.1"]',
    SWITCHPOST_SHUTDOWN_GRACE_SECONDS: '3',
    // Receipts still pending in the sandbox die with the process (its network lives there): they end
    // 'sent' when this timeout passes, as messages whose SMSC never sends a receipt do.
    SWITCHPOST_SPOOL_RECEIPT_TIMEOUT_HOURS: '0.001',
  };
  expect(cli(['user', 'add', 'crash', '--role', 'user', '--password', 'crash-password'], env).status).toBe(0);
});
afterEach(killAll);
afterAll(async () => {
  await killAll();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

const db = () => new Database(join(dir, 'switchpost.db'), { readonly: true });
const count = (sql: string, ...p: unknown[]) => {
  const d = db();
  try {
    return (d.prepare(sql).get(...p) as { n: number }).n;
  } finally {
    d.close();
  }
};

describe('a crash loses nothing', () => {
  it('SIGKILL mid-run, restart: every recipient ends final, none lost, duplicates within the in-flight window', async () => {
    let p = await startProcess(env);
    const recipients = Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i), reference: `r${i}` }));
    const res = await fetch(`${p.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('crash', 'crash-password'), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'sms', message: 'crash test', callback_url: rx.url, callback_on_sms_status_update: true, recipients }),
    });
    const jobId = ((await res.json()) as { data: number }).data;
    expect(res.status).toBe(200);
    // Let a good part of the job go through, then kill the daemon without warning.
    for (let i = 0; i < 400 && count("SELECT COUNT(*) AS n FROM recipients WHERE state IN ('delivered','sent')") < N / 4; i++) await new Promise((r) => setTimeout(r, 25));
    const gone = exited(p.child);
    p.child.kill('SIGKILL');
    expect((await gone).signal).toBe('SIGKILL');
    const finalAtCrash = count("SELECT COUNT(*) AS n FROM recipients WHERE state IN ('delivered','sent')");
    const leasedAtCrash = count("SELECT COUNT(*) AS n FROM recipients WHERE state = 'sending'");
    expect(finalAtCrash).toBeGreaterThan(0);
    expect(finalAtCrash).toBeLessThan(N);
    expect(leasedAtCrash).toBeLessThanOrEqual(IN_FLIGHT);

    p = await startProcess(env);
    for (let i = 0; i < 1200 && count('SELECT remaining AS n FROM jobs WHERE id = ?', jobId) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(count('SELECT COUNT(*) AS n FROM recipients WHERE job_id = ?', jobId)).toBe(N);
    expect(count("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state IN ('queued','sending','submitted')", jobId)).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state IN ('delivered', 'sent')", jobId)).toBe(N);
    expect(count("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'sent'", jobId)).toBeLessThanOrEqual(N - finalAtCrash);
    // Duplicates: recipients handed to the network more than once. Only those in flight at the crash may be.
    const dupes = count('SELECT COUNT(*) AS n FROM (SELECT recipient_id FROM attempts WHERE job_id = ? GROUP BY recipient_id HAVING COUNT(*) > 1)', jobId);
    expect(dupes).toBeLessThanOrEqual(IN_FLIGHT);
    expect(dupes).toBe(count("SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND status = 'interrupted'", jobId));
    // Every delivery report callback was written with its change and is delivered after the restart.
    for (let i = 0; i < 400 && count("SELECT COUNT(*) AS n FROM callbacks WHERE state = 'pending'") > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(count('SELECT COUNT(*) AS n FROM callbacks WHERE job_id = ?', jobId)).toBe(N);
    expect(new Set(rx.got.map((g) => g.form.Reference)).size).toBe(N);
    console.log(`crash test: ${finalAtCrash}/${N} final and ${leasedAtCrash} leased at SIGKILL; ${dupes} sent twice (bound ${IN_FLIGHT})`);

    // SIGTERM: stop within the bound, no lease left behind.
    const t0 = Date.now();
    const stopped = exited(p.child);
    p.child.kill('SIGTERM');
    expect((await stopped).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(count("SELECT COUNT(*) AS n FROM recipients WHERE state = 'sending'")).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM instance')).toBe(0);
  });
});

describe('a crash over SMPP sends little twice and never a try too many', () => {
  it('SIGKILL at random moments: nothing lost, copies per kill within 2 × binds × window, no destination sent more than its tries', async () => {
    const [N, BINDS, WINDOW, TRIES, KILLS] = [24_000, 2, 5, 3, 3];
    const bound = 2 * BINDS * WINDOW;
    // Every 40th destination is refused with a retryable error every time: it may be sent TRIES times, no more.
    const failing = (addr: string) => Number(addr.slice(-5)) % 40 === 7;
    // A copy sent again is laid to the kill that ended the run its previous copy went in.
    let run = 0;
    const lastRun = new Map<string, number>();
    const copies = new Array<number>(KILLS).fill(0);
    const script = (sub: { destination_addr: string }) => {
      const addr = sub.destination_addr;
      // The last try of a "last-try" destination gets no answer: a kill finds it on the wire.
      if (addr.startsWith('6149157')) return smsc.perDestination!.get(addr)! >= TRIES ? { noResponse: true } : { status: 0x08 };
      if (addr.startsWith('6149158')) return { noResponse: true }; // fills the window
      if (addr.startsWith('6149159')) return {};
      if (failing(addr)) return { status: 0x08 };
      const prev = lastRun.get(addr);
      if (prev !== undefined) copies[prev]!++;
      lastRun.set(addr, run);
      return {};
    };
    const smsc = new TestSmsc({ record: false, countDestinations: true, script });
    const port = await smsc.listen();
    const config = join(dir, 'smpp.json');
    writeFileSync(
      config,
      JSON.stringify({ providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'pw', settings: { window: WINDOW, binds: BINDS, reconnect_min_ms: 100, reconnect_max_ms: 300 } }] }),
    );
    const senv = {
      ...env,
      SWITCHPOST_CONFIG: config,
      SWITCHPOST_DATA_DIR: mkdtempSync(join(tmpdir(), 'switchpost-crash-smpp-')),
      SWITCHPOST_SANDBOX_ENABLED: 'false',
      SWITCHPOST_SPOOL_MAX_IN_FLIGHT: '2000',
      SWITCHPOST_SPOOL_RETRY_TRIES: String(TRIES),
      SWITCHPOST_SPOOL_RETRY_BACKOFF_SECONDS: '0.2',
      SWITCHPOST_SPOOL_RETRY_BACKOFF_MAX_SECONDS: '0.5',
    };
    const q = spoolCount(senv.SWITCHPOST_DATA_DIR);
    const postJob = (url: string, to: string[]) => postSms(url, 'crash test', to);
    const kill = async (proc: { child: import('node:child_process').ChildProcess }) => {
      const gone = exited(proc.child);
      proc.child.kill('SIGKILL');
      await gone;
    };
    try {
      expect(cli(['user', 'add', 'crash', '--role', 'user', '--password', 'crash-password'], senv).status).toBe(0);
      let p = await startProcess(senv);
      const recipients = Array.from({ length: N }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}` }));
      const res = await fetch(`${p.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { authorization: basic('crash', 'crash-password'), 'content-type': 'application/json' },
        body: JSON.stringify({ job_type: 'sms', message: 'crash test', recipients }),
      });
      expect(res.status).toBe(200);
      const jobId = ((await res.json()) as { data: number }).data;
      for (let k = 0; k < KILLS; k++) {
        // A random moment in the k-th part of the run.
        const at = ((k + 1 + Math.random() / 2) * N) / (KILLS + 1);
        for (let i = 0; i < 3000 && (smsc.submitCount ?? 0) < at; i++) await new Promise((r) => setTimeout(r, 5));
        const gone = exited(p.child);
        p.child.kill('SIGKILL');
        await gone;
        run++;
        p = await startProcess(senv);
      }
      for (let i = 0; i < 1200 && q('SELECT remaining AS n FROM jobs WHERE id = ?', jobId) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      const perKill = copies;

      const failingCount = recipients.filter((r) => failing(r.destination.slice(1))).length;
      // Nothing lost: every recipient final, every good one delivered (or sent, when its receipt died with a run).
      expect(q('SELECT remaining AS n FROM jobs WHERE id = ?', jobId)).toBe(0);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state IN ('delivered', 'sent')", jobId)).toBe(N - failingCount);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'failed'", jobId)).toBe(failingCount);
      expect(smsc.perDestination!.size).toBe(N);
      const maxFailing = Math.max(...[...smsc.perDestination!].filter(([a]) => failing(a)).map(([, n]) => n));
      console.log(`smpp crash test: ${KILLS} kills, copies sent twice per kill ${perKill.join(', ')} (bound ${bound}); a refused destination sent at most ${maxFailing} times (tries ${TRIES})`);
      expect(Math.max(...perKill)).toBeLessThanOrEqual(bound);
      expect(maxFailing).toBeLessThanOrEqual(TRIES);

      // A kill while every message of a job is on the wire on its last try: none is sent again.
      const last = Array.from({ length: 10 }, (_, i) => `+61491570${String(i).padStart(3, '0')}`);
      const res2 = await fetch(`${p.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { authorization: basic('crash', 'crash-password'), 'content-type': 'application/json' },
        body: JSON.stringify({ job_type: 'sms', message: 'last try', recipients: last.map((destination) => ({ destination })) }),
      });
      const lastJob = ((await res2.json()) as { data: number }).data;
      const sends = () => last.map((a) => smsc.perDestination!.get(a.slice(1)) ?? 0);
      for (let i = 0; i < 1000 && !sends().every((n) => n >= TRIES); i++) await new Promise((r) => setTimeout(r, 10));
      expect(sends().every((n) => n === TRIES)).toBe(true);
      const killed = exited(p.child);
      p.child.kill('SIGKILL');
      await killed;
      p = await startProcess(senv);
      for (let i = 0; i < 400 && q('SELECT remaining AS n FROM jobs WHERE id = ?', lastJob) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      console.log(`smpp crash test: killed with ${last.length} messages on the wire on their last try; sent ${sends().join(', ')} times (tries ${TRIES})`);
      expect(Math.max(...sends())).toBe(TRIES);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'failed'", lastJob)).toBe(last.length);

      // With one try each: a kill while the window is full of unanswered messages and more wait behind it.
      // Those on the wire end failed (they may have gone); those still waiting give their try back and go.
      await kill(p);
      p = await startProcess({ ...senv, SWITCHPOST_SPOOL_RETRY_TRIES: '1' });
      const blockers = Array.from({ length: BINDS * WINDOW }, (_, i) => `+61491580${String(i).padStart(3, '0')}`);
      const waiting = Array.from({ length: 10 }, (_, i) => `+61491590${String(i).padStart(3, '0')}`);
      const blockJob = await postJob(p.url, blockers);
      const count = (list: string[]) => list.map((a) => smsc.perDestination!.get(a.slice(1)) ?? 0);
      for (let i = 0; i < 1000 && !count(blockers).every((n) => n === 1); i++) await new Promise((r) => setTimeout(r, 10));
      const waitJob = await postJob(p.url, waiting);
      for (let i = 0; i < 1000 && q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'sending'", waitJob) < waiting.length; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      expect(count(waiting)).toEqual(waiting.map(() => 0));
      const killed2 = exited(p.child);
      p.child.kill('SIGKILL');
      await killed2;
      p = await startProcess({ ...senv, SWITCHPOST_SPOOL_RETRY_TRIES: '1' });
      for (let i = 0; i < 400 && q('SELECT remaining AS n FROM jobs WHERE id = ?', waitJob) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      console.log(`smpp crash test: one try each, killed with ${blockers.length} on the wire and ${waiting.length} waiting: sent ${count(blockers).join(',')} and ${count(waiting).join(',')} times`);
      expect(count(blockers)).toEqual(blockers.map(() => 1));
      expect(count(waiting)).toEqual(waiting.map(() => 1));
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'failed'", blockJob)).toBe(blockers.length);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'delivered'", waitJob)).toBe(waiting.length);
      const gone = exited(p.child);
      p.child.kill('SIGTERM');
      await gone;
    } finally {
      await killAll();
      await smsc.close();
      rmSync(senv.SWITCHPOST_DATA_DIR, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a crash over a paced SMPP link', () => {
  it('a last try waiting for the pace is not armed: after SIGKILL the messages never sent are delivered, not failed', async () => {
    // No throughput configured: the pace is what the driver learns from the SMSC's throttling.
    const smsc = new TestSmsc({ record: false, countDestinations: true, rateLimit: { perSecond: 20 } });
    const port = await smsc.listen();
    const data = mkdtempSync(join(tmpdir(), 'switchpost-crash-paced-'));
    const config = join(data, 'smpp.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'pw', settings: { window: 5, binds: 1, max_throttle_resends: 100, reconnect_min_ms: 100, reconnect_max_ms: 300 } }],
      }),
    );
    const penv = { ...env, SWITCHPOST_DATA_DIR: data, SWITCHPOST_SANDBOX_ENABLED: 'false', SWITCHPOST_SPOOL_MAX_IN_FLIGHT: '2000', SWITCHPOST_SPOOL_RETRY_TRIES: '1' };
    const q = spoolCount(data);
    try {
      expect(cli(['user', 'add', 'crash', '--role', 'user', '--password', 'crash-password'], penv).status).toBe(0);
      let p = await startProcess({ ...penv, SWITCHPOST_CONFIG: config });
      const to = Array.from({ length: 60 }, (_, i) => `+61491600${String(i).padStart(3, '0')}`);
      const jobId = await postSms(p.url, 'paced', to);
      // Once the pace is learned, most messages wait for it in the driver.
      for (let i = 0; i < 2000 && to.filter((a) => smsc.perDestination!.has(a.slice(1))).length < 20; i++) await new Promise((res) => setTimeout(res, 5));
      const gone = exited(p.child);
      p.child.kill('SIGKILL');
      await gone;
      const sentBefore = to.filter((a) => (smsc.perDestination!.get(a.slice(1)) ?? 0) > 0).length;
      p = await startProcess({ ...penv, SWITCHPOST_CONFIG: config });
      for (let i = 0; i < 800 && q('SELECT remaining AS n FROM jobs WHERE id = ?', jobId) > 0; i++) await new Promise((res) => setTimeout(res, 25));
      const failed = q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'failed'", jobId);
      console.log(`paced crash test: ${sentBefore} of ${to.length} reached the SMSC before SIGKILL, ${failed} failed as interrupted after`);
      expect(q('SELECT remaining AS n FROM jobs WHERE id = ?', jobId)).toBe(0);
      expect(sentBefore).toBeLessThan(to.length);
      // Only what reached the SMSC before the kill may end as interrupted.
      expect(failed).toBeLessThanOrEqual(sentBefore);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'delivered'", jobId)).toBe(to.length - failed);
      const end = exited(p.child);
      p.child.kill('SIGTERM');
      await end;
    } finally {
      await killAll();
      await smsc.close();
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a stop past its grace over SMPP', () => {
  it('never sends a last try again, and what waited unsent keeps its try and goes after the restart', async () => {
    const [BINDS, WINDOW] = [1, 5];
    // Blockers are never answered: they fill the window and are still on the wire when the grace ends.
    const smsc = new TestSmsc({ record: false, countDestinations: true, script: (sub: { destination_addr: string }) => (sub.destination_addr.startsWith('6149161') ? { noResponse: true } : {}) });
    const port = await smsc.listen();
    const data = mkdtempSync(join(tmpdir(), 'switchpost-crash-stop-'));
    const config = join(data, 'smpp.json');
    writeFileSync(
      config,
      JSON.stringify({ providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'pw', settings: { window: WINDOW, binds: BINDS, reconnect_min_ms: 100, reconnect_max_ms: 300 } }] }),
    );
    const penv = { ...env, SWITCHPOST_CONFIG: config, SWITCHPOST_DATA_DIR: data, SWITCHPOST_SANDBOX_ENABLED: 'false', SWITCHPOST_SPOOL_MAX_IN_FLIGHT: '2000', SWITCHPOST_SPOOL_RETRY_TRIES: '1', SWITCHPOST_SHUTDOWN_GRACE_SECONDS: '1' };
    const q = spoolCount(data);
    const postJob = (url: string, to: string[]) => postSms(url, 'stop', to);
    const sends = (list: string[]) => list.map((a) => smsc.perDestination!.get(a.slice(1)) ?? 0);
    try {
      expect(cli(['user', 'add', 'crash', '--role', 'user', '--password', 'crash-password'], penv).status).toBe(0);
      let p = await startProcess(penv);
      const blockers = Array.from({ length: BINDS * WINDOW }, (_, i) => `+61491610${String(i).padStart(3, '0')}`);
      const waiting = Array.from({ length: 10 }, (_, i) => `+61491620${String(i).padStart(3, '0')}`);
      const blockJob = await postJob(p.url, blockers);
      for (let i = 0; i < 1000 && !sends(blockers).every((n) => n === 1); i++) await new Promise((r) => setTimeout(r, 10));
      const waitJob = await postJob(p.url, waiting);
      for (let i = 0; i < 1000 && q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'sending'", waitJob) < waiting.length; i++) await new Promise((r) => setTimeout(r, 10));
      const stopped = exited(p.child);
      p.child.kill('SIGTERM');
      await stopped;
      p = await startProcess(penv);
      for (let i = 0; i < 400 && q('SELECT remaining AS n FROM jobs WHERE id = ?', waitJob) + q('SELECT remaining AS n FROM jobs WHERE id = ?', blockJob) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      console.log(`stop past grace, one try each: blockers sent ${sends(blockers).join(',')}, waiting sent ${sends(waiting).join(',')} times`);
      expect(sends(blockers)).toEqual(blockers.map(() => 1));
      expect(sends(waiting)).toEqual(waiting.map(() => 1));
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'failed'", blockJob)).toBe(blockers.length);
      expect(q("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'delivered'", waitJob)).toBe(waiting.length);
      const end = exited(p.child);
      p.child.kill('SIGTERM');
      await end;
    } finally {
      await killAll();
      await smsc.close();
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('start-up and the CLI', () => {
  it('a bad config stops start-up with one message naming the key', async () => {
    const r = cli(['start'], { ...env, SWITCHPOST_SPOOL_BATCH_SIZE: 'lots' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('switchpost: SWITCHPOST_SPOOL_BATCH_SIZE: expected a number, got "lots"');
    const r2 = cli(['start'], { ...env, SWITCHPOST_HTTP_PORT: '70000' });
    expect(r2.stderr).toMatch(/invalid config at http\.port: .*\(env SWITCHPOST_HTTP_PORT\)/);
    const file = join(dir, 'bad.yaml');
    (await import('node:fs')).writeFileSync(file, 'spool:\n  batchsize: 10\n');
    const r3 = cli(['start', '--config', file], env);
    expect(r3.stderr).toMatch(/invalid config at spool: unknown key "batchsize"/);
  });

  it('send --wait queues a message that the running daemon delivers', async () => {
    const p = await startProcess(env);
    try {
      const ok = cli(['send', '--to', '+61491570156', '--text', 'hello from the CLI', '--user', 'crash', '--wait'], env);
      expect(ok.stdout).toMatch(/recipient \+61491570156: delivered/);
      expect(ok.status).toBe(0);
      const bad = cli(['send', '--to', '+61491570001', '--text', 'x', '--user', 'crash', '--wait'], env);
      expect(bad.stdout).toMatch(/undeliverable/);
      expect(bad.status).toBe(2);
      // A second daemon on the same database is refused.
      const second = cli(['start'], { ...env, SWITCHPOST_HTTP_PORT: String(await freePort()) });
      expect(second.stderr).toMatch(/another switchpost \(pid \d+\) is running on this database/);
    } finally {
      const gone = exited(p.child);
      p.child.kill('SIGTERM');
      await gone;
    }
  });
});
