import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli, exited, freePort, killAll, startProcess } from '../helpers/process.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { basic } from '../helpers/daemon.js';
import { deliveredTestNumber } from '../../dist/gateways/sandbox/sandbox.js';

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
